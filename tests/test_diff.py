"""The differentiator: SPEC section 8 examples, printed forms, round trips, errors, growth.

(a) every first-derivative example of SPEC section 8, checked with ``mc.verify``
    and with the shape convention of section 3 (``f.shape + x.shape``);
(b) the printed forms of section 3 and the Matrix Cookbook, as exact strings;
(c) ``parse(str(g))`` gives back the very same (hash-consed) expression;
(d) what is and is not an error (section 2, "Errors on bad input");
(e) the derivative of a K-layer network stays linear in K (a DAG, not a tree).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matcalc as mc
from matcalc.core.expr import count_nodes

DIMS = {"m": 3, "n": 4, "p": 5, "q": 2, "d": 6}

LOGISTIC = ("-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n "
            "where b: scalar, X: matrix(n, d)")
GAUSSIAN = "0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu) where S: spd(n)"
LSQ = {"A": ("m", "n"), "x": ("n",), "y": ("m",)}
LAYER = {"A": ("m", "n"), "x": ("n",), "b": ("m",), "y": ("m",)}
TWO = {"W1": "matrix(p, n)", "W2": "matrix(m, p)", "x": "vector(n)", "y": "vector(m)"}
THREE = {"W1": "matrix(p, n)", "W2": "matrix(q, p)", "W3": "matrix(m, q)",
         "x": "vector(n)", "y": "vector(m)"}


def declarations(f: mc.Expr) -> dict[str, Any]:
    """``shapes=`` for every variable of ``f``, with kind strings for structured ones."""
    out: dict[str, Any] = {}
    for name, v in f.variables().items():
        out[name] = f"{v.structure}({v.shape[0]})" if v.structure else v.shape
    return out


def ex(text: str, shapes: dict[str, Any] | None, var: str, shape: tuple,
       label: str) -> Any:
    return pytest.param(text, shapes or {}, var, shape, id=f"{label}: d/d{var}")


# ---------------------------------------------------------------------------------------
# (a) SPEC section 8, first derivatives

EXAMPLES = [
    ex("0.5*norm(y - A@x)^2", LSQ, "x", ("n",), "least squares"),
    ex("0.5*norm(y - A@x)^2", LSQ, "A", ("m", "n"), "least squares"),
    ex("norm(y - Phi@theta)^2", {"Phi": ("m", "n")}, "theta", ("n",), "linear regression"),
    ex(LOGISTIC, None, "w", ("d",), "logistic regression"),
    ex(LOGISTIC, None, "b", (), "logistic regression"),
    ex("tanh(A@x + b)", LAYER, "x", ("m", "n"), "single layer"),
    ex("tanh(A@x + b)", LAYER, "b", ("m", "m"), "single layer"),
    ex("tanh(A@x + b)", LAYER, "A", ("m", "m", "n"), "single layer"),
    ex("0.5*norm(y - tanh(A@x + b))^2", LAYER, "A", ("m", "n"), "single layer loss"),
    ex("0.5*norm(y - tanh(A@x + b))^2", LAYER, "b", ("m",), "single layer loss"),
    ex("0.5*norm(y - W2@tanh(W1@x))^2", TWO, "W1", ("p", "n"), "two layers"),
    ex("0.5*norm(y - W2@tanh(W1@x))^2", TWO, "W2", ("m", "p"), "two layers"),
    ex("0.5*norm(y - W3@tanh(W2@tanh(W1@x)))^2", THREE, "W1", ("p", "n"), "three layers"),
    ex("0.5*norm(y - W3@tanh(W2@tanh(W1@x)))^2", THREE, "W2", ("q", "p"), "three layers"),
    ex("0.5*norm(y - W3@tanh(W2@tanh(W1@x)))^2", THREE, "W3", ("m", "q"), "three layers"),
    ex(GAUSSIAN, None, "mu", ("n",), "Gaussian NLL"),
    ex(GAUSSIAN, None, "S", ("n", "n"), "Gaussian NLL"),
    ex("x' @ A @ x", None, "x", ("n",), "quadratic"),
    ex("x' @ A @ x", None, "A", ("n", "n"), "quadratic"),
    ex("x' @ A @ x where A: symmetric(n)", None, "x", ("n",), "quadratic, A symmetric"),
    ex("(g'@g)/(g'@H@g)", {"g": ("n",), "H": ("n", "n")}, "g", ("n",), "optimal step size"),
    ex("(g'@g)/(g'@H@g) where H: spd(n)", None, "g", ("n",), "optimal step size, H spd"),
    ex("x^3", {"x": ()}, "x", (), "scalar rules x^n"),
    ex("sin(x)", {"x": ()}, "x", (), "scalar rules sin"),
    ex("tanh(x)", {"x": ()}, "x", (), "scalar rules tanh"),
    ex("exp(x)", {"x": ()}, "x", (), "scalar rules exp"),
    ex("log(x)", {"x": ()}, "x", (), "scalar rules log"),
    ex("sin(x)/x", {"x": ()}, "x", (), "scalar rules quotient"),
]

HESSIANS = [
    ex("0.5*norm(y - A@x)^2", LSQ, "x", ("n", "n"), "least squares Hessian"),
    ex("x' @ A @ x", None, "x", ("n", "n"), "quadratic Hessian"),
    ex("x' @ A @ x where A: symmetric(n)", None, "x", ("n", "n"), "quadratic Hessian, sym"),
]


@pytest.mark.parametrize("text, shapes, var, shape", EXAMPLES)
def test_section8_example(text, shapes, var, shape):
    f = mc.parse(text, shapes=shapes)
    g = mc.diff(f, var)
    assert g.shape == shape
    assert g.shape == f.shape + f.variables()[var].shape
    report = mc.verify(f, var)
    assert report.ok, str(report)


@pytest.mark.parametrize("text, shapes, var, shape", HESSIANS)
def test_section8_hessian(text, shapes, var, shape):
    f = mc.parse(text, shapes=shapes)
    H = mc.hessian(f, var)
    assert H.shape == shape
    report = mc.verify(f, var, order=2)
    assert report.ok, str(report)


@pytest.mark.parametrize("text, shapes, var, shape", EXAMPLES)
def test_round_trip(text, shapes, var, shape):
    f = mc.parse(text, shapes=shapes)
    g = mc.diff(f, var)
    assert mc.parse(str(g), shapes=declarations(f)) is g


@pytest.mark.parametrize("text, shapes, var, shape", HESSIANS)
def test_hessian_round_trip(text, shapes, var, shape):
    f = mc.parse(text, shapes=shapes)
    H = mc.hessian(f, var)
    assert mc.parse(str(H), shapes=declarations(f)) is H


def test_normal_equations_zero_the_gradient():
    f = mc.parse("norm(y - Phi@theta)^2", shapes={"Phi": ("m", "n")})
    g = mc.diff(f, "theta")
    rng = np.random.default_rng(0)
    Phi, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    theta = np.linalg.solve(Phi.T @ Phi, Phi.T @ y)
    assert np.allclose(mc.evaluate(g, {"Phi": Phi, "y": y, "theta": theta}), 0, atol=1e-10)
    other = theta + rng.normal(size=3)
    got = mc.evaluate(g, {"Phi": Phi, "y": y, "theta": other})
    np.testing.assert_allclose(got, -2 * Phi.T @ (y - Phi @ other), rtol=1e-12)
    assert np.linalg.norm(got) > 1e-3


def test_logistic_regression_gradient_values():
    f = mc.parse(LOGISTIC)
    rng = np.random.default_rng(1)
    X, w, b = rng.normal(size=(6, 3)), rng.normal(size=3), 0.3
    y = (rng.uniform(size=6) > 0.5).astype(float)
    s = 1 / (1 + np.exp(-(X @ w + b)))
    values = {"X": X, "w": w, "b": b, "y": y}
    np.testing.assert_allclose(mc.evaluate(mc.diff(f, "w"), values), X.T @ (s - y) / 6,
                               rtol=1e-10)
    np.testing.assert_allclose(mc.evaluate(mc.diff(f, "b"), values), np.sum(s - y) / 6,
                               rtol=1e-10)


def test_single_layer_jacobian_values():
    f = mc.parse("tanh(A@x + b)", shapes=LAYER)
    rng = np.random.default_rng(2)
    A, x, b = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    values = {"A": A, "x": x, "b": b}
    d = 1 - np.tanh(A @ x + b) ** 2
    np.testing.assert_allclose(mc.evaluate(mc.diff(f, "x"), values), np.diag(d) @ A)
    np.testing.assert_allclose(mc.evaluate(mc.diff(f, "b"), values), np.diag(d))
    np.testing.assert_allclose(mc.evaluate(mc.diff(f, "A"), values),
                               np.einsum("i,ij,k->ijk", d, np.eye(3), x))


def test_gaussian_nll_gradient_values():
    f = mc.parse(GAUSSIAN)
    rng = np.random.default_rng(3)
    B = rng.normal(size=(4, 4))
    S = B @ B.T + 4 * np.eye(4)
    x, mu = rng.normal(size=4), rng.normal(size=4)
    values = {"S": S, "x": x, "mu": mu}
    Si = np.linalg.inv(S)
    r = x - mu
    np.testing.assert_allclose(mc.evaluate(mc.diff(f, "mu"), values), -Si @ r, rtol=1e-10)
    # H = S^-1/2 - S^-1 r r' S^-1/2 is already symmetric, so (H + H')/2 = H
    np.testing.assert_allclose(mc.evaluate(mc.diff(f, "S"), values),
                               0.5 * (Si - Si @ np.outer(r, r) @ Si), rtol=1e-10)


def test_chain_rule_with_subs():
    t = {"t": ()}
    f = mc.parse("x1^2 + 2*x2", shapes={"x1": (), "x2": ()})
    h = mc.subs(f, {"x1": mc.parse("sin(t)", shapes=t), "x2": mc.parse("cos(t)", shapes=t)})
    assert set(h.variables()) == {"t"}
    g = mc.diff(h, "t")
    assert g.shape == ()
    for tv in (-1.3, 0.0, 0.7, 2.9):
        expected = 2 * np.sin(tv) * np.cos(tv) - 2 * np.sin(tv)
        assert np.isclose(mc.evaluate(g, {"t": tv}), expected, rtol=1e-12, atol=1e-14)
    assert mc.verify(h, "t").ok
    assert str(g) in ("2 * sin(t) * cos(t) - 2 * sin(t)", "2 * cos(t) * sin(t) - 2 * sin(t)")
    assert mc.parse(str(g), shapes=t) is g


# ---------------------------------------------------------------------------------------
# (b) printed forms: SPEC section 3 and the Matrix Cookbook

def form(text: str, shapes: dict[str, Any] | None, var: str, accepted: str | tuple[str, ...],
         label: str, hessian: bool = False) -> Any:
    accepted = (accepted,) if isinstance(accepted, str) else accepted
    return pytest.param(text, shapes or {}, var, accepted, hessian, id=f"{label}: d/d{var}")


FORMS = [
    form("tr(A@X@B)", None, "X", "A.T @ B.T", "MC (101)"),
    form("0.5*norm(y - A@x)^2", None, "x", ("A.T @ (A @ x - y)", "-A.T @ (y - A @ x)"),
         "least squares"),
    form("0.5*norm(y - A@x)^2", None, "A", ("outer(A @ x - y, x)", "-outer(y - A @ x, x)"),
         "least squares"),
    form("0.5*norm(y - A@x)^2", None, "x", "A.T @ A", "least squares Hessian", hessian=True),
    form("norm(y - Phi@theta)^2", None, "theta",
         ("2 * Phi.T @ (Phi @ theta - y)", "-2 * Phi.T @ (y - Phi @ theta)"),
         "linear regression"),
    form("x' @ A @ x", None, "x", "(A + A.T) @ x", "MC (81)"),
    form("x' @ A @ x where A: symmetric(n)", None, "x", "2 * A @ x", "MC (81), A symmetric"),
    form("x' @ A @ x", None, "x", "A + A.T", "quadratic Hessian", hessian=True),
    form("x' @ A @ x where A: symmetric(n)", None, "x", "2 * A", "quadratic Hessian, sym",
         hessian=True),
    form("logdet(X)", None, "X", "inv(X).T", "MC (57)"),
    form("logdet(X) where X: spd(n)", None, "X", "inv(X)", "MC (57), X spd"),
    form("tanh(A@x + b)", None, "x", "diag(1 - tanh(A @ x + b)^2) @ A", "single layer"),
    form("tanh(A@x + b)", None, "b", "diag(1 - tanh(A @ x + b)^2)", "single layer"),
    form("0.5*norm(y - tanh(A@x + b))^2", None, "b",
         ("(tanh(A @ x + b) - y) * (1 - tanh(A @ x + b)^2)",
          "(1 - tanh(A @ x + b)^2) * (tanh(A @ x + b) - y)"), "single layer loss"),
    form("0.5*norm(y - W2@tanh(W1@x))^2", None, "W2",
         ("outer(W2 @ tanh(W1 @ x) - y, tanh(W1 @ x))",
          "-outer(y - W2 @ tanh(W1 @ x), tanh(W1 @ x))"),
         "two layers"),
    form(GAUSSIAN, None, "mu", ("-inv(S) @ (x - mu)", "inv(S) @ (mu - x)"), "Gaussian NLL"),
    form(GAUSSIAN, None, "S",
         ("0.5 * (inv(S) - outer(inv(S) @ (x - mu), x - mu) @ inv(S))",
          "0.5 * inv(S) - 0.5 * outer(inv(S) @ (x - mu), x - mu) @ inv(S)"), "Gaussian NLL"),
    form("a' @ X @ b", None, "X", "outer(a, b)", "MC (70)"),
    form("a' @ X' @ b", None, "X", "outer(b, a)", "MC (71)"),
    form("x' @ x", None, "x", "2 * x", "MC (130)"),
    form("tr(X' @ X)", None, "X", "2 * X", "MC (115)"),
    form("det(X)", None, "X", "det(X) * inv(X).T", "MC (49)"),
    form("a' @ inv(X) @ b", None, "X", "-outer(inv(X).T @ a, b) @ inv(X).T", "MC (61)"),
    form("det(inv(X))", None, "X", ("-det(inv(X)) * inv(X).T", "-inv(X).T / det(X)"),
         "MC (62)"),
    form("log(det(X' @ X))", None, "X", "2 * X @ inv(X.T @ X)", "MC (55)"),
    form("det(X @ X @ X)", None, "X", "3 * det(X @ X @ X) * inv(X).T", "MC (58), k=3"),
    form("logdet(X @ X)", None, "X", "2 * inv(X).T", "logdet of a power"),
    form("norm(x)", None, "x", "x / norm(x)", "MC (128)"),
    form("logsumexp(x)", None, "x", "softmax(x)", "logsumexp"),
    form("sin(x)", {"x": ()}, "x", "cos(x)", "scalar sin"),
    form("x^3", {"x": ()}, "x", "3 * x^2", "scalar power"),
    form("tanh(x)", {"x": ()}, "x", "1 - tanh(x)^2", "scalar tanh"),
]


@pytest.mark.parametrize("text, shapes, var, accepted, hessian", FORMS)
def test_printed_form(text, shapes, var, accepted, hessian):
    f = mc.parse(text, shapes=shapes)
    g = mc.hessian(f, var) if hessian else mc.diff(f, var)
    assert str(g) in accepted


@pytest.mark.parametrize("text, shapes, var, accepted, hessian", FORMS)
def test_printed_form_round_trip(text, shapes, var, accepted, hessian):
    f = mc.parse(text, shapes=shapes)
    g = mc.hessian(f, var) if hessian else mc.diff(f, var)
    assert mc.parse(str(g), shapes=declarations(f)) is g


# ---------------------------------------------------------------------------------------
# (d) what is and is not an error

def test_name_not_in_expression_gives_zero_scalar_function():
    f = mc.parse("a' @ x")
    g = mc.diff(f, "z")
    value = mc.evaluate(g, {"a": np.ones(4), "x": np.ones(4), **DIMS})
    assert np.all(np.asarray(value) == 0)


def test_name_not_in_expression_gives_zero_vector_function():
    f = mc.parse("tanh(A@x)", shapes={"A": ("m", "n")})
    g = mc.diff(f, "z")
    assert g.shape[:1] == ("m",)
    value = np.asarray(mc.evaluate(g, {"A": np.ones((3, 4)), "x": np.ones(4), **DIMS}))
    assert value.shape[:1] == (3,)
    assert np.all(value == 0)


def test_declared_but_unused_name_gives_zero_of_its_shape():
    """SPEC section 2: declaring unused names is allowed; section 2, Errors: the derivative
    by a name that does not occur is "a zero of the right shape" — here (m,) + (p,)."""
    f = mc.parse("tanh(A@x)", shapes={"A": ("m", "n"), "z": ("p",)})
    g = mc.diff(f, "z")
    assert g.shape == ("m", "p")
    value = np.asarray(mc.evaluate(g, {"A": np.ones((3, 4)), "x": np.ones(4), **DIMS}))
    assert value.shape == (3, 5)
    assert np.all(value == 0)


@pytest.mark.parametrize("wrt", ["x+y", "2*x", "x'", "", "A@x"])
def test_diff_by_a_non_variable_is_an_error(wrt):
    f = mc.parse("0.5*norm(y - A@x)^2")
    with pytest.raises(mc.DiffError):
        mc.diff(f, wrt)


@pytest.mark.parametrize("wrt", ["m", "n"])
def test_diff_by_a_dimension_is_an_error(wrt):
    f = mc.parse("0.5*norm(y - A@x)^2", shapes={"A": ("m", "n")})
    with pytest.raises(mc.DiffError):
        mc.diff(f, wrt)


def test_diff_by_a_dimension_used_as_a_number_is_an_error():
    f = mc.parse(LOGISTIC)
    with pytest.raises(mc.DiffError):
        mc.diff(f, "n")


def test_gradient_of_a_vector_function_is_an_error():
    with pytest.raises(mc.DiffError):
        mc.gradient(mc.parse("tanh(A@x + b)"), "x")


def test_errors_are_matcalc_errors():
    assert issubclass(mc.DiffError, mc.MatcalcError)


# ---------------------------------------------------------------------------------------
# (e) the derivative of a K-layer network grows linearly in K


def network(K: int) -> str:
    body = "x"
    for k in range(1, K + 1):
        body = f"tanh(W{k} @ {body})"
    decls = ", ".join(f"W{k}: matrix(n, n)" for k in range(1, K + 1))
    return f"0.5*norm(y - {body})^2 where {decls}, x: vector(n), y: vector(n)"


def test_deep_network_derivative_is_linear_in_depth():
    counts = {K: count_nodes(mc.diff(mc.parse(network(K)), "W1")) for K in range(1, 21)}
    first, second = counts[10] - counts[5], counts[20] - counts[10]
    assert abs(second - 2 * first) <= 0.1 * 2 * first, counts
    assert all(counts[K] / K < 60 for K in counts), counts
    assert all(counts[K + 1] > counts[K] for K in range(1, 20)), counts


def test_three_layer_network_derivative_is_right():
    f = mc.parse(network(3))
    g = mc.diff(f, "W1")
    assert g.shape == ("n", "n")
    report = mc.verify(f, "W1")
    assert report.ok, str(report)
    assert mc.parse(str(g), shapes=declarations(f)) is g


# ----------------------------------------------------------------------------------------
# a constant base: log(b) b^p only for b > 0 (issue 17)


@pytest.mark.parametrize("text", ["0^x", "0.0^x", "3 * 0^(x^2 + 1)", "0^(2*x)"])
def test_a_zero_base_has_derivative_zero_not_nan(text):
    f = mc.parse(f"{text} where x: scalar")
    d = mc.diff(f, "x")
    for x in (0.5, 1.0, 2.0):
        assert mc.evaluate(d, {"x": x}) == 0.0
    g = mc.parse(f"{text} + x^3 where x: scalar")  # verified where the comparison means something
    assert mc.verify(g, "x").ok
    assert mc.verify(g, "x", order=2).ok


def test_a_zero_matrix_base_and_a_positive_base():
    f = mc.parse("sum(zeros(n)^x + x * v) where x: scalar, v: vector(n)")
    assert mc.verify(f, "x").ok
    for text in ("2^x", "0.5^(x^2)", "sum(3^x * v)"):
        assert mc.verify(mc.parse(f"{text} where x: scalar, v: vector(n)"), "x").ok, text


@pytest.mark.parametrize("text", ["(-2)^x", "(-0.5)^(x^2)", "sum((-3)^x * v)"])
def test_a_negative_base_with_a_variable_exponent_is_a_clear_error(text):
    f = mc.parse(f"{text} where x: scalar, v: vector(n)")
    with pytest.raises(mc.DiffError, match="negative"):
        mc.diff(f, "x")
