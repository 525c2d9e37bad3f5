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


@pytest.mark.parametrize("name", ["sum", "I", "where", "tr", "inv", "eye", "einsum", "exp",
                                  "ｓｕｍ"])
def test_names_of_the_language_cannot_be_registered(name):
    with pytest.raises(mc.MatcalcError, match="already a name"):
        mc.register_function(name, sp.Integer(1), numpy_fn=np.ones_like)


HOSTILE = [
    "__import__('os').getpid()",
    "__import__('pathlib').Path({path!r}).write_text('x')",
    "globals().__setitem__('PWNED', 1)",
    "exec('import os')",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_derivative_is_never_executed(text, tmp_path):
    path = tmp_path / "pwned"
    with pytest.raises(mc.MatcalcError):
        mc.register_function("hostile", text.format(path=str(path)), numpy_fn=np.sin)
    with pytest.raises(mc.MatcalcError):  # nor text inside another object
        mc.register_function("hostile", [text.format(path=str(path))], numpy_fn=np.sin)
    assert not path.exists() and "PWNED" not in globals()


def logistic_np(v):
    return 1 / (1 + np.exp(-v))


@pytest.mark.parametrize("derivative, symbol", [
    ("exp(-t) / (1 + exp(-t))^2", None),
    ("exp(-u) / (1 + exp(-u))^2", "u"),
    ("1 / (1 + exp(-x)) * (1 - 1 / (1 + exp(-x)))", "ｘ"),
])
def test_a_derivative_in_the_language(derivative, symbol):
    mc.register_function("logistic", derivative, numpy_fn=logistic_np, symbol=symbol)
    f = mc.parse("sum(logistic(A@x))")
    assert mc.verify(f, "x").ok and mc.verify(f, "A").ok
    g = mc.diff(mc.parse("logistic(y)", shapes={"y": ()}), "y")
    value = mc.evaluate(g, {"y": 0.3})
    assert np.isclose(value, logistic_np(0.3) * (1 - logistic_np(0.3)))


def test_a_text_derivative_names_its_argument_and_nothing_else():
    with pytest.raises(mc.MatcalcError, match="several variables"):
        mc.register_function("g2", "x * y", numpy_fn=np.sin)
    with pytest.raises(mc.MatcalcError, match="only its argument"):
        mc.register_function("g2", "x * y", numpy_fn=np.sin, symbol="x")
    with pytest.raises(mc.MatcalcError, match="could not be read"):
        mc.register_function("g2", "x +", numpy_fn=np.sin)
    with pytest.raises(mc.MatcalcError, match="no SymPy form"):
        mc.register_function("g2", "sigmoid(x) * (1 - sigmoid(x))", numpy_fn=np.sin)
