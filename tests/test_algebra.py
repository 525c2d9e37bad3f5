"""Textbook algebra (issue 14): results read as the Cookbook and the notes write them.

Exact printed forms, each derivative also checked numerically by ``verify``.
References: the Matrix Cookbook (MC), section 10.2 (Kronecker products).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matcalc as mc
from matcalc.algebra.simplify import simplify


def _check(text: str, wrt: str, shapes: dict[str, Any], want: str, **options: Any) -> None:
    f = mc.parse(text, shapes=shapes)
    g = mc.diff(f, wrt, **options)
    assert str(g) == want
    assert mc.verify(f, wrt).ok


SQUARES = {"A": ("m", "m"), "B": ("p", "p"), "X": ("n", "n")}


@pytest.mark.parametrize("text,wrt,want", [
    ("tr(kron(X, X))", "X", "2 * tr(X) * eye(n)"),  # tr(A ⊗ B) = tr(A) tr(B)   (MC 515)
    ("tr(kron(A, X))", "X", "tr(A) * eye(n)"),
    # log|A ⊗ B| = n log|A| + m log|B|   (MC 516); m, the size of A, which the result
    # does not contain, is written as tr(eye(m)) so that it reads back as a size
    ("logdet(kron(A, X))", "X", "tr(eye(m)) * inv(X).T"),
    # det(A ⊗ B) = det(A)^n det(B)^m for A m×m, B n×n (MC 516): by B, m det(A)^n det(B)^m
    # inv(B)' (the exponents m - 1 and 1 of det(B) combined)
    ("det(kron(A, X))", "X", "m * det(A)^n * det(X)^m * inv(X).T"),
    ("det(kron(X, X))", "X", "2 * n * det(X)^(2 * n) * inv(X).T"),  # det(X)^(2n)
    ("sum(inv(kron(A, X)))", "A",  # inv(A ⊗ B) = inv(A) ⊗ inv(B)   (MC 511)
     "-sum(inv(X)) * outer(inv(A).T @ ones(m), inv(A) @ ones(m))"),
])
def test_kronecker_identities(text: str, wrt: str, want: str) -> None:
    _check(text, wrt, SQUARES, want)


def test_mixed_product() -> None:
    # (A ⊗ B)(C ⊗ X) = AC ⊗ BX   (MC 510): tr of it is tr(AC) tr(BX)
    shapes = {"A": ("m", "n"), "B": ("p", "q"), "C": ("n", "m"), "X": ("q", "p")}
    _check("tr(kron(A, B) @ kron(C, X))", "X", shapes, "tr(A @ C) * B.T")
    f = mc.parse("kron(A, B) @ kron(C, X)", shapes=shapes)
    assert str(simplify(f)) == "kron(A @ C, B @ X)"


def test_hadamard_products_are_like_terms() -> None:
    f = mc.parse("(X@t - y) * w + w * (X@t - y)", shapes={"X": ("n", "d"), "t": ("d",)})
    assert str(simplify(f)) == "2 * (X @ t - y) * w"


def test_coefficients_of_sums() -> None:
    shapes = {"C": ("n", "n"), "P": ("n", "n")}
    assert str(simplify(mc.parse("0.5 * (2 * C - 2 * inv(P))", shapes=shapes))) == "C - inv(P)"
    _check("-0.5*logdet(S) - 0.5*(x - mu)' @ inv(S) @ (x - mu)", "mu", {"S": ("n", "n")},
           "0.5 * (inv(S).T + inv(S)) @ (x - mu)")


def test_symmetrised_gradient_of_a_symmetric_result_is_itself() -> None:
    # (H + H')/2 with H symmetric is H
    _check("logdet(S)", "S", {"S": "spd(n)"}, "inv(S)")
    _check("x' @ S @ x", "x", {"S": "symmetric(n)"}, "2 * S @ x")


def test_scalar_simplifier_keeps_factored_forms() -> None:
    _check("exp(x)/(exp(x) + 1)", "x", {"x": ()}, "exp(x) / (1 + exp(x))^2")


def test_numerator_layout_as_the_notes_write_it() -> None:
    _check("0.5*norm(A@x - y)^2", "x", {}, "(A @ x - y).T @ A", layout="numerator")


@pytest.mark.parametrize("text,wrt,want", [
    # δ_ij M_ij with both indices free is the Hadamard product eye(n) * M, never
    # einsum("ij,ij->ij", eye(n), M): d sum(I ⊙ exp(X))/dX = I ⊙ exp(X)
    ("sum(eye(n) * exp(X))", "X", "eye(n) * exp(X)"),
    # d tr(I ⊙ X)/dX = I (δ_ij δ_ij = δ_ij), from the fuzzer's corpus (seed 1, example 55)
    ("tr(eye(n) * X)", "X", "eye(n)"),
    ("sum(eye(n) * X)", "X", "eye(n)"),
    ("tr(X)", "X", "eye(n)"),
    # d tr((I ⊙ exp(X)) A)/dX = A' ⊙ I ⊙ exp(X)
    ("tr((eye(n) * exp(X)) @ A)", "X", "A.T * eye(n) * exp(X)"),
    ("sum(exp(diag(diag(X))))", "X", "diag(diag(exp(diag(diag(X)))))"),
])
def test_a_kronecker_delta_times_a_matrix_is_a_hadamard_product(text: str, wrt: str,
                                                                  want: str) -> None:
    _check(text, wrt, {"X": ("n", "n"), "A": ("n", "n")}, want)


def test_no_pure_elementwise_einsum_in_derivatives() -> None:
    for text in ["sum(eye(n) * exp(X))", "tr(eye(n) * X)", "sum((eye(n) * X) @ A)",
                 "sum(eye(n) * exp(X) * X)"]:
        f = mc.parse(text, shapes={"X": ("n", "n"), "A": ("n", "n")})
        g = mc.diff(f, "X")
        assert "einsum" not in str(g), (text, str(g))
        assert mc.verify(f, "X").ok


def test_commuted_hadamard_products_are_one_node_inside_other_operators() -> None:
    shapes = {"A": ("m", "n"), "u": ("n",), "v": ("n",)}
    assert str(simplify(mc.parse("exp(u * v) - exp(v * u)", shapes=shapes))) == "zeros(n)"
    assert str(simplify(mc.parse("sum(u * v) - sum(v * u)", shapes=shapes))) == "0"
    assert str(simplify(mc.parse("A @ (u * v) + A @ (v * u)", shapes=shapes))) == \
        "2 * A @ (u * v)"
    # the order first met is kept (no printed result is reordered)
    assert str(simplify(mc.parse("w * (X@t - y) + (X@t - y) * w",
                                 shapes={"X": ("n", "d"), "t": ("d",)}))) == \
        "2 * w * (X @ t - y)"
    # weighted least squares written with the weights on either side, differentiated
    _check("sum(w * (X@t - y)^2) + sum((X@t - y) * w * (X@t - y))", "t",
           {"X": ("n", "d"), "t": ("d",)}, "4 * X.T @ (w * (X @ t - y))")


def test_a_kronecker_product_with_a_row() -> None:
    # kron(A, x') is (m, n*p); its transpose stays as written (x'' is a vector, which kron
    # takes only with a vector), and both derivatives are right
    shapes = {"A": ("m", "n"), "x": ("p",), "y": ("m",)}
    f = mc.parse("sum(kron(A, x.T).T @ y)", shapes=shapes)
    assert str(simplify(f)) == "sum(kron(A, x.T).T @ y)"
    for wrt in ("A", "x", "y"):
        assert mc.verify(f, wrt).ok
    assert str(mc.diff(f, "y")) == "kron(A, x.T) @ ones(n*p)"


def _same_values(before: mc.Expr, after: mc.Expr, shapes: dict[str, Any]) -> None:
    """``after`` (simplified) equals ``before`` at random values of the declared shapes."""
    rng = np.random.default_rng(5)
    sizes = {"n": 3}
    values: dict[str, Any] = {}
    for name, v in before.variables().items():
        a = rng.uniform(0.5, 1.5, size=tuple(sizes[str(d)] for d in v.shape))
        if v.structure:  # symmetric or spd: a well-conditioned symmetric matrix
            a = a @ a.T + np.eye(a.shape[0])
        values[name] = a
    np.testing.assert_allclose(mc.evaluate(after, values), mc.evaluate(before, values),
                               rtol=1e-12)


@pytest.mark.parametrize("text,shapes,want", [
    # (H + H')/2 with H symmetric is H (SPEC section 3)
    ("(H + H')/2", {"H": "symmetric(n)"}, "H"),
    ("0.5 * (H.T + H)", {"H": "spd(n)"}, "H"),
    ("0.5*(2*C - 2*P)", {"C": ("n", "n"), "P": ("n", "n")}, "C - P"),
    # S' = S: -0.5 (inv(S)' + inv(S)) is -inv(S)
    ("(-0.5 * inv(S).T - 0.5 * inv(S)) @ (x - mu)", {"S": "spd(n)", "x": ("n",)},
     "-inv(S) @ (x - mu)"),
    ("(-0.5 * inv(S).T - 0.5 * inv(S)) @ (x - mu)", {"S": ("n", "n"), "x": ("n",)},
     "-0.5 * (inv(S).T + inv(S)) @ (x - mu)"),  # without the symmetry nothing cancels
    # the scalar simplifier keeps (1 + e^x)^2 factored, never 1 + 2 e^x + e^(2x)
    ("exp(x)/(exp(x)+1)^2", {"x": ()}, "exp(x) / (exp(x) + 1)^2"),
    # eye(n)^k is eye(n) for k > 0 (entries 0 and 1)
    ("sum((eye(n)*X)^2)", {"X": ("n", "n")}, "sum(eye(n) * X^2)"),
    ("eye(n)^3 + X", {"X": ("n", "n")}, "eye(n) + X"),
])
def test_textbook_simplifications(text: str, shapes: dict[str, Any], want: str) -> None:
    f = mc.parse(text, shapes=shapes)
    g = simplify(f)
    assert str(g) == want
    _same_values(f, g, shapes)


def test_powers_of_the_identity_in_derivatives() -> None:
    # d sum((I ⊙ X)^2)/dX = 2 I ⊙ X   (the diagonal of X, twice)
    _check("sum((eye(n)*X)^2)", "X", {"X": ("n", "n")}, "2 * eye(n) * X")


def test_dimensions_come_before_other_scalar_factors() -> None:
    # numbers first, then sizes, then other scalars, as the books write m det(A)^n ...
    shapes = {"A": ("m", "m"), "X": ("n", "n"), "s": ()}
    f = mc.parse("det(A)^n * m * s * X", shapes=shapes)
    assert str(f) == "m * det(A)^n * s * X"
    assert mc.parse(str(f), shapes=shapes) is f
    assert str(mc.parse("s * X / n * 2", shapes=shapes)) == "2 * s * X / n"


def test_the_log_sigmoid_family_evaluates_finite() -> None:
    # log(sigmoid(z)) = -softplus(-z), log(1 - sigmoid(z)) = -softplus(z): evaluated so
    # (finite at |z| = 1000) and printed as written
    z = np.array([-1000.0, -30.0, 0.5, 30.0, 1000.0])
    for text, want in [("log(sigmoid(z))", -np.logaddexp(0, -z)),
                       ("log(1 - sigmoid(z))", -np.logaddexp(0, z)),
                       ("log(1 + exp(z))", np.logaddexp(0, z))]:
        f = mc.parse(text, shapes={"z": ("n",)})
        assert str(f) == text
        np.testing.assert_allclose(mc.evaluate(f, {"z": z}), want, rtol=1e-14)
        np.testing.assert_allclose(mc.to_numpy(f)(z=z), want, rtol=1e-14)
    for text, want in [("sum(log(sigmoid(z)))", 1 - 1 / (1 + np.exp(-z))),
                       ("sum(log(1 - sigmoid(z)))", -1 / (1 + np.exp(-z)))]:
        g = mc.diff(mc.parse(text, shapes={"z": ("n",)}), "z")  # 1 - sigmoid(z), -sigmoid(z)
        np.testing.assert_allclose(mc.evaluate(g, {"z": z}), want, rtol=1e-12, atol=1e-300)


def test_log_one_plus_exp_is_differentiated_as_softplus() -> None:
    """d log(1 + e^u) = sigmoid(u) du, as the books write it, and finite where e^u
    overflows (it was exp(z) / (1 + exp(z)): nan at z = 1000)."""
    z = np.array([1000.0, -1000.0, 0.0, 2.0])
    sig = np.array([1.0, 0.0, 0.5, 1 / (1 + np.exp(-2.0))])
    for text in ("sum(log(1 + exp(z)))", "sum(log(exp(z) + 1))"):
        f = mc.parse(text)
        g, h = mc.diff(f, "z"), mc.hessian(f, "z")
        assert str(g) == "sigmoid(z)"
        assert str(h) == "diag(sigmoid(z) * (1 - sigmoid(z)))"
        np.testing.assert_allclose(mc.evaluate(g, {"z": z}), sig, rtol=1e-12)
        np.testing.assert_allclose(mc.evaluate(h, {"z": z}), np.diag(sig * (1 - sig)),
                                   rtol=1e-12)
        assert mc.verify(f, "z").ok and mc.verify(g, "z").ok
    f = mc.parse("sum(log(1 + exp(-y * (X @ w))))/n where X: matrix(n, d)")
    assert str(mc.diff(f, "w")) == "-X.T @ (sigmoid(-y * (X @ w)) * y) / n"
    assert mc.verify(f, "w").ok
    assert str(f) == "sum(log(1 + exp(-y * (X @ w)))) / n"  # the function as written
