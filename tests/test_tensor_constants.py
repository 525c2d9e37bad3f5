"""Scalars added to order-3 operands, and fully summed disconnected operands (issue 17).

A sum ``T + c`` inside a contraction is contracted term by term; the scalar term
broadcasts over the whole operand (``c * ones(...)``) and must not be dropped.
An operand that shares no index with the rest of an ``einsum`` and is summed over
all its labels contributes its sum (for a Kronecker delta: its size).
Each value is compared with a hand NumPy computation, each derivative with
finite differences (``mc.verify``).
"""

import numpy as np
import pytest

import matcalc as mc

SIZES = {"n": 3, "m": 4, "p": 5}
DECL = " where X: matrix(n, m), u: vector(p), Z: matrix(m, p), A: matrix(n, n), c: scalar"


def values():
    rng = np.random.default_rng(1)
    return {"X": rng.normal(size=(3, 4)), "u": rng.normal(size=5),
            "Z": rng.normal(size=(4, 5)), "A": rng.normal(size=(3, 3)), "c": 1.7,
            "n": 3, "m": 4, "p": 5}


def outer(v):
    return np.einsum("ij,k->ijk", v["X"], v["u"])


VALUES = [
    ('einsum("ijk->ijk", einsum("ij,k->ijk", X, u) + 2)', lambda v: outer(v) + 2),
    ('einsum("ijk->kji", einsum("ij,k->ijk", X, u) + c)', lambda v: (outer(v) + v["c"]).T),
    ('einsum("ijk,k->ij", einsum("ij,k->ijk", X, u) - c, u)',
     lambda v: np.einsum("ijk,k->ij", outer(v) - v["c"], v["u"])),
    ('einsum("ijk->", 3 + einsum("ij,k->ijk", X, u))', lambda v: np.sum(outer(v) + 3)),
    ('(c - ones(p, m, p)) / c', lambda v: (v["c"] - np.ones((5, 4, 5))) / v["c"]),
    # fully summed disconnected operands
    ('einsum("jl->", eye(n))', lambda v: 3.0),
    ('einsum("ib,kj->jk", eye(n), Z)', lambda v: 3 * v["Z"].T),
    ('einsum("ij,ab,kl->kl", eye(n), eye(m), Z)', lambda v: 12 * v["Z"]),
    ('einsum("ij,jk->", eye(n), eye(n))', lambda v: 3.0),
    ('einsum("ij,kl->lk", A, Z)', lambda v: v["A"].sum() * v["Z"].T),
]


@pytest.mark.parametrize("text, expected", VALUES, ids=[t for t, _ in VALUES])
def test_value_matches_numpy(text, expected):
    f = mc.parse(text + DECL)
    v = values()
    assert np.allclose(mc.evaluate(f, v), expected(v))
    again = mc.parse(str(f) + DECL)  # the printed result reads back to the same value
    assert np.allclose(mc.evaluate(again, v), expected(v))


def test_scalar_term_is_kept_in_the_printed_result():
    f = mc.parse('einsum("ijk->ijk", einsum("ij,k->ijk", X, u) + 2)' + DECL)
    assert "2" in str(f)
    assert str(mc.parse('einsum("jl->", eye(n))' + DECL)) != "1"


DERIVATIVES = [
    ('sum(tanh(einsum("ij,k->ijk", X, u)))', "X"),
    ('sum(tanh(einsum("ij,k->ijk", X, u)))', "u"),
    ('sum(einsum("ij,k->ijk", X, u)^2 + einsum("ij,k->ijk", X, u))', "X"),
    ('sum((c - ones(p, m, p)) / c)', "c"),
    ('sum(((ones(n, p, n) + c)^2)^c)', "c"),
    ('sum(exp(c * einsum("ij,k->ijk", X, u) + c))', "c"),
    ('sum(einsum("ib,kj->jk", eye(n), Z) * c)', "c"),
]


@pytest.mark.parametrize("text, wrt", DERIVATIVES, ids=[f"{t}/{w}" for t, w in DERIVATIVES])
def test_derivative_matches_finite_differences(text, wrt):
    f = mc.parse(text + DECL)
    report = mc.verify(f, wrt, dims=SIZES)
    assert report.ok, str(report)
    # and the derivative read back from its text is still right
    d = mc.diff(f, wrt)
    again = mc.parse(str(d) + DECL)
    assert mc.verify(f, wrt, dims=SIZES, derivative=again).ok


def test_tanh_constant_term_on_order_three():
    f = mc.parse('sum(tanh(einsum("ij,k->ijk", X, u)))' + DECL)
    v = values()
    t = np.tanh(outer(v))
    expected = np.einsum("ijk,k->ij", 1 - t ** 2, v["u"])
    assert np.allclose(mc.evaluate(mc.diff(f, "X"), v), expected)
