"""The SymPy second opinion: derivatives compared exactly, entry by entry, at small sizes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

import matcalc as mc
import matcalc.ops.construct as c
from matcalc.check.fuzz import check, cross_check, sample
from matcalc.check.second_opinion import entries, second_opinion

# (f, shapes, wrt, the Matrix Cookbook's answer, the equation) — sizes m=2, n=3, p=4 (DIMS)
COOKBOOK = [
    ("a' @ x", {"a": ("n",), "x": ("n",)}, "x", "a", "MC 69"),
    ("a' @ X @ b", {"a": ("m",), "X": ("m", "n"), "b": ("n",)}, "X", "a @ b'", "MC 70"),
    ("a' @ X' @ b", {"a": ("n",), "X": ("m", "n"), "b": ("m",)}, "X", "b @ a'", "MC 71"),
    ("b' @ X' @ X @ c", {"b": ("n",), "X": ("m", "n"), "c": ("n",)}, "X",
     "X @ b @ c' + X @ c @ b'", "MC 77"),
    ("x' @ B @ x", {"B": ("n", "n"), "x": ("n",)}, "x", "(B + B') @ x", "MC 81"),
    ("x' @ B @ x", {"B": ("n", "n"), "x": ("n",)}, "B", "x @ x'", "MC 81"),
    ("(A@x + b)' @ C @ (D@x + e)",
     {"A": ("m", "n"), "b": ("m",), "C": ("m", "p"), "D": ("p", "n"), "e": ("p",)}, "x",
     "A' @ C @ (D@x + e) + D' @ C' @ (A@x + b)", "MC 89"),
    ("tr(A @ X @ B)", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "p")}, "X", "A' @ B'",
     "MC 100"),
    ("tr(X' @ A)", {"A": ("m", "n"), "X": ("m", "n")}, "X", "A", "MC 101"),
    ("tr(X @ X')", {"X": ("m", "n")}, "X", "2 * X", "MC 104"),
    ("tr(X' @ B @ X)", {"X": ("m", "n"), "B": ("m", "m")}, "X", "B @ X + B' @ X", "MC 108"),
    ("det(X)", {"X": ("m", "m")}, "X", "det(X) * inv(X)'", "MC 49"),
    ("logdet(X)", {"X": ("n", "n")}, "X", "inv(X)'", "MC 57"),
    ("tr(A @ inv(X) @ B)", {"A": ("m", "n"), "X": ("n", "n"), "B": ("n", "m")}, "X",
     "-(inv(X) @ B @ A @ inv(X))'", "MC 63"),
    ("a' @ inv(X) @ b", {"a": ("n",), "X": ("n", "n"), "b": ("n",)}, "X",
     "-inv(X)' @ a @ b' @ inv(X)'", "MC 61"),
    ("norm(x - a)^2", {"x": ("n",), "a": ("n",)}, "x", "2 * (x - a)", "MC 130"),
    ("norm(X)^2", {"X": ("m", "n")}, "X", "2 * X", "MC 125"),
    ("0.5*norm(y - A@x)^2", {"A": ("m", "n"), "x": ("n",), "y": ("m",)}, "x",
     "A' @ (A@x - y)", "SPEC §3"),
    ("0.5*norm(y - A@x)^2", {"A": ("m", "n"), "x": ("n",), "y": ("m",)}, "A",
     "(A@x - y) @ x'", "least squares by A"),
    ("logsumexp(x)", {"x": ("n",)}, "x", "softmax(x)", "softmax"),
    ("tanh(A@x + b)", {"A": ("m", "n"), "x": ("n",), "b": ("m",)}, "x",
     "diag(1 - tanh(A@x + b)^2) @ A", "SPEC §3"),
    ("x' @ S @ x", {"S": "symmetric(n)", "x": ("n",)}, "S", "x @ x'", "SPEC §3, symmetric"),
    ("tr(S @ A)", {"S": "symmetric(n)", "A": ("n", "n")}, "S", "(A + A') / 2",
     "Srinivasan & Panda"),
    ("logdet(S) - x' @ inv(S) @ x", {"S": "spd(n)", "x": ("n",)}, "S",
     "inv(S) + inv(S) @ x @ x' @ inv(S)", "Gaussian likelihood"),
    ("-sum(y*log(sigmoid(X@w)) + (1-y)*log(1 - sigmoid(X@w)))",
     {"X": ("m", "n"), "w": ("n",), "y": ("m",)}, "w", "X' @ (sigmoid(X@w) - y)",
     "logistic regression"),
]


DIMS = {"m": 2, "n": 3, "p": 4}
# SymPy's entries of inv and det of an n×n matrix of symbols grow factorially with n, and
# simplifying them took half a minute at n = 3: the rows with an n×n inverse or determinant
# use n = 2, still a general (non-symmetric) matrix, with m = 3 so the sizes stay distinct
SMALL_INVERSES = {"m": 3, "n": 2, "p": 4}
SMALL_INVERSE_ROWS = {"MC 57", "MC 61", "MC 63"}


@pytest.mark.parametrize("text,shapes,wrt,answer,ref", COOKBOOK,
                         ids=[f"{r}: d/d{w} {t}" for t, _, w, _, r in COOKBOOK])
def test_cookbook_identity_and_matcalc_agree_with_sympy(text, shapes, wrt, answer, ref):
    f = mc.parse(text, shapes=shapes)
    dims = SMALL_INVERSES if ref in SMALL_INVERSE_ROWS else DIMS
    book = mc.parse(answer, shapes={**shapes, **{k: v for k, v in
                                                 _shapes_of(f).items() if k not in shapes}})
    theirs = second_opinion(f, wrt, dims=dims, mode="symbolic", derivative=book)
    assert theirs.ok, f"the table entry itself: {theirs}"
    mine = second_opinion(f, wrt, dims=dims, mode="symbolic")
    assert mine.ok, str(mine)
    assert mine.compared > 0


def _shapes_of(f):
    from matcalc.check.fuzz import shapes_of

    return shapes_of(f)


@pytest.mark.parametrize("text,shapes,wrt", [
    ("x' @ A @ x", {"A": ("n", "n")}, "x"),
    ("logdet(S) where S: spd(n)", {}, "S"),
    ("logsumexp(x)", {}, "x"),
    ("0.5*norm(y - A@x)^2", {"A": ("m", "n")}, "x"),
])
def test_hessians_agree_with_sympy(text, shapes, wrt):
    f = mc.parse(text, shapes=shapes)
    for mode in ("symbolic", "point"):
        r = second_opinion(f, wrt, dims={"m": 2, "n": 2}, order=2, mode=mode)
        assert r.ok, str(r)


def test_order_three_and_four_tensors_agree_with_sympy():
    f = mc.parse("tanh(A@x + b)")
    assert second_opinion(f, "A", dims={"m": 2, "n": 3}).ok
    X = mc.parse("inv(X)", shapes={"X": ("n", "n")})
    r = second_opinion(X, "X", dims={"n": 2}, mode="symbolic")
    assert r.ok and r.compared == 16


@pytest.mark.parametrize("mode", ["symbolic", "point"])
def test_wrong_derivatives_disagree(mode):
    f = mc.parse("x' @ B @ x", shapes={"B": ("n", "n")})
    B = f.variables()["B"]
    x = f.variables()["x"]
    wrong = c.mul(c.const(2), c.matmul(B, x))  # ignores B's asymmetry
    r = second_opinion(f, "x", mode=mode, derivative=wrong)
    assert not r.ok and r.mismatches
    g = mc.parse("x' @ S @ x where S: symmetric(n)")
    cookbook = mc.parse("2*x@x' - diag(diag(x@x'))", shapes={"x": ("n",)})
    assert not second_opinion(g, "S", mode=mode, derivative=cookbook).ok
    near = c.mul(c.const("1.000001"), mc.diff(f, "x"))  # exact: even 1e-6 is wrong
    assert not second_opinion(f, "x", mode=mode, derivative=near).ok


def test_entries_expand_every_operator():
    """The SymPy expansion agrees with NumPy on an expression using every operator."""
    import numpy as np
    import sympy

    f = mc.parse('sum(softmax(x) * diag(S)) + logsumexp(x) + tr(kron(S, eye(n))) / 4 + norm1(x) '
                 '+ norminf(vec(A)) + einsum("ij,jk,ki->", A, S, A.T) + det(S) + logdet(S) '
                 "+ sum(inv(S) @ x) + dot(x, ismax(x)) + sum(relu(x) + step(x) + sign(x)) "
                 "+ sum(abs(A) ^ 1.5) + sum(sigmoid(x) + softplus(x)) + sqrt(norm(A)) "
                 "+ sum(tan(x) + tanh(x) + sinh(x) + cosh(x) + sin(x) + cos(x) + exp(-x)) "
                 "+ x' @ outer(x, x) @ x + sum(zeros(n, n) @ ones(n)) + n where S: spd(n)",
                 shapes={"A": ("m", "n")})
    rng = np.random.default_rng(0)
    B = rng.normal(size=(2, 2))
    values = {"x": rng.uniform(0.1, 1, 2), "S": B @ B.T + 2 * np.eye(2),
              "A": rng.normal(size=(3, 2))}
    env = {k: np.array([sympy.Rational(str(round(v, 6))) for v in np.ravel(a)],
                       dtype=object).reshape(np.shape(a)) for k, a in values.items()}
    exact = {k: np.array([float(v) for v in e.flat]).reshape(e.shape) for k, e in env.items()}
    got = entries(f, env, {"m": 3, "n": 2})[()]
    assert abs(float(sympy.N(got, 30)) - float(mc.evaluate(f, exact))) < 1e-9


def test_fuzzer_expressions_agree_with_sympy():
    """A bounded number of the fuzzer's expressions, every first derivative, at a point."""
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(120):
            s = sample(21, i)
            if check(s, seed=i).kind != "pass":
                continue  # failures of other checks are reported by test_fuzz
            outcome = cross_check(s, seed=i)
            assert outcome.kind != "sympy" and not outcome.failed, \
                f"{s.describe()}\n{outcome.detail}"
            compared += outcome.derivatives
    assert compared >= 100


