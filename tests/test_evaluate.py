"""``evaluate`` and ``to_numpy`` (SPEC section 4) against hand-written NumPy.

Every operator and function, at random inputs whose dimensions all differ
(m=3, n=4, p=5), so that a swapped axis cannot pass; scalar results are NumPy
scalars with ``.shape == ()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import matcalc as mc

M, N, P = 3, 4, 5
SHAPES: dict[str, Any] = {
    "s": (), "t": (),
    "x": ("n",), "y": ("n",), "u": ("m",), "w": ("p",),
    "A": ("m", "n"), "B": ("n", "p"), "C": ("n", "n"), "F": ("m", "n"),
    "S": "symmetric(n)", "Q": "spd(n)",
}


def inputs(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    r = rng.uniform
    sym = r(-1, 1, (N, N))
    spd = r(-1, 1, (N, N))
    return {
        "s": r(0.5, 1.5), "t": r(-1.5, -0.5),
        "x": r(0.5, 1.5, N), "y": r(-1.5, 1.5, N), "u": r(-1.5, 1.5, M), "w": r(-1, 1, P),
        "A": r(-1, 1, (M, N)), "B": r(-1, 1, (N, P)), "C": r(-1, 1, (N, N)) + 3 * np.eye(N),
        "F": r(0.5, 1.5, (M, N)),
        "S": sym + sym.T, "Q": spd @ spd.T + N * np.eye(N),
    }


def sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def softmax(z: Any) -> Any:
    e = np.exp(z - z.max())
    return e / e.sum()


def ismax(z: Any) -> Any:
    out = np.zeros_like(z)
    out.flat[np.argmax(z)] = 1
    return out


Case = tuple[str, Callable[[dict[str, Any]], Any]]
CASES: list[Case] = [
    # arithmetic and broadcasting with scalars
    ("x + y", lambda v: v["x"] + v["y"]),
    ("x - y", lambda v: v["x"] - v["y"]),
    ("-x", lambda v: -v["x"]),
    ("A + s", lambda v: v["A"] + v["s"]),
    ("s - A", lambda v: v["s"] - v["A"]),
    ("x * y", lambda v: v["x"] * v["y"]),
    ("s * A", lambda v: v["s"] * v["A"]),
    ("A * F", lambda v: v["A"] * v["F"]),
    ("x / y", lambda v: v["x"] / v["y"]),
    ("A / F", lambda v: v["A"] / v["F"]),
    ("A / s", lambda v: v["A"] / v["s"]),
    ("s / t", lambda v: v["s"] / v["t"]),
    ("x ^ 2", lambda v: v["x"] ** 2),
    ("x ** 3", lambda v: v["x"] ** 3),
    ("F ^ 0.5", lambda v: v["F"] ** 0.5),
    ("x ^ s", lambda v: v["x"] ** v["s"]),
    ("s ^ t", lambda v: v["s"] ** v["t"]),
    ("x ^ -1", lambda v: 1 / v["x"]),
    # matrix products, rows and columns
    ("A @ x", lambda v: v["A"] @ v["x"]),
    ("A @ B", lambda v: v["A"] @ v["B"]),
    ("A @ B @ w", lambda v: v["A"] @ v["B"] @ v["w"]),
    ("u @ A", lambda v: v["u"] @ v["A"]),
    ("x @ y", lambda v: v["x"] @ v["y"]),
    ("x' @ y", lambda v: v["x"] @ v["y"]),
    ("x' @ C @ y", lambda v: v["x"] @ v["C"] @ v["y"]),
    ("u' @ A @ B @ w", lambda v: v["u"] @ v["A"] @ v["B"] @ v["w"]),
    ("x @ u'", lambda v: np.outer(v["x"], v["u"])),
    ("x'", lambda v: v["x"][None, :]),
    ("x.T @ B", lambda v: (v["x"] @ v["B"])[None, :]),
    ("(x' @ B)'", lambda v: v["x"] @ v["B"]),
    ("A'", lambda v: v["A"].T),
    ("A.T @ u", lambda v: v["A"].T @ v["u"]),
    ("(A @ B)'", lambda v: (v["A"] @ v["B"]).T),
    ("x @ x' @ C", lambda v: np.outer(v["x"], v["x"]) @ v["C"]),
    ("u' @ (u @ x') @ B", lambda v: (v["u"] @ v["u"]) * (v["x"] @ v["B"])[None, :]),
    ("A @ x @ u", lambda v: (v["A"] @ v["x"]) @ v["u"]),
    ("(A @ x) @ (A @ x)", lambda v: (v["A"] @ v["x"]) @ (v["A"] @ v["x"])),
    ("x @ (B @ w @ x')", lambda v: v["x"] @ np.outer(v["B"] @ v["w"], v["x"])),
    ("2 * x' @ y", lambda v: 2 * (v["x"] @ v["y"])),
    ("S @ x", lambda v: v["S"] @ v["x"]),
    ("S' - S", lambda v: v["S"].T - v["S"]),
    # elementwise functions
    ("exp(A)", lambda v: np.exp(v["A"])),
    ("log(F)", lambda v: np.log(v["F"])),
    ("sin(x)", lambda v: np.sin(v["x"])),
    ("cos(x)", lambda v: np.cos(v["x"])),
    ("tan(y)", lambda v: np.tan(v["y"])),
    ("tanh(A @ x + u)", lambda v: np.tanh(v["A"] @ v["x"] + v["u"])),
    ("sinh(y)", lambda v: np.sinh(v["y"])),
    ("cosh(y)", lambda v: np.cosh(v["y"])),
    ("sqrt(F)", lambda v: np.sqrt(v["F"])),
    ("abs(A)", lambda v: np.abs(v["A"])),
    ("sigmoid(y)", lambda v: sigmoid(v["y"])),
    ("softplus(y)", lambda v: np.log1p(np.exp(v["y"]))),
    ("relu(A)", lambda v: np.maximum(v["A"], 0)),
    ("sign(A)", lambda v: np.sign(v["A"])),
    ("step(A)", lambda v: (v["A"] > 0).astype(float)),
    ("exp(s)", lambda v: np.exp(v["s"])),
    # reductions and matrix functions
    ("sum(A)", lambda v: v["A"].sum()),
    ("sum(x')", lambda v: v["x"].sum()),
    ("norm(x)", lambda v: np.linalg.norm(v["x"])),
    ("norm(A)", lambda v: np.linalg.norm(v["A"], "fro")),
    ("norm1(y)", lambda v: np.abs(v["y"]).sum()),
    ("norm1(A)", lambda v: np.abs(v["A"]).sum()),
    ("norminf(y)", lambda v: np.abs(v["y"]).max()),
    ("norminf(A)", lambda v: np.abs(v["A"]).max()),
    ("tr(C)", lambda v: np.trace(v["C"])),
    ("trace(A' @ F)", lambda v: np.trace(v["A"].T @ v["F"])),
    ("det(C)", lambda v: np.linalg.det(v["C"])),
    ("logdet(C)", lambda v: np.linalg.slogdet(v["C"])[1]),
    ("logdet(-Q)", lambda v: np.linalg.slogdet(-v["Q"])[1]),  # log |det|
    ("log(det(Q))", lambda v: np.log(np.linalg.det(v["Q"]))),
    ("inv(C)", lambda v: np.linalg.inv(v["C"])),
    ("inv(Q) @ x", lambda v: np.linalg.solve(v["Q"], v["x"])),
    ("inv(C)'", lambda v: np.linalg.inv(v["C"]).T),
    ("diag(x)", lambda v: np.diag(v["x"])),
    ("diag(C)", lambda v: np.diag(v["C"])),
    ("diag(A @ B @ B' @ A')", lambda v: np.diag(v["A"] @ v["B"] @ v["B"].T @ v["A"].T)),
    ("dot(x, y)", lambda v: v["x"] @ v["y"]),
    ("outer(u, x)", lambda v: np.outer(v["u"], v["x"])),
    ("softmax(y)", lambda v: softmax(v["y"])),
    ("logsumexp(y)", lambda v: np.log(np.exp(v["y"]).sum())),
    ("kron(A, B)", lambda v: np.kron(v["A"], v["B"])),
    ("kron(u, x)", lambda v: np.kron(v["u"], v["x"])),
    ("vec(A)", lambda v: v["A"].reshape(-1, order="F")),
    ("vec(x')", lambda v: v["x"]),
    ("ismax(y)", lambda v: ismax(v["y"])),
    ("ismax(A)", lambda v: ismax(v["A"])),
    # constants and dimensions
    ("C + I", lambda v: v["C"] + np.eye(N)),
    ("I @ x", lambda v: v["x"]),
    ("eye(n) * s", lambda v: np.eye(N) * v["s"]),
    ("eye(2) * s", lambda v: np.eye(2) * v["s"]),
    ("ones(m) + u", lambda v: 1 + v["u"]),
    ("ones(m, n) * s", lambda v: np.full((M, N), v["s"])),
    ("zeros(m, n) + A", lambda v: v["A"]),
    ("x - x", lambda v: np.zeros(N)),
    ("A @ x - A @ x + u", lambda v: v["u"]),
    ("sum(x) / n", lambda v: v["x"].mean()),
    ("m * n + s", lambda v: M * N + v["s"]),
    # einsum
    ('einsum("ij,jk->ik", A, B)', lambda v: v["A"] @ v["B"]),
    ('einsum("ij->ji", A)', lambda v: v["A"].T),
    ('einsum("ij,j->i", A, x)', lambda v: v["A"] @ v["x"]),
    ('einsum("i,i->", x, y)', lambda v: v["x"] @ v["y"]),
    ('einsum("ii", C)', lambda v: np.trace(v["C"])),
    ('einsum("ii->i", C)', lambda v: np.diag(v["C"])),
    ('einsum("i,j->ij", u, w)', lambda v: np.outer(v["u"], v["w"])),
    ('einsum("ij,ij->", A, F)', lambda v: (v["A"] * v["F"]).sum()),
    ('einsum("ij,jk", A, B)', lambda v: v["A"] @ v["B"]),
    ('einsum("ii", ones(m, m))', lambda v: float(M)),
    ('einsum("ij,jk->ik", ones(m, m), A)', lambda v: np.ones((M, M)) @ v["A"]),
    # the examples of SPEC section 8
    ("0.5*norm(u - A@x)^2", lambda v: 0.5 * np.sum((v["u"] - v["A"] @ v["x"]) ** 2)),
    ("x' @ C @ x", lambda v: v["x"] @ v["C"] @ v["x"]),
    ("0.5*logdet(Q) + 0.5*(x - y)' @ inv(Q) @ (x - y)",
     lambda v: 0.5 * np.linalg.slogdet(v["Q"])[1]
     + 0.5 * (v["x"] - v["y"]) @ np.linalg.solve(v["Q"], v["x"] - v["y"])),
    ("-sum(u*log(sigmoid(A@x + s)) + (1-u)*log(1 - sigmoid(A@x + s)))/m",
     lambda v: -np.mean(v["u"] * np.log(sigmoid(v["A"] @ v["x"] + v["s"]))
                        + (1 - v["u"]) * np.log(1 - sigmoid(v["A"] @ v["x"] + v["s"])))),
    ("(x'@y)/(x'@C@x)", lambda v: (v["x"] @ v["y"]) / (v["x"] @ v["C"] @ v["x"])),
]


def _check(text: str, reference: Callable[[dict[str, Any]], Any], seed: int) -> None:
    e = mc.parse(text, shapes=SHAPES)
    values = inputs(seed)
    want = np.asarray(reference(values), dtype=float)
    got = mc.evaluate(e, values)
    fast = mc.to_numpy(e)(**values)
    sizes = {"m": M, "n": N, "p": P}
    shape = tuple(d if isinstance(d, int) else int(np.prod([sizes.get(f, 0) or int(f)
                                                          for f in d.split("*")]))
                  for d in e.shape)
    for out in (got, fast):
        assert isinstance(out, np.ndarray | np.floating), type(out)
        assert out.shape == want.shape == shape
        np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("text, reference", CASES, ids=[t for t, _ in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_value_matches_numpy(text: str, reference: Callable[[dict[str, Any]], Any],
                             seed: int) -> None:
    _check(text, reference, seed)


def test_scalar_results_are_numpy_scalars_of_shape_empty() -> None:
    e = mc.parse("x' @ C @ x", shapes=SHAPES)
    out = mc.evaluate(e, inputs(0))
    assert isinstance(out, np.floating)
    assert out.shape == ()
    assert mc.evaluate(mc.parse("2 + 3"), {}).shape == ()
    assert isinstance(mc.evaluate(mc.parse("2 + 3"), {}), np.floating)


def test_scalars_may_be_python_numbers_or_zero_dimensional_arrays() -> None:
    e = mc.parse("s * x", shapes=SHAPES)
    x = np.arange(1.0, 5.0)
    for s in (2, 2.0, np.float32(2), np.array(2.0)):
        np.testing.assert_allclose(mc.evaluate(e, {"s": s, "x": x}), 2 * x)
    np.testing.assert_allclose(mc.evaluate(e, {"s": 2, "x": [1, 2, 3, 4]}), 2 * x)


def test_a_dimension_of_size_one_is_still_a_matrix() -> None:
    """(m, n) with m == 1 at run time is a matrix, not a row: rows come from the symbols."""
    e = mc.parse("(A @ x)' @ u + sum(A' @ u)", shapes=SHAPES)
    A, x, u = np.ones((1, 4)), np.arange(4.0), np.array([2.0])
    want = (A @ x) @ u + np.sum(A.T @ u)
    np.testing.assert_allclose(mc.evaluate(e, {"A": A, "x": x, "u": u}), want)
    outer = mc.parse("x @ u'", shapes=SHAPES)
    assert mc.evaluate(outer, {"x": x, "u": u}).shape == (4, 1)


def test_dimensions_are_read_off_the_arrays() -> None:
    e = mc.parse("sum(x) / n + ones(n)' @ x", shapes={"x": ("n",)})
    for n in (2, 7):
        x = np.arange(float(n))
        np.testing.assert_allclose(mc.evaluate(e, {"x": x}), x.mean() + x.sum())


def test_to_numpy_is_built_once_and_called_many_times() -> None:
    f = mc.to_numpy(mc.parse("tanh(A@x + u)", shapes=SHAPES))
    for seed in range(5):
        v = inputs(seed)
        np.testing.assert_allclose(f(A=v["A"], x=v["x"], u=v["u"]),
                                   np.tanh(v["A"] @ v["x"] + v["u"]))
    assert f.__doc__ and "tanh" in f.__doc__


def test_deep_expressions_evaluate() -> None:
    text = "x"
    for _ in range(1000):
        text = f"tanh(C @ {text} + y)"
    e = mc.parse(text, shapes=SHAPES)
    v = inputs(0)
    want = v["x"]
    for _ in range(1000):
        want = np.tanh(v["C"] @ want + v["y"])
    np.testing.assert_allclose(mc.evaluate(e, v), want, rtol=1e-9)


def test_shared_subexpressions_are_computed_once() -> None:
    calls = 0

    def counting_exp(z: Any) -> Any:
        nonlocal calls
        calls += 1
        return np.exp(z)

    mc.register_function("countexp", None, counting_exp)
    text = "t5 where t0 = countexp(x), " + ", ".join(
        f"t{i} = t{i - 1} * t{i - 1}" for i in range(1, 6))
    e = mc.parse(text, shapes=SHAPES)
    out = mc.evaluate(e, {"x": np.ones(N)})
    np.testing.assert_allclose(out, np.exp(32.0) * np.ones(N))
    assert calls == 1


def test_inverse_of_a_singular_matrix_is_a_clear_error() -> None:
    """NumPy's LinAlgError becomes a MatcalcError naming the node (never a traceback)."""
    f = mc.parse("x' @ inv(X) @ x")
    with pytest.raises(mc.EvaluationError, match=r"cannot evaluate inv\(X\): Singular matrix"):
        mc.evaluate(f, {"X": np.zeros((3, 3)), "x": np.ones(3)})
    with pytest.raises(mc.MatcalcError):
        mc.to_numpy(f)(X=np.ones((2, 2)), x=np.ones(2))


