"""Errors on bad input (SPEC section 2): the right class, a message that points at the input.

No input, however long, deep, random or hostile, may make ``parse`` raise anything
but a :class:`matcalc.MatcalcError` (or hang, or run code); ``evaluate`` reports
missing and misshapen arrays as :class:`matcalc.ShapeError`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc as mc


def caret_column(error: mc.MatcalcError) -> int:
    """The column of the caret under the quoted input (the message's line after the quote)."""
    lines = str(error).splitlines()
    assert lines[0] == "", "the quoted input starts on its own line"
    assert lines[2].strip() == "^", str(error)
    return lines[2].index("^")


def parse_error(text: str, kind: type[mc.MatcalcError] = mc.ParseError,
                **kwargs: Any) -> mc.MatcalcError:
    with pytest.raises(kind) as info:
        mc.parse(text, **kwargs)
    return info.value


# ---------------------------------------------------------------------------------------
# the classes


def test_error_classes_are_exported_and_related() -> None:
    for cls in (mc.ParseError, mc.ShapeError, mc.DiffError):
        assert issubclass(cls, mc.MatcalcError)
    assert issubclass(mc.MatcalcError, Exception)
    assert not issubclass(mc.ParseError, mc.ShapeError)
    assert {"MatcalcError", "ParseError", "ShapeError", "DiffError"} <= set(mc.__all__)


# ---------------------------------------------------------------------------------------
# the two examples of the SPEC, exactly


def test_inner_dimensions_differ_points_at_the_operator() -> None:
    text = "A @ x where A: matrix(m, n), x: vector(k)"
    e = parse_error(text, mc.ShapeError)
    assert str(e).splitlines()[1] == text
    assert caret_column(e) == text.index("@")
    assert str(e).splitlines()[3] == (
        "cannot multiply A (m×n) by x (k): inner dimensions n and k differ")


def test_unclosed_parenthesis_names_the_call_it_opened() -> None:
    text = "0.5*norm(y - A@x^2"
    e = parse_error(text)
    assert caret_column(e) == len(text)
    assert "expected ')' to close 'norm('" in str(e)
    assert f"opened at column {text.index('(') + 1}" in str(e)


# ---------------------------------------------------------------------------------------
# parse errors, each pointing at its place

PARSE_ERRORS = [
    # text, column of the caret, words the message has
    ("x +", 3, "ends early"),
    ("x y", 2, "nothing between x and y"),
    ("x $ y", 2, "'$'"),
    ("(x", 2, "expected ')' to close '('"),
    ("x)", 1, "unmatched ')'"),
    ("exp(x", 5, "to close 'exp('"),
    ("foo(x)", 0, "unknown function 'foo'"),
    ("f(x) + g(y)", 0, "unknown function 'f'"),
    ("exp(x, y)", 0, "exp takes 1 argument, got 2"),
    ("norm()", 0, "norm takes 1 or 2 arguments, got 0"),
    ("dot(x)", 0, "dot takes 2 arguments, got 1"),
    ("outer(x, y, z)", 0, "outer takes 2 arguments, got 3"),
    ("eye()", 0, "eye takes 1 argument"),
    ("eye(m, n)", 0, "eye takes 1 argument, got 2"),
    ("eye(0)", 4, "dimension"),
    ("ones(1.5)", 5, "dimension"),
    ("exp", 0, "exp is a function"),
    ("x + sum", 4, "sum is a function"),
    ("where", 0, "'where'"),
    ("x where", 7, "a name"),
    ("x²", 0, "not a valid name"),
    ("a + x²", 4, "not a valid name"),
    ("A[0]", 1, "indexing such as x[0]"),
    ("x,y", 1, "unexpected ','"),
    ("x = y", 2, "unexpected '='"),
    ("x.t", 0, "'x.t' is not a name"),
    ("f('x')", 2, "quote"),
    ('"ab"', 0, "unexpected"),
    ('exp("ab")', 4, "string"),
    ("einsum(A, B)", 0, "einsum needs a spec string"),
    ('einsum("ij->ji")', 0, "at least one operand"),
    ('einsum("ij,jk->ik", A)', 0, "2 operands"),
    ("t where t = t", 12, "defined in terms of itself"),
    ("t where t = x, t = y", 15, "defined twice"),
    ("x\x00", 1, "character"),
    ("", 0, "empty"),
    ("   ", 0, "empty"),
]


@pytest.mark.parametrize("text, column, words", PARSE_ERRORS,
                         ids=[repr(t) for t, _, _ in PARSE_ERRORS])
def test_parse_errors_point_at_the_problem(text: str, column: int, words: str) -> None:
    e = parse_error(text)
    assert words in str(e)
    assert caret_column(e) == column
    assert e.text == text and e.column == column


# ---------------------------------------------------------------------------------------
# shape errors

SHAPE_ERRORS = [
    ("x + y where x: vector(n), y: vector(m)", "+", "cannot add x (n) and y (m)"),
    ("A - B where A: matrix(m, n), B: matrix(n, m)", "-", "shapes differ"),
    # a vector broadcasts over the rows of a matrix (X @ W + b), but only along them
    ("x * A where x: vector(n), A: matrix(n, m)", "*", "a vector is applied to every row"),
    ("A - B * c where A: matrix(m, n), B: matrix(m, n), c: vector(m)", "*",
     "to apply it to every column write B * outer(c, ones(n))"),
    ("x / y where x: vector(n), y: vector(m)", "/", "cannot divide"),
    ("A @ B where A: matrix(m, n), B: matrix(m, n)", "@", "inner dimensions n and m differ"),
    ("s @ x where s: scalar", "@", "use * instead"),
    ("x ^ y where y: vector(n)", "^", "exponent"),
    ("det(A) where A: matrix(m, n)", "d", "det needs a square matrix"),
    ("tr(A) where A: matrix(m, n)", "t", "tr needs a square matrix"),
    ("trace(A) where A: matrix(2, 3)", "t", "square"),
    ("inv(A) where A: matrix(2, 3)", "i", "inv needs a square matrix"),
    ("logdet(A) where A: matrix(m, n)", "l", "square"),
    ("diag(A) where A: matrix(m, n)", "d", "square"),
    ("norm(s) where s: scalar", "n", "norm needs a vector or a matrix"),
    ("softmax(s) where s: scalar", "s", "softmax needs a vector"),
    ("dot(A, x) where A: matrix(m, n)", "d", "dot needs two vectors"),
    ("1 + x / 0", "/", "zero"),
    ("x + 0^-1", "^", "division by zero"),
    ("x where x: tensor(n)", "x:", "unknown kind 'tensor'"),
    ("x where x: vector(n, m)", "x:", "vector takes 1 dimension"),
    ("x where x: vector(0)", "x:", "at least 1"),
]


@pytest.mark.parametrize("text, at, words", SHAPE_ERRORS, ids=[t for t, _, _ in SHAPE_ERRORS])
def test_shape_errors_point_at_the_operator(text: str, at: str, words: str) -> None:
    e = parse_error(text, mc.ShapeError)
    assert words in str(e)
    assert caret_column(e) == text.index(at)


def test_non_square_functions_are_shape_errors_with_inferred_shapes_too() -> None:
    for f in ("det", "tr", "inv", "logdet"):
        with pytest.raises(mc.ShapeError):
            mc.parse(f"{f}(A @ B) where A: matrix(m, n), B: matrix(n, k)")


@pytest.mark.parametrize("shapes", [
    {"x": ("n", "m", "p")},  # order 3 is no variable
    {"x": ("n", 0)},
    {"x": ("n", -2)},
    {"x": ("n", 1.5)},
    {"x": ("n", None)},
    {"x": "vector"},
    {"x": "cube(n)"},
    {"x": "matrix(m, n"},
    {"x": 3},
    {"x": ("n m",)},
    {3: ("n",)},
    {"not a name": ("n",)},
    {"S": "symmetric(m, n)"},
])
def test_bad_declarations_in_shapes_are_shape_errors(shapes: dict[Any, Any]) -> None:
    with pytest.raises(mc.ShapeError):
        mc.parse("x + y", shapes=shapes)


def test_shapes_must_be_a_dict() -> None:
    with pytest.raises(mc.ShapeError):
        mc.parse("x", shapes=[("x", ("n",))])  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, 3, b"x + y", ["x"]])
