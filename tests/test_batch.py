"""Batches as NumPy writes them (issue 12): broadcasting, reductions along an axis,
row-wise softmax and logsumexp, norm(x, p), pi.

Every form is checked against NumPy written out by hand at several sizes, its
derivatives against finite differences (``matcalc.verify``, orders 1 and 2 where
smooth) and against closed forms, the generated module against ``evaluate``, and
bad input against the message it must give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import matcalc as mc
from matcalc.core.errors import MatcalcError, ParseError, ShapeError

from generated import load
from katex import katex_failures

BATCH = {"X": ("n", "d"), "W": ("d", "k"), "b": ("k",), "Y": ("n", "k"), "Z": ("n", "k"),
         "x": ("k",), "c": ("n",)}
SIZES = [{"n": 1, "d": 2, "k": 3}, {"n": 4, "d": 3, "k": 2}, {"n": 5, "d": 5, "k": 5}]


def _parse(text: str) -> mc.Expr:
    names = {k: v for k, v in BATCH.items()
             if any(tok == k for tok in _tokens(text))}
    return mc.parse(text, shapes=names)


def _tokens(text: str) -> list[str]:
    import re

    return re.findall(r"[A-Za-z_]\w*", text)


def _values(sizes: dict[str, int], seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=tuple(sizes[d] for d in shape))
            for name, shape in BATCH.items()}


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# (expression, its value in plain NumPy)
FORMS: list[tuple[str, Any]] = [
    ("X @ W + b", lambda v: v["X"] @ v["W"] + v["b"]),
    ("X @ W - b'", lambda v: v["X"] @ v["W"] - v["b"][None, :]),
    ("Z * b", lambda v: v["Z"] * v["b"]),
    ("Z / exp(b)", lambda v: v["Z"] / np.exp(v["b"])),
    ("exp(b) / (1 + Z^2)", lambda v: np.exp(v["b"]) / (1 + v["Z"] ** 2)),
    ("2 - b + Z", lambda v: 2 - v["b"] + v["Z"]),
    ("sum(Z, axis=0)", lambda v: v["Z"].sum(axis=0)),
    ("sum(Z, 1)", lambda v: v["Z"].sum(axis=1)),
    ("sum(Z', axis=0)", lambda v: v["Z"].T.sum(axis=0)),
    ("mean(Z, axis=0)", lambda v: v["Z"].mean(axis=0)),
    ("mean(Z, axis=1)", lambda v: v["Z"].mean(axis=1)),
    ("mean(Z)", lambda v: v["Z"].mean()),
    ("max(Z)", lambda v: v["Z"].max()),
    ("min(Z)", lambda v: v["Z"].min()),
    ("max(Z, axis=0)", lambda v: v["Z"].max(axis=0)),
    ("max(Z, axis=1)", lambda v: v["Z"].max(axis=1)),
    ("min(Z, axis=1)", lambda v: v["Z"].min(axis=1)),
    ("min(x)", lambda v: v["x"].min()),
    ("sum(x, axis=0)", lambda v: v["x"].sum()),
    ("softmax(Z, axis=1)", lambda v: _softmax_rows(v["Z"])),
    ("softmax(Z, axis=0)", lambda v: _softmax_rows(v["Z"].T).T),
    ("logsumexp(Z, axis=1)", lambda v: np.log(np.exp(v["Z"]).sum(axis=1))),
    ("logsumexp(Z, axis=0)", lambda v: np.log(np.exp(v["Z"]).sum(axis=0))),
    ("log(softmax(Z, axis=1))", lambda v: np.log(_softmax_rows(v["Z"]))),
    ("log(softmax(Z, axis=0))", lambda v: np.log(_softmax_rows(v["Z"].T).T)),
    ("norm(x, 3)", lambda v: np.linalg.norm(v["x"], 3)),
    ("norm(x, 1.5)", lambda v: np.linalg.norm(v["x"], 1.5)),
    ("norm(x, 1)", lambda v: np.linalg.norm(v["x"], 1)),
    ("norm(x, inf)", lambda v: np.linalg.norm(v["x"], np.inf)),
    ("norm(x, ord=2)", lambda v: np.linalg.norm(v["x"])),
    ("pi * sum(x)", lambda v: np.pi * v["x"].sum()),
]


@pytest.mark.parametrize("text, numpy_value", FORMS, ids=[t for t, _ in FORMS])
def test_value_matches_numpy_at_several_sizes(text: str, numpy_value: Any) -> None:
    f = _parse(text)
    for sizes in SIZES:
        values = _values(sizes)
        got = mc.evaluate(f, {**values, **sizes})
        np.testing.assert_allclose(got, numpy_value(values), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("text", [t for t, _ in FORMS])
def test_text_reads_back(text: str) -> None:
    f = _parse(text)
    assert mc.parse(str(f), shapes={n: v.shape for n, v in f.variables().items()}) is f


# (scalar function, variable, whether it is smooth, so that order 2 is checked too)
DERIVATIVES = [
    ("sum((X @ W + b - Y)^2)", "b", True),
    ("sum((X @ W + b - Y)^2)", "W", True),
    ("sum(tanh(Z * b)^2)", "b", True),
    ("sum(Z / (2 + b^2))", "b", True),
    ("sum(sum(Z^2, axis=0) * x)", "Z", True),
    ("c' @ sum(sin(Z), axis=1)", "Z", True),
    ("sum(mean(Z^3, axis=0) * x)", "Z", True),
    ("max(Z * Z)", "Z", False),
    ("min(exp(x))", "x", False),
    ("max(Z, axis=0) @ x", "Z", False),
    ("c' @ min(Z, axis=1)", "Z", False),
    ("sum(Y * log(softmax(Z, axis=1)))", "Z", True),
    ("sum(Y * softmax(Z, axis=0))", "Z", True),
    ("c' @ logsumexp(Z, axis=1)", "Z", True),
    ("logsumexp(Z, axis=0) @ x", "Z", True),
    ("norm(x, 3)", "x", False),
    ("norm(x, 4)^2", "x", False),
    ("-sum(Y * log(softmax(X @ W + b, axis=1))) / n", "W", True),
    ("-sum(Y * log(softmax(X @ W + b, axis=1))) / n", "b", True),
    ("0.5*norm(Y - tanh(X @ W + b))^2", "b", True),
]


@pytest.mark.parametrize("text, wrt, smooth", DERIVATIVES,
                         ids=[f"{t} by {w}" for t, w, _ in DERIVATIVES])
def test_derivative_against_finite_differences(text: str, wrt: str, smooth: bool) -> None:
    f = _parse(text)
    for sizes in SIZES[1:]:
        report = mc.verify(f, wrt, dims=sizes)
        assert report.ok, str(report)
    if smooth:
        second = mc.verify(f, wrt, dims=SIZES[1], order=2)
        assert second.ok, str(second)


def test_the_bias_gradient_sums_over_the_rows() -> None:
    f = _parse("sum((X @ W + b - Y)^2)")
    d = mc.diff(f, "b")
    assert str(d) == "2 * sum(X @ W + b - Y, axis=0)"
    assert "einsum" not in str(d)
    for sizes in SIZES:
        v = _values(sizes, seed=3)
        closed = 2 * (v["X"] @ v["W"] + v["b"] - v["Y"]).sum(axis=0)
        np.testing.assert_allclose(mc.evaluate(d, v), closed, rtol=1e-12)
    # its Hessian: n copies of 2 I
    h = mc.hessian(f, "b")
    sizes = SIZES[1]
    np.testing.assert_allclose(mc.evaluate(h, {**_values(sizes), **sizes}),
                               2 * sizes["n"] * np.eye(sizes["k"]))


def test_softmax_regression_gradient_is_the_textbook_one_for_one_hot_targets() -> None:
    f = _parse("-sum(Y * log(softmax(X @ W + b, axis=1))) / n")
    dW, db = mc.diff(f, "W"), mc.diff(f, "b")
    for sizes in SIZES:
        v = _values(sizes, seed=5)
        y = np.zeros((sizes["n"], sizes["k"]))
        y[np.arange(sizes["n"]), np.arange(sizes["n"]) % sizes["k"]] = 1.0
        v["Y"] = y
        p = _softmax_rows(v["X"] @ v["W"] + v["b"])
        np.testing.assert_allclose(mc.evaluate(dW, v), v["X"].T @ (p - y) / sizes["n"],
                                   rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(mc.evaluate(db, v), (p - y).sum(axis=0) / sizes["n"],
                                   rtol=1e-10, atol=1e-13)


def test_the_gaussian_ml_loss_gradient_vanishes_at_least_squares() -> None:
    f = _parse("0.5*sum((Y - X @ W)^2)")
    d = mc.diff(f, "W")
    assert str(d) == "X.T @ (X @ W - Y)"
    v = _values({"n": 7, "d": 3, "k": 2}, seed=1)
    v["W"] = np.linalg.lstsq(v["X"], v["Y"], rcond=None)[0]
    np.testing.assert_allclose(mc.evaluate(d, v), 0, atol=1e-10)


def test_derivation_names_the_broadcast_rule() -> None:
    f = _parse("0.5*norm(Y - tanh(X @ W + b))^2")
    derivation = mc.diff(f, "b", steps=True)
    rules = [s.rule for s in derivation.steps]
    assert any(r.startswith("broadcast rule") for r in rules), rules
    assert str(derivation.result) == (
        "sum((tanh(X @ W + b) - Y) * (1 - tanh(X @ W + b)^2), axis=0)")


def test_undeclared_bias_is_a_vector_of_the_width() -> None:
    f = mc.parse("X @ W + b")
    assert f.variables()["b"].shape == (f.variables()["W"].shape[1],)
    g = mc.parse("sum((X @ W + b - Y)^2)")
    assert g.variables()["b"].ndim == 1


def _lse_rows(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


# the softmax family on entries whose exp overflows: (text, the value written stably)
STABLE: list[tuple[str, Any]] = [
    ("softmax(Z, axis=1)", _softmax_rows),
    ("softmax(Z, axis=0)", lambda z: _softmax_rows(z.T).T),
    ("logsumexp(Z, axis=1)", _lse_rows),
    ("logsumexp(Z, axis=0)", lambda z: _lse_rows(z.T)),
    ("log(softmax(Z, axis=1))", lambda z: z - _lse_rows(z)[:, None]),
]


@pytest.mark.parametrize("text, stable", STABLE, ids=[t for t, _ in STABLE])
def test_softmax_family_is_stable_for_large_entries(text: str, stable: Any,
                                                    tmp_path: Path) -> None:
    f = _parse(text)
    z = np.array([[1000.0, 999.0, -1000.0], [-800.0, -801.0, -799.0]])
    with np.errstate(over="raise"):
        got = mc.evaluate(f, {"Z": z})
        np.testing.assert_allclose(got, stable(z), rtol=1e-12)
        module = load(mc.codegen(f), tmp_path)
        (value,) = module.value_and_derivatives(Z=z)
    np.testing.assert_allclose(value, got, rtol=1e-12)


CODEGEN = [
    ("0.5*norm(Y - tanh(X @ W + b))^2", ["W", "b"]),
    ("0.5*sum((Y - X @ W)^2)", ["W"]),
    ("-sum(Y * log(softmax(X @ W + b, axis=1))) / n", ["W", "b"]),
    ("sum(max(Z, axis=0) * x) + max(Z) - min(Z, axis=1) @ c", ["Z"]),
    ("logsumexp(Z, axis=0) @ x + sum(mean(Z, axis=1) * c) + norm(x, 3) * pi", ["Z", "x"]),
]


@pytest.mark.parametrize("text, wrt", CODEGEN, ids=[t for t, _ in CODEGEN])
def test_codegen_matches_evaluate(text: str, wrt: list[str], tmp_path: Path) -> None:
    f = _parse(text)
    module = load(mc.codegen(f, wrt=wrt), tmp_path)
    for sizes in SIZES[1:]:
        v = _values(sizes, seed=2)
        used = {name: v[name] for name in f.variables()}
        value, *grads = module.value_and_derivatives(**used, **sizes)
        np.testing.assert_allclose(value, mc.evaluate(f, {**used, **sizes}), rtol=1e-10)
        for w, g in zip(wrt, grads, strict=True):
            np.testing.assert_allclose(g, mc.evaluate(mc.diff(f, w), {**used, **sizes}),
                                       rtol=1e-10, atol=1e-12)


def test_pi_is_the_number_unless_declared() -> None:
    f = mc.parse("n/2*log(2*pi) where x: vector(n)")
    assert "pi" not in f.variables()
    assert f.latex().count(r"\pi") == 1
    np.testing.assert_allclose(mc.evaluate(f, {"n": 4}), 2 * np.log(2 * np.pi))
    g = mc.parse("pi * x where pi: scalar")
    assert "pi" in g.variables()
    assert str(mc.diff(g, "pi")) == "x"


# (text, the error class, words its message must contain)
ERRORS = [
    ("A + c where A: matrix(m, n), c: vector(m)", ShapeError, "outer(c, ones(n))"),
    ("A * c' where A: matrix(m, n), c: vector(m)", ShapeError, "number of columns"),
    ("softmax(Z) where Z: matrix(m, n)", ShapeError, "softmax(Z, axis=1)"),
    ("logsumexp(Z) where Z: matrix(m, n)", ShapeError, "needs an axis"),
    ("sum(x, axis=1) where x: vector(n)", ShapeError, "its only axis is 0"),
    ("sum(X, axis=2)", ShapeError, "axes 0 (its rows) and 1 (its columns)"),
    ("max(X, axis=0.5)", ShapeError, "0 or 1"),
    ("sum(X, axis=k)", ParseError, "a whole number"),
    ("sum(X, ax=0)", ParseError, "takes the keyword axis="),
    ("sum(X, 0, axis=1)", ParseError, "given twice"),
    ("tr(X, axis=0)", ParseError, "takes no keyword arguments"),
    ("norm(x, 0.5)", ShapeError, "p >= 1 or inf"),
    ("norm(X, 3) where X: matrix(m, n)", ShapeError, "3-norm of a vector"),
    ("x + inf", ParseError, "norm(x, inf)"),
]


@pytest.mark.parametrize("text, kind, words", ERRORS, ids=[t for t, _, _ in ERRORS])
def test_bad_input_says_what_to_write(text: str, kind: type[MatcalcError], words: str) -> None:
    with pytest.raises(kind) as info:
        mc.parse(text)
    assert words in str(info.value), str(info.value)


def test_katex_accepts_the_new_forms(katex_prefix: Any) -> None:
    strings = []
    for text, _ in FORMS:
        strings.append(_parse(text).latex())
    for text, wrt, _ in DERIVATIVES:
        strings.append(mc.diff(_parse(text), wrt).latex())
    assert katex_failures(katex_prefix, strings) == []
    assert r"\max_{i}" in _parse("max(Z, axis=0)").latex()
    assert r"\sum_{j}" in _parse("sum(Z, axis=1)").latex()