# ----------------------------------------------------------------------------------------
# values that break a declared structure are refused (issue 17)

_ASYMMETRIC = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
_INDEFINITE = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # eigenvalue -1


@pytest.mark.parametrize("kind", ["symmetric", "spd"])
@pytest.mark.parametrize("text", ["x' @ S @ x", "tr(S)", "sum(S @ x)"])
def test_a_non_symmetric_value_for_a_symmetric_variable_is_refused(kind, text):
    f = mc.parse(f"{text} where S: {kind}(n), x: vector(n)")
    x = np.ones(3)
    exprs = [f, mc.diff(f, "x"), mc.diff(f, "S")]
    for expr in [e for e in exprs if "S" in e.variables()]:  # (a derivative may lose S)
        with pytest.raises(mc.ShapeError, match="not symmetric"):
            mc.evaluate(expr, {"S": _ASYMMETRIC, "x": x})
        with pytest.raises(mc.ShapeError, match="not symmetric"):
            mc.to_numpy(expr)(S=_ASYMMETRIC, x=x)
    tiny = _INDEFINITE + np.eye(3) * 3 + np.triu(np.full((3, 3), 1e-12), 1)  # rounding noise
    mc.evaluate(f, {"S": tiny, "x": x})


def test_the_gradient_by_x_with_a_symmetric_s_is_right_for_a_symmetric_value():
    f = mc.parse("x' @ S @ x where S: symmetric(n), x: vector(n)")
    S = (_ASYMMETRIC + _ASYMMETRIC.T) / 2
    assert np.allclose(mc.evaluate(mc.diff(f, "x"), {"S": S, "x": np.ones(3)}), 2 * S @ np.ones(3))


@pytest.mark.parametrize("value", [_INDEFINITE, -np.eye(3), np.zeros((3, 3))])
def test_an_indefinite_value_for_an_spd_variable_is_refused(value):
    for text in ("logdet(S)", "x' @ S @ x", "tr(inv(S))"):
        f = mc.parse(f"{text} where S: spd(n), x: vector(n)")
        with pytest.raises(mc.ShapeError, match="positive definite"):
            mc.evaluate(f, {"S": value, "x": np.ones(3)})
        with pytest.raises(mc.ShapeError, match="positive definite"):
            mc.to_numpy(f)(S=value, x=np.ones(3))
    sym = mc.parse("tr(S) where S: symmetric(n)")
    assert mc.evaluate(sym, {"S": value}) == np.trace(value)  # symmetric only: accepted