def test_the_expression_must_be_a_string(value: Any) -> None:
    with pytest.raises(mc.ParseError):
        mc.parse(value)


# ---------------------------------------------------------------------------------------
# limits: long and deep input


def test_ten_thousand_nested_parentheses_name_the_limit() -> None:
    text = "(" * 10_000 + "x" + ")" * 10_000
    start = time.perf_counter()
    e = parse_error(text)
    assert "limit" in str(e)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("text", [
    "-" * 10_000 + "x", "x" + "'" * 10_000, "x^" * 10_000 + "2",
    "exp(" * 10_000 + "x" + ")" * 10_000,
    "(" * 10_000, ")" * 10_000, "x" + ")" * 10_000,
])
def test_deep_input_is_a_parse_error_or_works(text: str) -> None:
    try:
        mc.parse(text)
    except mc.ParseError as e:
        assert "limit" in str(e) or "')'" in str(e)


def test_a_megabyte_names_the_limit() -> None:
    text = "x + " * 250_000 + "x"
    start = time.perf_counter()
    e = parse_error(text)
    assert "limit" in str(e)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("text", ["2^99999999", "10^10^10", "1e99999999", "1e-99999999",
                                  "9" * 5000, "1" + "0" * 5000 + ".5", "1e999 * 1e999",
                                  "0.5^99999", "x^(1e99999)"])
