"""Textbook algebra (issue 14): results read as the Cookbook and the notes write them.

Exact printed forms, each derivative also checked numerically by ``verify``.
References: the Matrix Cookbook (MC), section 10.2 (Kronecker products).
"""

from __future__ import annotations

from typing import Any

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
    ("det(kron(A, X))", "X", "det(A)^n * m * det(X)^m * inv(X).T"),
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
