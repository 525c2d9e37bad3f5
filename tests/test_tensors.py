"""Order-3 and order-4 derivatives, Hessians of any order, and both layouts (issue 4).

Every result is evaluated and compared with central finite differences of the
original expression (for Hessians, of the gradient's value computed
independently below), at distinct sizes so that a swapped index fails.
"""

import numpy as np
import pytest

import matcalc as mc

DIMS = {"m": 3, "n": 4, "p": 5, "q": 2}


def fd_jacobian(fn, values, wrt, h=1e-5):
    """Central differences of fn (numpy callable of keyword values) by values[wrt]."""
    x0 = np.asarray(values[wrt], dtype=float)
    out = []
    for idx in np.ndindex(*x0.shape):
        plus, minus = dict(values), dict(values)
        e = np.zeros_like(x0)
        e[idx] = h
        plus[wrt], minus[wrt] = x0 + e, x0 - e
        out.append((np.asarray(fn(**plus)) - np.asarray(fn(**minus))) / (2 * h))
    value_shape = np.asarray(fn(**values)).shape
    stacked = np.stack(out, axis=-1)
    return stacked.reshape(value_shape + x0.shape)


def random_values(f, seed=0):
    rng = np.random.default_rng(seed)
    values = {}
    for name, v in f.variables().items():
        shape = tuple(DIMS.get(d, d) if isinstance(d, str) else d for d in v.shape)
        if v.structure == "spd":
            B = rng.normal(size=shape)
            values[name] = B @ B.T + shape[0] * np.eye(shape[0])
        elif v.structure == "symmetric":
            B = rng.normal(size=shape)
            values[name] = B + B.T
        else:
            values[name] = rng.normal(size=shape)
    return values


TENSOR_CASES = [
    # (expression, variable, expected shape)
    ("tanh(A@x + b)", "A", ("m", "m", "n")),
    ("A@x", "A", ("m", "m", "n")),
    ("A@X", "X", ("m", "p", "n", "p")),
    ("X@X where X: matrix(n, n)", "X", ("n", "n", "n", "n")),
    ("inv(X) where X: matrix(n, n)", "X", ("n", "n", "n", "n")),
    ("X'", "X", ("n", "m", "m", "n")),
    ("X@x", "x", ("m", "n")),
    ("X@diag(x)@X' where X: matrix(m, n)", "x", ("m", "m", "n")),
    ("sigmoid(W@x) * (W@x)", "W", ("m", "m", "n")),
    ("A@X@B where A: matrix(m, n), X: matrix(n, p), B: matrix(p, q)", "X", ("m", "q", "n", "p")),
]


@pytest.mark.parametrize("text,wrt,shape", TENSOR_CASES)
def test_tensor_derivatives_match_finite_differences(text, wrt, shape):
    f = mc.parse(text)
    d = mc.diff(f, wrt)
    assert d.shape == shape
    values = random_values(f)
    if "inv" in text:
        values["X"] = values["X"] + 4 * np.eye(values["X"].shape[0])
    expected = fd_jacobian(mc.to_numpy(f), values, wrt)
    got = mc.evaluate(d, values)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert mc.verify(f, wrt, dims=DIMS).ok


def test_single_layer_shapes_and_matrix_forms():
    f = mc.parse("tanh(A@x + b)")
    by_x, by_b, by_A = mc.diff(f, "x"), mc.diff(f, "b"), mc.diff(f, "A")
    assert by_x.shape == ("m", "n")
    assert by_b.shape == ("m", "m")
    assert by_A.shape == ("m", "m", "n")
    assert str(by_x) == "diag(1 - tanh(A @ x + b)^2) @ A"
    assert str(by_b) == "diag(1 - tanh(A @ x + b)^2)"
    assert str(by_A).startswith("einsum(")  # no matrix form: index notation
    for wrt in "xbA":
        assert mc.verify(f, wrt, dims={"m": 3, "n": 4}).ok


def test_scalar_loss_through_order3_intermediate_is_a_matrix():
    f = mc.parse("0.5*norm(y - tanh(A@x + b))^2")
    g = mc.diff(f, "A")
    assert g.shape == ("m", "n")
    assert "einsum" not in str(g)
    values = random_values(f)
    t = np.tanh(values["A"] @ values["x"] + values["b"])
    closed = -np.outer((values["y"] - t) * (1 - t**2), values["x"])
    np.testing.assert_allclose(mc.evaluate(g, values), closed, rtol=1e-10)


def grad_hess_check(text, wrt, expected_text=None, dims=DIMS):
    f = mc.parse(text)
    g = mc.gradient(f, wrt)
    H = mc.hessian(f, wrt)
    values = random_values(f)
    # the gradient's value, computed independently of H, differentiated numerically
    fd = fd_jacobian(mc.to_numpy(g), values, wrt)
    np.testing.assert_allclose(mc.evaluate(H, values), fd, rtol=1e-6, atol=1e-7)
    assert mc.verify(f, wrt, order=2, dims=dims).ok
    if expected_text is not None:
        assert str(H) == expected_text
    return H