def test_piecewise_constant_functions_and_big_determinants():
    """sign/step have derivative 0 away from 0; det of transcendental entries stays fast."""
    f = mc.parse("sign(inv(P) @ v + 1.5 * v)", shapes={"P": "spd(m)", "v": ("m",)})
    assert second_opinion(f, "P", seed=19298, mode="point").ok
    assert second_opinion(mc.parse("sum(abs(A@x))"), "x", order=2, mode="point").ok
    g = mc.parse("log(det(sqrt(sigmoid(C))' @ sqrt(sigmoid(C)) + I))", shapes={"C": ("n", "m")})
    r = second_opinion(g, "C", mode="point")
    assert r.ok and r.seconds < 30


@pytest.mark.parametrize("text,wrt", [
    ("logdet(diag(y))", "y"),           # found by the fuzzer: matcalc says n / y
    ("sum(kron(X, eye(n)))", "X"),      # found by the fuzzer: matcalc says ones(n, n)
])
def test_found_by_the_fuzzer_agree_with_sympy(text, wrt):
    f = mc.parse(text, shapes={"y": ("n",), "X": ("n", "n")})
    assert second_opinion(f, wrt, mode="symbolic").ok


def test_registered_function_has_a_second_opinion():
    """A user's function is a SymPy function with its derivative: its record says so."""
    t = sympy.Symbol("t")
    mc.register_function("swish", sympy.diff(t / (1 + sympy.exp(-t)), t),
                         numpy_fn=lambda v: v / (1 + np.exp(-v)))
    f = mc.parse("sum(swish(x))", shapes={"x": ("n",)})
    assert second_opinion(f, "x", mode="point").ok
    assert second_opinion(mc.parse("sum(swish(A @ x))"), "A", mode="point").ok


@pytest.mark.parametrize("text", ["sum(reshape(A, m*n) * kron(u, x))",
                                  "u' @ unvec(kron(u, x), m, n) @ x",
                                  "sum(ismax(A @ x) * (A @ x))"])
def test_reshaping_operators_agree_with_sympy(text):
    f = mc.parse(text, shapes={"A": ("m", "n"), "u": ("m",), "x": ("n",)})
    assert second_opinion(f, "A", mode="point").ok
    assert second_opinion(f, "x", mode="point").ok
