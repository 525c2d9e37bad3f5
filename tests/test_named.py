"""Named subexpressions in printed results (issue 14; SPEC section 3: ``where t0 = ...``).

A result written out in full longer than a line names its long shared parts
once; the names the user gave in ``where`` are kept in results and steps; the
text re-parses to the same expression; every printer stays linear in the size of
the DAG (issue 17), however deep the sharing.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import matcalc as mc
from matcalc.cli.app import main
from matcalc.ops import construct as c

from katex import katex_failures

NETWORK = "0.5*norm(A3 @ sigmoid(A2 @ tanh(A1 @ x)) - y)^2"
SHAPES = {"A1": ("h", "d"), "A2": ("k", "h"), "A3": ("m", "k"), "x": ("d",), "y": ("m",)}


def _shapes(e: mc.Expr) -> dict[str, Any]:
    return {k: v.shape for k, v in e.variables().items()}


def _values(seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sizes = {"h": 4, "d": 3, "k": 5, "m": 2}
    return {name: rng.normal(size=tuple(sizes[str(d)] for d in shape))
            for name, shape in SHAPES.items()}


def test_three_layer_gradient_names_its_shared_parts() -> None:
    g = mc.diff(mc.parse(NETWORK, shapes=SHAPES), "A1")
    assert str(g) == ("outer(A2.T @ (A3.T @ (A3 @ t1 - y) * t1 * (1 - t1)) * (1 - t0^2), x) "
                      "where t0 = tanh(A1 @ x), t1 = sigmoid(A2 @ t0)")
    body = str(g).split(" where ")[0]
    assert "sigmoid" not in body and "tanh" not in body  # no repeated subexpression
    assert mc.parse(str(g), shapes=_shapes(g)) is g


def test_every_gradient_of_the_network_repeats_no_long_part() -> None:
    """Issue 14's done-when: by every variable, a short result too (by A3: 60 characters
    in full) names sigmoid(A2 @ tanh(A1 @ x)) rather than writing it twice."""
    f = mc.parse(NETWORK, shapes=SHAPES)
    expected = {
        "A3": "outer(A3 @ t0 - y, t0) where t0 = sigmoid(A2 @ tanh(A1 @ x))",
        "A2": "outer(A3.T @ (A3 @ t1 - y) * t1 * (1 - t1), t0) "
              "where t0 = tanh(A1 @ x), t1 = sigmoid(A2 @ t0)",
        "x": "A1.T @ (A2.T @ (A3.T @ (A3 @ t1 - y) * t1 * (1 - t1)) * (1 - t0^2)) "
             "where t0 = tanh(A1 @ x), t1 = sigmoid(A2 @ t0)",
    }
    values = _values(1)
    for name, text in expected.items():
        g = mc.diff(f, name)
        assert str(g) == text
        assert str(g).split(" where ")[0].count("sigmoid") == 0
        again = mc.parse(str(g), shapes=_shapes(g))
        assert again is g
        np.testing.assert_allclose(mc.evaluate(again, values), mc.evaluate(g, values))
        assert mc.verify(f, name).ok


def test_user_names_are_kept_in_results_and_steps() -> None:
    f = mc.parse("0.5*norm(A3 @ f2 - y)^2 where f1 = tanh(A1 @ x), f2 = sigmoid(A2 @ f1)",
                 shapes=SHAPES)
    g = mc.diff(f, "A1")
    text = str(g)
    assert text.endswith(" where f1 = tanh(A1 @ x), f2 = sigmoid(A2 @ f1)")
    assert text.startswith("outer(A2.T @ (A3.T @ (A3 @ f2 - y) * f2 * (1 - f2)) * (1 - f1^2), x)")
    assert mc.parse(text, shapes=_shapes(g)) is g
    assert str(mc.hessian(mc.parse("sum(h) where h = tanh(A1 @ x)", shapes=SHAPES),
                          "x")).endswith("where h = tanh(A1 @ x)")
    steps = mc.diff(f, "A1", steps=True)
    assert "f2" in str(steps) and "where f1 = tanh(A1 @ x)" in str(steps)


def test_named_text_evaluates_equal() -> None:
    g = mc.diff(mc.parse(NETWORK, shapes=SHAPES), "A1")
    again = mc.parse(str(g), shapes=_shapes(g))
    values = _values()
    np.testing.assert_allclose(mc.evaluate(again, values), mc.evaluate(g, values))
    assert mc.verify(mc.parse(NETWORK, shapes=SHAPES), "A1").ok


def test_short_results_are_written_in_full() -> None:
    f = mc.parse("0.5*norm(y - tanh(A@x + b))^2")
    assert str(mc.diff(f, "b")) == "(tanh(A @ x + b) - y) * (1 - tanh(A @ x + b)^2)"


def test_latex_where_block(katex_prefix: Any) -> None:
    g = mc.diff(mc.parse(NETWORK, shapes=SHAPES), "A1")
    tex = g.latex()
    assert tex.endswith(r"\quad \text{where } t_{0} = \tanh\left(A_{1} x\right),\ "
                        r"t_{1} = \sigma\left(A_{2} t_{0}\right)")
    assert katex_failures(katex_prefix, [tex]) == []


def test_where_chain_prints_in_bounded_size() -> None:
    # t_i = t_{i-1} * exp(t_{i-1}), 30 levels: written out in full, 2^30 copies of x
    defs = ", ".join(f"t{i} = t{i - 1} * exp(t{i - 1})" for i in range(1, 31))
    e = mc.parse(f"t30 where t0 = x, {defs}", shapes={"x": ()})
    start = time.perf_counter()
    assert len(str(e)) < 10_000
    assert len(e.latex()) < 10_000
    assert mc.parse(str(e), shapes={"x": ()}) is e
    g = mc.diff(e, "x")
    assert len(str(g)) < 200_000 and len(g.latex()) < 200_000
    unnamed = c.add(e, c.var("z"))  # built, not parsed: the names are generated
    assert len(str(unnamed)) < 10_000 and " where t" in str(unnamed)
    assert mc.parse(str(unnamed), shapes={"x": (), "z": ()}) is unnamed
    assert len(mc.codegen(e, wrt=["x"])) < 200_000
    assert time.perf_counter() - start < 30


def test_cli_prints_names(capsys: Any) -> None:
    assert main(["diff", NETWORK, "--wrt", "A1"]) == 0
    out = capsys.readouterr().out
    assert " where t0 = tanh(A1 @ x), t1 = sigmoid(A2 @ t0)" in out
