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

import matcalc as mc

from strategies import DECLS, SHAPES, SIZES, Case, cases, values

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


# ----------------------------------------------------------------------------------------
# the fuzzer's expressions and their derivatives (SPEC section 3: parse(str(e)) is e)
#
# Every printed expression and derivative must re-parse to the very same node with the
# shapes of the original; no case was found where the canonical forms differ
# legitimately, so identity is asserted throughout (equal value would follow from it).


def _printed_back(e: mc.Expr, shapes: dict[str, Any]) -> str:
    """'' when ``e`` prints so that it parses back to itself, else what went wrong."""
    text = str(e)
    try:
        back = mc.parse(text, shapes=shapes)
    except mc.MatcalcError as ex:
        return f"{text!r} does not parse: {ex}"
    return "" if back is e else f"{text!r} parses back as {str(back)!r}"


@pytest.mark.parametrize("chunk", range(4))
def test_fuzzer_expressions_and_derivatives_print_back_to_themselves(chunk: int) -> None:
    import warnings

    from matcalc.check.fuzz import sample, shapes_of

    failures = []
    for index in range(100 * chunk, 100 * (chunk + 1)):  # 400 expressions in all
        s = sample(17, index, corners=True)  # with the corners of check/fuzz/einsums.py
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mc.MatcalcWarning)  # doubtful readings noted
            f = mc.parse(s.text(), shapes=s.shapes())
            shapes = shapes_of(f)
            todo = [f]
            for name in f.variables():
                d = mc.diff(f, name)
                todo.append(d)
                if not f.shape and index % 4 == 0:
                    todo.append(mc.diff(d, name))
            failures += [f"{s.describe()}: {problem}" for e in todo
                         if (problem := _printed_back(e, shapes))]
    assert not failures, "\n".join(failures[:10])


ROUND_TRIPS = [  # (text, shapes, what the value is by hand, with every size 2, a = 3, b = 5)
    # an order-3 sum reached through a scalar factor: sum of m^3 entries (a - 1) / b
    ('einsum("ijk->", (a - ones(m, m, m)) / b)', {"a": (), "b": ()}, 8 * 2 / 5),
    # sum of n^2 p entries (1 + a)^(2a), its derivative by a is checked by verify below
    ('einsum("ijk->", ((ones(n, p, n) + a)^2)^a)', {"a": ()}, 8 * 4.0 ** 6),
    # sizes: a product of dimensions is the product of the sizes
    ("sum(B) * tr(eye(m*n))", {"B": ("m", "n")}, 4 * 4),
    ("sum(B) / tr(eye(m*n))", {"B": ("m", "n")}, 4 / 4),
    ("tr(eye(m))^3 * sum(x)", {"x": ("m",)}, 8 * 2),
    ("sum(c * ones(p*p, m*p) + 2) * sum(B)", {"c": (), "B": ("m", "p")}, (3 + 2) * 16 * 4),
]


@pytest.mark.parametrize("text, shapes, value", ROUND_TRIPS)
def test_corner_cases_print_back_with_their_value(text: str, shapes: dict[str, Any],
                                                  value: float) -> None:
    f = mc.parse(text, shapes=shapes)
    names = [n for n in f.variables() if not f.variables()[n].shape]
    inputs: dict[str, Any] = {"a": 3.0, "b": 5.0, "c": 3.0, "m": 2, "n": 2, "p": 2,
                              "B": np.ones((2, 2)), "x": np.ones(2)}
    assert float(mc.evaluate(f, {k: v for k, v in inputs.items()
                                 if k in f.variables() or k in "mnp"})) == pytest.approx(value)
    assert not _printed_back(f, shapes)
    for name in names:
        d = mc.diff(f, name)
        assert not _printed_back(d, shapes), name
        assert mc.verify(f, name).ok
