"""User-defined elementwise functions with a SymPy derivative work everywhere."""

import numpy as np
import pytest
import sympy as sp

import matcalc as mc


def test_registered_function_differentiates_evaluates_and_verifies():
    t = sp.Symbol("t")
    sigmoid = 1 / (1 + sp.exp(-t))
    mc.register_function("swish", sp.diff(t * sigmoid, t),
                         numpy_fn=lambda v: v / (1 + np.exp(-v)))
    f = mc.parse("sum(swish(A@x))")
    g = mc.diff(f, "x")
    assert g.shape == ("n",)
    assert mc.verify(f, "x").ok
    assert mc.verify(f, "A").ok
    assert mc.parse(str(g), shapes={"A": ("m", "n"), "x": ("n",)}) is g
    rng = np.random.default_rng(0)
    A, x = rng.normal(size=(3, 4)), rng.normal(size=4)
    u = A @ x
    s = 1 / (1 + np.exp(-u))
    np.testing.assert_allclose(mc.evaluate(g, {"A": A, "x": x}), A.T @ (s + u * s * (1 - s)))


def test_function_without_derivative_raises_diff_error():
    mc.register_function("mystery", None, numpy_fn=np.sin)
    f = mc.parse("sum(mystery(x))")
    assert np.isclose(mc.evaluate(f, {"x": np.array([0.5, 1.0])}), np.sin(0.5) + np.sin(1.0))
    with pytest.raises(mc.DiffError):
        mc.diff(f, "x")


def test_builtin_functions_cannot_be_redefined():
    with pytest.raises(mc.MatcalcError):
        mc.register_function("tanh", sp.Integer(1))
