"""The round trip of SPEC section 5, and parsing checked against NumPy, on random expressions.

``parse(str(e))`` must give back the very same object (expressions are hash-consed),
and the value of a parsed expression must be what NumPy computes from the tree the
text was drawn from — which checks the parser's precedence and associativity and
every canonicalising rewrite of the constructors at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import DECLS, SHAPES, SIZES, Case, cases, values

import matcalc as mc

# derandomized: the suite is the same on every run (CI stays reproducible); explore
# further with  pytest tests/test_roundtrip.py --hypothesis-seed=N  after removing it
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def parse_case(case: Case) -> mc.Expr:
    """Parse a drawn case; a division by an exact zero is the only acceptable failure."""
    try:
        return mc.parse(case.text, shapes=DECLS)
    except mc.ShapeError as e:
        assume("zero" not in str(e))  # (s - s)^-1 and the like: a division by zero
        raise


@SETTINGS
@given(cases(max_depth=5))
def test_text_form_parses_back_to_the_same_object(case: Case) -> None:
    e = parse_case(case)
    assert e.shape == case.shape
    text = str(e)
    again = mc.parse(text, shapes=DECLS)
    assert again is e, f"{case.text!r} printed as {text!r} parses back as {str(again)!r}"
    assert str(again) == text


@SETTINGS
@given(cases(max_depth=5), st.integers(0, 2**32 - 1))
def test_value_is_what_numpy_computes_from_the_drawn_tree(case: Case, seed: int) -> None:
    inputs = values(np.random.default_rng(seed))
    try:
        want, env = case.reference(inputs)
    except np.linalg.LinAlgError:
        assume(False)  # a singular matrix under inv or det
        raise
    assume(not env.unreliable and env.biggest < 1e8)
    e = parse_case(case)
    try:
        got = mc.evaluate(e, inputs)
    except np.linalg.LinAlgError:
        assume(False)  # rewritten into another product of the same singular matrix
        raise
    want = np.asarray(want, dtype=float)
    assert np.shape(got) == want.shape
    scale = max(1.0, env.biggest)
    assert np.allclose(got, want, rtol=1e-6, atol=1e-8 * scale, equal_nan=True), (
        f"{case.text!r} parsed as {str(e)!r}: {got} != {want}")


@SETTINGS
@given(st.data())
def test_equal_text_gives_one_object_and_shared_subexpressions(data: Any) -> None:
    case = data.draw(cases(where=False))
    e = parse_case(case)
    assert mc.parse(case.text, shapes=DECLS) is e
    doubled = mc.parse(f"({case.text}) - ({case.text})", shapes=DECLS) if case.shape else None
    if doubled is not None:  # e - e cancels: equal subexpressions are one node
        assert doubled.op == "zeros" and doubled.shape == e.shape


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_every_shape_can_be_drawn(shape: Any) -> None:
    """The strategy covers each shape (a smoke test of the strategy itself)."""

    @settings(max_examples=5, deadline=None, derandomize=True)
    @given(cases(shape=shape, max_depth=2))
    def check(case: Case) -> None:
        e = parse_case(case)
        assert e.shape == shape
        try:
            got = mc.evaluate(e, values(np.random.default_rng(0)))
        except np.linalg.LinAlgError:  # inv(ones(n, n)) and the like
            return
        assert np.shape(got) == tuple(d if isinstance(d, int) else SIZES[d] for d in shape)

    check()
