"""The differentiator against the Matrix Cookbook (Petersen & Pedersen, 2012), section 2.

Each row is one identity: the expression, the variable, and the Cookbook's closed
form written in NumPy.  Every row is checked twice:

* ``mc.verify`` (central finite differences at matcalc's own random inputs), and
* the closed form, evaluated with NumPy at seeded random inputs, against
  ``mc.evaluate(mc.diff(f, var), values)``.

"MC (n)" is equation n of the Cookbook.  Sizes are distinct (m=3, n=4, p=5) so a
swapped axis or a missing transpose cannot pass by accident, and matrices that are
not declared symmetric are drawn non-symmetric for the same reason.

For a variable declared ``symmetric``/``spd`` the expected gradient is the
symmetric gradient of SPEC section 3, ``G = (H + H')/2`` with ``H`` the Cookbook's
closed form for an unstructured matrix — not the Cookbook's own section 2.8 form
``H + H' - diag(diag(H))``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import matcalc as mc

DIMS = {"m": 3, "n": 4, "p": 5}

inv = np.linalg.inv
det = np.linalg.det
pinv = np.linalg.pinv
outer = np.outer


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


V = dict[str, Any]


def case(eq: str, text: str, var: str, closed: Callable[[V], np.ndarray],
         shapes: dict[str, Any] | None = None, invertible: str = "", positive: str = "",
         prep: Callable[[V], None] | None = None) -> Any:
    """One row: ``eq`` is the Cookbook reference, used as the test id with the text."""
    return pytest.param(text, shapes or {}, var, closed, invertible.split(), positive.split(),
                        prep, id=f"{eq}: d/d{var} {text}")


def _negate_first_row(v: V) -> None:
    v["X"] = v["X"].copy()
    v["X"][0] *= -1.0  # det(X) < 0: logdet is log|det X| and its gradient is still inv(X)'


CASES = [
    # ---- 2.4.1 first order: linear forms -------------------------------------------
    case("MC (69)", "a' @ x", "x", lambda v: v["a"],
         {"a": ("n",), "x": ("n",)}),
    case("MC (69)", "x' @ a", "x", lambda v: v["a"],
         {"a": ("n",), "x": ("n",)}),
    case("MC (69)", "dot(a, x)", "x", lambda v: v["a"],
         {"a": ("n",), "x": ("n",)}),
    case("MC (70)", "a' @ X @ b", "X", lambda v: outer(v["a"], v["b"]),
         {"a": ("m",), "X": ("m", "n"), "b": ("n",)}),
    case("MC (71)", "a' @ X' @ b", "X", lambda v: outer(v["b"], v["a"]),
         {"a": ("n",), "X": ("m", "n"), "b": ("m",)}),
    case("MC (72)", "a' @ X @ a", "X", lambda v: outer(v["a"], v["a"]),
         {"a": ("n",), "X": ("n", "n")}),
    case("MC (72)", "a' @ X' @ a", "X", lambda v: outer(v["a"], v["a"]),
         {"a": ("n",), "X": ("n", "n")}),
    case("MC (70), a=b=1", "sum(X)", "X", lambda v: np.ones((3, 4)),
         {"X": ("m", "n")}),
    # ---- 2.4.2 second order: quadratic forms ---------------------------------------
    case("MC (77)", "b' @ X' @ X @ c", "X",
         lambda v: v["X"] @ (outer(v["b"], v["c"]) + outer(v["c"], v["b"])),
         {"X": ("m", "n"), "b": ("n",), "c": ("n",)}),
    case("MC (78)", "(B@x + b)' @ C @ (D@x + d)", "x",
         lambda v: v["B"].T @ v["C"] @ (v["D"] @ v["x"] + v["d"])
         + v["D"].T @ v["C"].T @ (v["B"] @ v["x"] + v["b"]),
         {"x": ("n",), "B": ("m", "n"), "b": ("m",), "C": ("m", "p"), "D": ("p", "n"),
          "d": ("p",)}),
    case("MC (81)", "x' @ B @ x", "x", lambda v: (v["B"] + v["B"].T) @ v["x"],
         {"x": ("n",), "B": ("n", "n")}),
    case("MC (81), B symmetric", "x' @ B @ x where B: symmetric(n)", "x",
         lambda v: 2 * v["B"] @ v["x"], {"x": ("n",)}),
    case("MC (72) via x'Bx", "x' @ B @ x", "B", lambda v: outer(v["x"], v["x"]),
         {"x": ("n",), "B": ("n", "n")}),
    case("MC (82)", "b' @ X' @ D @ X @ c", "X",
         lambda v: v["D"].T @ v["X"] @ outer(v["b"], v["c"])
         + v["D"] @ v["X"] @ outer(v["c"], v["b"]),
         {"X": ("m", "n"), "D": ("m", "m"), "b": ("n",), "c": ("n",)}),
    case("MC (83)", "(X@b + c)' @ D @ (X@b + c)", "X",
         lambda v: outer((v["D"] + v["D"].T) @ (v["X"] @ v["b"] + v["c"]), v["b"]),
         {"X": ("m", "n"), "b": ("n",), "c": ("m",), "D": ("m", "m")}),
    case("MC (130)", "x' @ x", "x", lambda v: 2 * v["x"], {"x": ("n",)}),
    # ---- 2.5.1 traces, first order ---------------------------------------------------
    case("MC (99)", "tr(X)", "X", lambda v: np.eye(4), {"X": ("n", "n")}),
    case("MC (99)", "trace(X)", "X", lambda v: np.eye(4), {"X": ("n", "n")}),
    case("MC (100)", "tr(X @ A)", "X", lambda v: v["A"].T,
         {"X": ("m", "n"), "A": ("n", "m")}),
    case("MC (100), cyclic", "tr(A @ X)", "X", lambda v: v["A"].T,
         {"A": ("n", "m"), "X": ("m", "n")}),
    case("MC (101)", "tr(A @ X @ B)", "X", lambda v: v["A"].T @ v["B"].T,
         {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "p")}),
    case("MC (102)", "tr(A @ X' @ B)", "X", lambda v: v["B"] @ v["A"],
         {"A": ("p", "n"), "X": ("m", "n"), "B": ("m", "p")}),
    case("MC (103)", "tr(X' @ A)", "X", lambda v: v["A"],
         {"X": ("m", "n"), "A": ("m", "n")}),
    case("MC (104)", "tr(A @ X')", "X", lambda v: v["A"],
         {"A": ("m", "n"), "X": ("m", "n")}),
    # ---- 2.5.2 traces, second order --------------------------------------------------
    case("MC (106)", "tr(X @ X)", "X", lambda v: 2 * v["X"].T, {"X": ("n", "n")}),
    case("MC (107)", "tr(X @ X @ B)", "X", lambda v: (v["X"] @ v["B"] + v["B"] @ v["X"]).T,
         {"X": ("n", "n"), "B": ("n", "n")}),
    case("MC (108)", "tr(X' @ B @ X)", "X", lambda v: (v["B"] + v["B"].T) @ v["X"],
         {"X": ("m", "n"), "B": ("m", "m")}),
    case("MC (109)", "tr(B @ X @ X')", "X", lambda v: (v["B"] + v["B"].T) @ v["X"],
         {"X": ("m", "n"), "B": ("m", "m")}),
    case("MC (110)", "tr(X @ X' @ B)", "X", lambda v: (v["B"] + v["B"].T) @ v["X"],
         {"X": ("m", "n"), "B": ("m", "m")}),
    case("MC (111)", "tr(X @ B @ X')", "X", lambda v: v["X"] @ (v["B"] + v["B"].T),
         {"X": ("m", "n"), "B": ("n", "n")}),
    case("MC (112)", "tr(B @ X' @ X)", "X", lambda v: v["X"] @ (v["B"] + v["B"].T),
         {"X": ("m", "n"), "B": ("n", "n")}),
    case("MC (113)", "tr(X' @ X @ B)", "X", lambda v: v["X"] @ (v["B"] + v["B"].T),
         {"X": ("m", "n"), "B": ("n", "n")}),
    case("MC (114)", "tr(A @ X @ B @ X)", "X",
         lambda v: v["A"].T @ v["X"].T @ v["B"].T + v["B"].T @ v["X"].T @ v["A"].T,
         {"A": ("n", "m"), "X": ("m", "n"), "B": ("n", "m")}),
    case("MC (115)", "tr(X' @ X)", "X", lambda v: 2 * v["X"], {"X": ("m", "n")}),
    case("MC (115)", "tr(X @ X')", "X", lambda v: 2 * v["X"], {"X": ("m", "n")}),
    case("MC (116)", "tr(B' @ X' @ C @ X @ B)", "X",
         lambda v: (v["C"] + v["C"].T) @ v["X"] @ v["B"] @ v["B"].T,
         {"X": ("m", "n"), "C": ("m", "m"), "B": ("n", "p")}),
    case("MC (117)", "tr(X' @ B @ X @ C)", "X",
         lambda v: v["B"] @ v["X"] @ v["C"] + v["B"].T @ v["X"] @ v["C"].T,
         {"X": ("m", "n"), "B": ("m", "m"), "C": ("n", "n")}),
    case("MC (118)", "tr(A @ X @ B @ X' @ C)", "X",
         lambda v: v["A"].T @ v["C"].T @ v["X"] @ v["B"].T + v["C"] @ v["A"] @ v["X"] @ v["B"],
         {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "n"), "C": ("m", "p")}),
    case("MC (119)", "tr((A @ X @ B + C) @ (A @ X @ B + C)')", "X",
         lambda v: 2 * v["A"].T @ (v["A"] @ v["X"] @ v["B"] + v["C"]) @ v["B"].T,
         {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "m"), "C": ("p", "m")}),
    # ---- 2.5.4 traces with inverses, 2.2 inverses -------------------------------------
    case("MC (124) = (63)", "tr(A @ inv(X) @ B)", "X",
         lambda v: -inv(v["X"]).T @ v["A"].T @ v["B"].T @ inv(v["X"]).T,
         {"A": ("p", "n"), "X": ("n", "n"), "B": ("n", "p")}, invertible="X"),
    case("MC (64)", "tr(inv(X + A))", "X",
         lambda v: -(inv(v["X"] + v["A"]) @ inv(v["X"] + v["A"])).T,
         {"X": ("n", "n"), "A": ("n", "n")}, invertible="X A"),
    case("MC (64), A=0", "tr(inv(X))", "X", lambda v: -(inv(v["X"]) @ inv(v["X"])).T,
         {"X": ("n", "n")}, invertible="X"),
    case("MC (61)", "a' @ inv(X) @ b", "X",
         lambda v: -inv(v["X"]).T @ outer(v["a"], v["b"]) @ inv(v["X"]).T,
         {"a": ("n",), "X": ("n", "n"), "b": ("n",)}, invertible="X"),
    case("MC (62)", "det(inv(X))", "X", lambda v: -det(inv(v["X"])) * inv(v["X"]).T,
         {"X": ("n", "n")}, invertible="X"),
    # ---- 2.1 determinants --------------------------------------------------------------
    case("MC (49)", "det(X)", "X", lambda v: det(v["X"]) * inv(v["X"]).T,
         {"X": ("n", "n")}, invertible="X"),
    case("MC (51)", "det(A @ X @ B)", "X",
         lambda v: det(v["A"] @ v["X"] @ v["B"]) * inv(v["X"]).T,
         {"A": ("n", "n"), "X": ("n", "n"), "B": ("n", "n")}, invertible="A X B"),
    case("MC (52)", "det(X' @ A @ X)", "X",
         lambda v: 2 * det(v["X"].T @ v["A"] @ v["X"]) * inv(v["X"]).T,
         {"X": ("n", "n"), "A": ("n", "n")}, invertible="X A"),
    case("MC (53)", "det(X' @ A @ X) where A: spd(p)", "X",
         lambda v: 2 * det(v["X"].T @ v["A"] @ v["X"]) * v["A"] @ v["X"]
         @ inv(v["X"].T @ v["A"] @ v["X"]),
         {"X": ("p", "n")}),
    case("MC (54)", "det(X' @ A @ X)", "X",
         lambda v: det(v["X"].T @ v["A"] @ v["X"])
         * (v["A"] @ v["X"] @ inv(v["X"].T @ v["A"] @ v["X"])
            + v["A"].T @ v["X"] @ inv(v["X"].T @ v["A"].T @ v["X"])),
         {"X": ("p", "n"), "A": ("p", "p")}, invertible="A"),
    case("MC (55)", "log(det(X' @ X))", "X", lambda v: 2 * pinv(v["X"]).T,
         {"X": ("p", "n")}),
    case("MC (57)", "logdet(X)", "X", lambda v: inv(v["X"]).T,
         {"X": ("n", "n")}, invertible="X"),
    case("MC (57), det<0", "logdet(X)", "X", lambda v: inv(v["X"]).T,
         {"X": ("n", "n")}, invertible="X", prep=_negate_first_row),
    case("MC (57)", "log(det(X))", "X", lambda v: inv(v["X"]).T,
         {"X": ("n", "n")}, invertible="X"),
    case("MC (58), k=3", "det(X @ X @ X)", "X",
         lambda v: 3 * det(v["X"]) ** 3 * inv(v["X"]).T,
         {"X": ("n", "n")}, invertible="X"),
    # ---- 2.6, 2.7 norms ------------------------------------------------------------------
    case("MC (128)", "norm(x - a)", "x",
         lambda v: (v["x"] - v["a"]) / np.linalg.norm(v["x"] - v["a"]),
         {"x": ("n",), "a": ("n",)}),
    case("MC (128), a=0", "norm(x)", "x", lambda v: v["x"] / np.linalg.norm(v["x"]),
         {"x": ("n",)}),
    case("MC (129)", "(x - a) / norm(x - a)", "x",
         lambda v: np.eye(4) / np.linalg.norm(v["x"] - v["a"])
         - outer(v["x"] - v["a"], v["x"] - v["a"]) / np.linalg.norm(v["x"] - v["a"]) ** 3,
         {"x": ("n",), "a": ("n",)}),
    case("MC (130)", "norm(x)^2", "x", lambda v: 2 * v["x"], {"x": ("n",)}),
    case("MC (131)", "norm(X)^2", "X", lambda v: 2 * v["X"], {"X": ("m", "n")}),
    # ---- basic rules (33)-(45): Hadamard products, elementwise functions ---------------
    case("MC (38)", "sum(x * y)", "x", lambda v: v["y"], {"x": ("n",), "y": ("n",)}),
    case("MC (38)", "x * y", "x", lambda v: np.diag(v["y"]), {"x": ("n",), "y": ("n",)}),
    case("MC (38)", "sum(sin(X) * A)", "X", lambda v: np.cos(v["X"]) * v["A"],
         {"X": ("m", "n"), "A": ("m", "n")}),
    case("elementwise exp", "exp(x)", "x", lambda v: np.diag(np.exp(v["x"])), {"x": ("n",)}),
    case("elementwise tanh", "tanh(x)", "x", lambda v: np.diag(1 - np.tanh(v["x"]) ** 2),
         {"x": ("n",)}),
    case("elementwise sigmoid", "sigmoid(x)", "x",
         lambda v: np.diag(_sigmoid(v["x"]) * (1 - _sigmoid(v["x"]))), {"x": ("n",)}),
    case("elementwise sqrt", "sqrt(x)", "x", lambda v: np.diag(0.5 / np.sqrt(v["x"])),
         {"x": ("n",)}, positive="x"),
    case("elementwise quotient", "x / y", "y", lambda v: np.diag(-v["x"] / v["y"] ** 2),
         {"x": ("n",), "y": ("n",)}, positive="y"),
    case("elementwise power", "sum(x^3)", "x", lambda v: 3 * v["x"] ** 2, {"x": ("n",)}),
    case("elementwise log", "sum(log(x))", "x", lambda v: 1 / v["x"], {"x": ("n",)},
         positive="x"),
    case("elementwise exp", "sum(exp(X))", "X", lambda v: np.exp(v["X"]), {"X": ("m", "n")}),
    # ---- softmax, log-sum-exp (not in the Cookbook; the standard ML identities) ----------
    case("logsumexp", "logsumexp(x)", "x", lambda v: _softmax(v["x"]), {"x": ("n",)}),
    case("logsumexp, chain", "logsumexp(A @ x)", "x",
         lambda v: v["A"].T @ _softmax(v["A"] @ v["x"]), {"A": ("m", "n"), "x": ("n",)}),
    case("softmax Jacobian", "softmax(x)", "x",
         lambda v: np.diag(_softmax(v["x"])) - outer(_softmax(v["x"]), _softmax(v["x"])),
         {"x": ("n",)}),
    case("cross-entropy", "y' @ log(softmax(x))", "x",
         lambda v: v["y"] - v["y"].sum() * _softmax(v["x"]), {"x": ("n",), "y": ("n",)}),
    # ---- symmetric / spd variables: G = (H + H')/2 (SPEC section 3) --------------------
    case("MC (70), X symmetric", "a' @ X @ b where X: symmetric(n)", "X",
         lambda v: outer(v["a"], v["b"]), {"a": ("n",), "b": ("n",)}),
    case("MC (72), X symmetric", "a' @ X @ a where X: symmetric(n)", "X",
         lambda v: outer(v["a"], v["a"]), {"a": ("n",)}),
    case("MC (99), X symmetric", "tr(X) where X: symmetric(n)", "X", lambda v: np.eye(4)),
    case("MC (100), X symmetric", "tr(A @ X)", "X", lambda v: v["A"].T,
         {"A": ("n", "n"), "X": "symmetric(n)"}),
    case("MC (101), X symmetric", "tr(A @ X @ B) where X: symmetric(n)", "X",
         lambda v: v["A"].T @ v["B"].T, {"A": ("p", "n"), "B": ("n", "p")}),
    case("MC (106), X symmetric", "tr(X @ X) where X: symmetric(n)", "X",
         lambda v: 2 * v["X"].T),
    case("MC (108), X symmetric", "tr(X' @ B @ X) where X: symmetric(n)", "X",
         lambda v: (v["B"] + v["B"].T) @ v["X"], {"B": ("n", "n")}),
    case("MC (131), X symmetric", "norm(X)^2 where X: symmetric(n)", "X",
         lambda v: 2 * v["X"]),
    case("MC (49), X spd", "det(X) where X: spd(n)", "X",
         lambda v: det(v["X"]) * inv(v["X"]).T),
    case("MC (57), X spd", "logdet(X) where X: spd(n)", "X", lambda v: inv(v["X"]).T),
    case("MC (57), X spd", "log(det(X))", "X", lambda v: inv(v["X"]).T, {"X": "spd(n)"}),
    case("MC (61), X spd", "a' @ inv(X) @ b where X: spd(n)", "X",
         lambda v: -inv(v["X"]).T @ outer(v["a"], v["b"]) @ inv(v["X"]).T,
         {"a": ("n",), "b": ("n",)}),
    case("MC (124), X spd", "tr(A @ inv(X) @ B) where X: spd(n)", "X",
         lambda v: -inv(v["X"]).T @ v["A"].T @ v["B"].T @ inv(v["X"]).T,
         {"A": ("p", "n"), "B": ("n", "p")}),
    case("MC (64), X spd", "tr(inv(X)) where X: spd(n)", "X",
         lambda v: -(inv(v["X"]) @ inv(v["X"])).T),
]


def _size(d: Any) -> int:
    if isinstance(d, int):
        return d
    return DIMS[d]


def draw(f: mc.Expr, invertible: list[str], positive: list[str], seed: int = 0) -> V:
    """Seeded inputs: spd/symmetric as declared, other matrices non-symmetric."""
    rng = np.random.default_rng(seed)
    values: V = {}
    for name, v in sorted(f.variables().items()):
        shape = tuple(_size(d) for d in v.shape)
        if v.structure == "spd":
            B = rng.normal(size=shape)
            values[name] = B @ B.T + shape[0] * np.eye(shape[0])
        elif v.structure == "symmetric":
            B = rng.normal(size=shape)
            values[name] = (B + B.T) / 2 + (shape[0] * np.eye(shape[0]) if name in invertible
                                            else 0.0)
        elif name in invertible:  # non-symmetric, well conditioned, det > 0
            values[name] = rng.normal(size=shape) + shape[0] * np.eye(shape[0])
        elif name in positive:
            values[name] = rng.uniform(0.5, 1.5, size=shape)
        elif shape == ():
            values[name] = float(rng.normal())
        else:
            values[name] = rng.normal(size=shape)
    return values


@pytest.mark.parametrize("text, shapes, var, closed, invertible, positive, prep", CASES)
def test_finite_differences(text, shapes, var, closed, invertible, positive, prep):
    f = mc.parse(text, shapes=shapes)
    report = mc.verify(f, var, dims=DIMS)
    assert report.ok, str(report)


@pytest.mark.parametrize("text, shapes, var, closed, invertible, positive, prep", CASES)
def test_closed_form(text, shapes, var, closed, invertible, positive, prep):
    f = mc.parse(text, shapes=shapes)
    x = f.variables()[var]
    g = mc.diff(f, var)
    assert g.shape == f.shape + x.shape
    values = draw(f, invertible, positive)
    if prep is not None:
        prep(values)
    values.update(DIMS)  # results such as eye(n), ones(m, n) name no variable to size them
    expected = np.asarray(closed(values), dtype=float)
    if x.structure:  # symmetric gradient, SPEC section 3
        expected = (expected + expected.T) / 2
    got = np.asarray(mc.evaluate(g, values), dtype=float)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10)


def test_table_covers_the_brief():
    assert len(CASES) >= 45
    structured = [p for p in CASES if "symmetric" in str(p.values[0]) + str(p.values[1])
                  or "spd" in str(p.values[0]) + str(p.values[1])]
    assert len(structured) >= 8


def test_symmetric_gradient_is_not_the_cookbook_form():
    """SPEC section 3: (H + H')/2, not H + H' - diag(diag(H)) (they differ on the diagonal)."""
    f = mc.parse("a' @ X @ b where X: symmetric(n)", shapes={"a": ("n",), "b": ("n",)})
    values = draw(f, [], [])
    H = outer(values["a"], values["b"])
    got = mc.evaluate(mc.diff(f, "X"), values)
    np.testing.assert_allclose(got, (H + H.T) / 2, rtol=1e-12)
    assert not np.allclose(got, H + H.T - np.diag(np.diag(H)))
    # the directional derivative along a symmetric direction is tr(G' dX)
    rng = np.random.default_rng(1)
    D = rng.normal(size=(4, 4))
    dX = D + D.T
    assert np.isclose(np.sum(got * dX), values["a"] @ dX @ values["b"])


@pytest.mark.parametrize("text, shapes, var, closed, invertible, positive, prep", CASES)
def test_round_trip(text, shapes, var, closed, invertible, positive, prep):
    """SPEC section 3: parse(str(g)) gives back an equal (here: the same) expression."""
    f = mc.parse(text, shapes=shapes)
    g = mc.diff(f, var)
    declared = {name: f"{v.structure}({v.shape[0]})" if v.structure else v.shape
                for name, v in f.variables().items()}
    assert mc.parse(str(g), shapes=declared) is g