def test_huge_numbers_do_not_hang(text: str) -> None:
    start = time.perf_counter()
    try:
        e = mc.parse(text)
        assert mc.parse(str(e)) is e
    except mc.ParseError as err:
        assert "limit" in str(err)
    assert time.perf_counter() - start < 5


# ---------------------------------------------------------------------------------------
# hostile input: never runs code, never raises anything else

INJECTIONS = [
    "__import__('os').system('touch {marker}')",
    '__import__("os").system("touch {marker}")',
    "exec('open(\"{marker}\", \"w\")')",
    "eval(\"open('{marker}', 'w')\")",
    "x.__class__.__bases__[0].__subclasses__()",
    "open('{marker}', 'w').write('x')",
    "x; import os; os.system('touch {marker}')",
    "lambda: 0",
    "x if y else z",
    "[x for x in y]",
    "{{}}",
    "x.T.__class__",
    "x where x: vector(__import__('os').system('touch {marker}'))",
    'einsum("ij->ji\'); import os; os.system(\'touch {marker}", A)',
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_injection_attempts_are_parse_errors_and_run_nothing(template: str,
                                                             tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = template.format(marker=marker)
    with pytest.raises(mc.MatcalcError):
        mc.parse(text)
    assert not marker.exists()
    assert not os.path.exists("pwned")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_random_text_raises_only_matcalc_errors(text: str) -> None:
    try:
        e = mc.parse(text)
    except mc.MatcalcError as err:
        assert str(err)
        return
    assert mc.parse(str(e), shapes=_declared(e)) is e


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_matcalc_errors(data: bytes) -> None:
    try:
        mc.parse(data.decode("utf-8", errors="replace"))
    except mc.MatcalcError:
        pass


TOKENS = ["x", "y", "A", "B", "s", "n", "I", "2", "0", "0.5", "1e3", "+", "-", "*", "/", "@",
          "^", "**", "'", ".T", "(", ")", ",", "exp(", "sum(", "norm(", "tr(", "inv(", "diag(",
          "dot(", "outer(", "kron(", "vec(", "eye(", "ones(", "zeros(", "softmax(", "det(",
          "logdet(", 'einsum("ij,jk->ik", ', '"i->"', " where ", "x: vector(n)",
          "A: matrix(m, n)", "s: scalar", "S: spd(n)", "t0 = ", "t0", "=", ":", " "]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_random_token_soup_raises_only_matcalc_errors(tokens: list[str]) -> None:
    text = "".join(tokens)
    try:
        e = mc.parse(text)
    except mc.MatcalcError as err:
        if err.text is not None:
            assert err.column is not None and 0 <= err.column <= len(err.text)
        return
    assert mc.parse(str(e), shapes=_declared(e)) is e


def _declared(e: mc.Expr) -> dict[str, Any]:
    return {name: f"{v.structure}({v.shape[0]})" if v.structure else v.shape
            for name, v in e.variables().items()}


# ---------------------------------------------------------------------------------------
# evaluate

SHAPES = {"A": ("m", "n"), "x": ("n",), "y": ("m",)}


@pytest.fixture
def f() -> mc.Expr:
    return mc.parse("0.5*norm(y - A@x)^2", shapes=SHAPES)


def test_evaluate_missing_variable(f: mc.Expr) -> None:
    with pytest.raises(mc.ShapeError, match="no value given for variable y"):
        mc.evaluate(f, {"A": np.ones((3, 4)), "x": np.ones(4)})


@pytest.mark.parametrize("values", [
    {"A": np.ones((3, 4)), "x": np.ones((4, 1)), "y": np.ones(3)},  # a column as a matrix
    {"A": np.ones(12), "x": np.ones(4), "y": np.ones(3)},
    {"A": np.ones((3, 4)), "x": np.ones(4), "y": 1.0},
])
def test_evaluate_array_of_the_wrong_rank(f: mc.Expr, values: dict[str, Any]) -> None:
    with pytest.raises(mc.ShapeError, match="should have shape"):
        mc.evaluate(f, values)


@pytest.mark.parametrize("values", [
    {"A": np.ones((3, 4)), "x": np.ones(5), "y": np.ones(3)},
    {"A": np.ones((3, 4)), "x": np.ones(4), "y": np.ones(4)},
    {"A": np.ones((4, 3)), "x": np.ones(4), "y": np.ones(3)},
])
def test_evaluate_inconsistent_dimensions(f: mc.Expr, values: dict[str, Any]) -> None:
    with pytest.raises(mc.ShapeError, match="dimension"):
        mc.evaluate(f, values)


def test_evaluate_against_integer_declarations() -> None:
    g = mc.parse("A @ x where A: matrix(2, 3)")
    with pytest.raises(mc.ShapeError):
        mc.evaluate(g, {"A": np.ones((3, 2)), "x": np.ones(2)})


@pytest.mark.parametrize("bad", ["abc", np.array(["1", "2", "3", "4"]), np.ones(4) + 1j,
                                 None, {"a": 1}, object(), [[1, 2], [3]]])
def test_evaluate_values_that_are_not_real_numbers(f: mc.Expr, bad: Any) -> None:
    with pytest.raises(mc.ShapeError):
        mc.evaluate(f, {"A": np.ones((3, 4)), "x": bad, "y": np.ones(3)})


def test_evaluate_needs_a_dict(f: mc.Expr) -> None:
    with pytest.raises(mc.ShapeError):
        mc.evaluate(f, [np.ones((3, 4)), np.ones(4), np.ones(3)])  # type: ignore[arg-type]


def test_evaluate_ignores_extra_entries(f: mc.Expr) -> None:
    values = {"A": np.ones((3, 4)), "x": np.ones(4), "y": np.ones(3)}
    want = mc.evaluate(f, values)
    extra = {**values, "z": np.ones(7), "B": "not even an array", 3: None, "n": 4, "m": 3}
    assert mc.evaluate(f, extra) == want
    assert mc.to_numpy(f)(**{k: v for k, v in extra.items() if isinstance(k, str)}) == want


def test_evaluate_unknown_dimension_size() -> None:
    g = mc.parse("ones(k) * 2")
    with pytest.raises(mc.ShapeError, match="size of dimension k"):
        mc.evaluate(g, {})
    assert mc.evaluate(g, {"k": 3}).shape == (3,)
    for bad in (0, -1, 2.5, "3", True):
        with pytest.raises(mc.ShapeError):
            mc.evaluate(g, {"k": bad})


# ---------------------------------------------------------------------------------------
# DiffError (the differentiator's errors of SPEC section 2)


def test_diff_errors() -> None:
    f = mc.parse("x' @ A @ x")
    with pytest.raises(mc.DiffError):
        mc.diff(f, "x+y")
    with pytest.raises(mc.DiffError):
        mc.diff(mc.parse("sum(x)/n where x: vector(n)"), "n")
    with pytest.raises(mc.DiffError):
        mc.gradient(mc.parse("A @ x"), "x")
