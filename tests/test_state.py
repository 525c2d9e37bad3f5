"""No state leaks between parses (issue 17).

Nodes are hash-consed: ``a * 0`` and ``b * 0`` are the same node ``0``.  The
declarations of unused variables noted for a node come from the newest parse
of it only, so an earlier, unrelated parse cannot decide a later result.
"""

import gc

import numpy as np
import pytest

import matcalc as mc


def test_notebook_scenario_earlier_parse_alive():
    f1 = mc.parse("a * 0 where a: scalar, y: vector(n)")
    f2 = mc.parse("b * 0 where b: scalar, y: matrix(m, p)")
    d = mc.diff(f2, "y")
    assert d.shape == ("m", "p")
    assert np.array_equal(mc.evaluate(d, {"b": 1.0, "y": np.ones((2, 3))}), np.zeros((2, 3)))
    del f1


@pytest.mark.parametrize("first, second, shape, value", [
    ("y: vector(n)", "y: matrix(m, p)", ("m", "p"), np.ones((2, 3))),
    ("y: matrix(m, p)", "y: vector(n)", ("n",), np.ones(4)),
    ("y: matrix(m, p)", "y: scalar", (), 2.0),
    ("y: scalar", "y: matrix(p, p)", ("p", "p"), np.ones((3, 3))),
])
def test_newest_declaration_decides(first, second, shape, value):
    kept = [mc.parse(f"a * 0 where a: scalar, {first}")]
    f = mc.parse(f"b * 0 where b: scalar, {second}")
    d = mc.diff(f, "y")
    assert d.shape == shape
    assert np.allclose(mc.evaluate(d, {"b": 1.0, "y": value}), np.zeros(np.shape(value)))
    assert kept


def test_same_declaration_alone_and_after_another():
    alone = mc.diff(mc.parse("b * 0 where b: scalar, y: matrix(m, p)"), "y")
    gc.collect()
    kept = mc.parse("a * 0 where a: scalar, y: vector(n), z: vector(q)")
    after = mc.diff(mc.parse("b * 0 where b: scalar, y: matrix(m, p)"), "y")
    assert alone.shape == after.shape == ("m", "p")
    # z was declared by the other parse only: unknown here, a scalar 0 (not zeros(q))
    assert mc.diff(mc.parse("b * 0 where b: scalar, y: matrix(m, p)"), "z").shape == ()
    assert kept is not None


def test_a_parse_without_unused_declarations_forgets_earlier_ones():
    kept = mc.parse("a * 0 where a: scalar, y: vector(n)")
    f = mc.parse("b * 0 where b: scalar")
    assert mc.diff(f, "y").shape == ()  # y is unknown to this parse: not zeros(n)
    assert kept is not None


def test_unused_declared_variable_still_differentiates():
    f = mc.parse("sum(x) where x: vector(n), W: matrix(n, m)")
    d = mc.diff(f, "W")
    assert d.shape == ("n", "m")
    assert np.array_equal(mc.evaluate(d, {"x": np.ones(3), "W": np.ones((3, 2))}),
                          np.zeros((3, 2)))
    assert mc.verify(f, "x").ok