def test_hessian_of_quadratic_form():
    H = grad_hess_check("x' @ A @ x", "x", "A + A.T")
    assert H.shape == ("n", "n")


def test_hessian_of_quadratic_form_symmetric():
    grad_hess_check("x' @ A @ x where A: symmetric(n)", "x", "2 * A")


def test_hessian_of_least_squares():
    grad_hess_check("0.5*norm(y - A@x)^2", "x", "A.T @ A")


def test_hessian_of_logistic_loss():
    text = ("-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n "
            "where X: matrix(n, d), b: scalar")
    f = mc.parse(text)
    H = mc.hessian(f, "w")
    assert H.shape == ("d", "d")
    assert str(H) == ("X.T @ diag(sigmoid(X @ w + b) * (1 - sigmoid(X @ w + b))) @ X / n")
    rng = np.random.default_rng(1)
    X, w, y = rng.normal(size=(6, 3)), rng.normal(size=3), rng.uniform(size=6)
    values = {"X": X, "w": w, "y": y, "b": 0.3}
    s = 1 / (1 + np.exp(-(X @ w + 0.3)))
    closed = X.T @ np.diag(s * (1 - s)) @ X / 6
    np.testing.assert_allclose(mc.evaluate(H, values), closed, rtol=1e-10)
    g = mc.gradient(f, "w")
    np.testing.assert_allclose(mc.evaluate(H, values), fd_jacobian(mc.to_numpy(g), values, "w"),
                               rtol=1e-6, atol=1e-8)


def test_hessian_by_a_matrix_is_order_4():
    H = grad_hess_check("tr(X' @ A @ X)", "X")
    assert H.shape == ("n", "p", "n", "p") or H.ndim == 4


def test_hessian_of_gaussian_nll_by_mu():
    f = mc.parse("0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu) where S: spd(n)")
    H = mc.hessian(f, "mu")
    assert str(H) == "inv(S)"


def test_mixed_and_third_derivatives():
    f = mc.parse("0.5*norm(y - A@x)^2")
    mixed = mc.diff(mc.diff(f, "A"), "x")
    assert mixed.shape == ("m", "n", "n")
    values = random_values(f)
    fd = fd_jacobian(mc.to_numpy(mc.diff(f, "A")), values, "x")
    np.testing.assert_allclose(mc.evaluate(mixed, values), fd, rtol=1e-6, atol=1e-7)
    cubic = mc.parse("sum(x^3)")
    third = mc.diff(mc.hessian(cubic, "x"), "x")
    assert third.shape == ("n", "n", "n")
    v = {"x": np.array([1.0, -2.0, 0.5, 3.0])}
    fd3 = fd_jacobian(mc.to_numpy(mc.hessian(cubic, "x")), v, "x")
    np.testing.assert_allclose(mc.evaluate(third, v), fd3, rtol=1e-6, atol=1e-6)


def test_optimal_step_size_expression():
    # the Taylor-series argument: step (g'g)/(g'Hg) for f = x'Ax
    f = mc.parse("x' @ A @ x where A: spd(n)")
    g = mc.gradient(f, "x")
    H = mc.hessian(f, "x")
    step = mc.parse("(g'@g)/(g'@H@g) where H: symmetric(n)")
    expr = mc.subs(step, {"g": g, "H": H})
    values = random_values(f)
    gv = 2 * values["A"] @ values["x"]
    np.testing.assert_allclose(mc.evaluate(expr, values),
                               gv @ gv / (gv @ (2 * values["A"]) @ gv), rtol=1e-12)


@pytest.mark.parametrize("text,wrt", [
    ("0.5*norm(y - A@x)^2", "x"),
    ("x' @ A @ x", "x"),
    ("tanh(A@x + b)", "x"),
    ("0.5*norm(y - A@x)^2", "A"),
])
def test_layouts_present_the_same_numbers(text, wrt):
    f = mc.parse(text)
    den = mc.diff(f, wrt)
    num = mc.diff(f, wrt, layout="numerator")
    values = random_values(f)
    a, b = mc.evaluate(den, values), mc.evaluate(num, values)
    if f.shape == () and den.ndim == 1:
        assert num.shape == (1, den.shape[0])  # a row, as in Mathematics for Machine Learning
        np.testing.assert_allclose(b.reshape(-1), a)
    else:
        assert num.shape == den.shape
        np.testing.assert_allclose(a, b)


def test_layout_is_checked():
    with pytest.raises(mc.DiffError):
        mc.diff(mc.parse("x' @ x"), "x", layout="sideways")
