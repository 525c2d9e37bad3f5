"""Issue 17, the classes still open: each fixed at its root, several inputs per class.

Bounded time (SymPy, shape inference, Hessians of products), sizes and numbers
beyond what can be computed, empty arrays, derivative order, registered
derivatives, argument checks, big integers in text, non-UTF-8 terminals, LaTeX
of odd names, combining marks, verify's size assignments, the JAX oracle.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc.algebra.sympy_bridge import MAX_TERMS, MAX_WORK, Budget, expanded_terms
from matcalc.check.fuzz import from_text
from matcalc.check.fuzz.jax_oracle import Interpreter, jax_check
from matcalc.check.sampling import size_assignments
from matcalc.numeric.binding import MAX_ENTRIES

ROOT = Path(__file__).resolve().parents[1]


def nested_fraction(depth: int) -> str:
    inner = "x"
    for _ in range(depth):
        inner = f"x/(1 + {inner})"
    return f"sum({inner})"


# ----------------------------------------------------------------------------------------
# SymPy: bounded input, a work budget (counted, not timed), the unsimplified form beyond


@pytest.mark.parametrize("text", [nested_fraction(5), nested_fraction(6), nested_fraction(9),
                                  "sum(exp(x)/(1 + exp(x)/(1 + exp(x)/(1 + exp(x)))))",
                                  "sum(" + " + ".join(f"x/(a{i} + x)" for i in range(12)) + ")"])
def test_gradients_of_nested_fractions_finish_fast_and_are_right(text):
    f = mc.parse(text)
    t0 = time.monotonic()
    g = mc.gradient(f, "x")
    assert time.monotonic() - t0 < 10
    assert mc.verify(f, "x", derivative=g).ok


def test_small_fractions_are_still_simplified():
    g = mc.gradient(mc.parse(nested_fraction(2)), "x")
    assert str(g) == "(1 + 2 * x + 2 * x^2) / (1 + 2 * x)^2"


def test_expanded_terms_bounds_the_expansion_without_expanding():
    x, y = sympy.symbols("x y")
    for e in [(1 + x) ** 3, (x + y + 1) * (x - y), (1 + x + y) ** 2 * (2 + x) + x ** 5]:
        assert expanded_terms(e) >= len(sympy.Add.make_args(sympy.expand(e)))
    assert expanded_terms((1 + x + y) ** 200) == 10 * MAX_TERMS  # capped, instantly


def _many_parts(k: int) -> tuple[str, dict[str, tuple[str, str]]]:
    """k nested fractions of k different matrix products: k parts for SymPy."""
    terms = []
    for i in range(k):
        inner = f"(A{i} @ x)"
        for _ in range(4):
            inner = f"(A{i} @ x)/({i + 1} + {inner})"
        terms.append(f"sum({inner})")
    return " + ".join(terms), {f"A{i}": ("n", "n") for i in range(k)}


class _Recorded(Budget):
    made: list[Budget] = []

    def __init__(self) -> None:
        super().__init__()
        _Recorded.made.append(self)


@pytest.fixture
def budgets(monkeypatch):
    """The Budget of every simplification run by the test, in order."""
    from matcalc.algebra import simplify

    _Recorded.made = []
    monkeypatch.setattr(simplify, "Budget", _Recorded)
    return _Recorded.made


class _SlowClock:
    """time.monotonic of a slow machine: each look at the clock finds a second gone by
    (here a look comes every 0.05-0.1 s of SymPy work)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now


DEEP_GRADIENT = "(1 + 8 * x + 14 * x^4 + 23 * x^2 + 28 * x^3) / (1 + x^3 + 5 * x + 6 * x^2)^2"


def test_the_deep_gradient_is_right_and_simplified():
    x = sympy.Symbol("x")
    f = x
    for _ in range(5):
        f = x / (1 + f)
    want = sympy.sympify(DEEP_GRADIENT.replace("^", "**"), locals={"x": x})
    assert sympy.simplify(sympy.diff(f, x) - want) == 0  # the expected form, by SymPy


def test_the_simplified_form_does_not_depend_on_the_machine(budgets, monkeypatch):
    # the deep case; a deeper one, too big for SymPy (MAX_OPS); a gradient with
    # more parts than the work bound allows
    texts = [(nested_fraction(5), {}), (nested_fraction(9), {}), _many_parts(20)]
    fast = [str(mc.gradient(mc.parse(t, shapes=sh), "x")) for t, sh in texts]
    assert fast[0] == DEEP_GRADIENT
    # sizes and counts stop them, never the clock
    assert [b.stopped_by for b in budgets] == ["", "", "work"]
    assert budgets[1].work == MAX_WORK  # refused by its size before any SymPy work
    from matcalc.algebra import sympy_bridge

    monkeypatch.setattr(sympy_bridge, "time", _SlowClock())
    budgets.clear()
    slow = [str(mc.gradient(mc.parse(t, shapes=sh), "x")) for t, sh in texts]
    assert slow == fast and [b.stopped_by for b in budgets] == ["", "", "work"]


def test_the_work_bound_keeps_the_parts_beyond_it_as_they_are(budgets, monkeypatch):
    from matcalc.algebra import sympy_bridge

    text, shapes = _many_parts(20)
    f = mc.parse(text, shapes=shapes)
    bounded = mc.gradient(f, "x")
    assert MAX_WORK - budgets[0].work > MAX_WORK and budgets[0].stopped_by == "work"
    monkeypatch.setattr(sympy_bridge, "MAX_WORK", 100 * MAX_WORK)
    unbounded = mc.gradient(f, "x")
    assert budgets[1].stopped_by == ""
    assert len(str(unbounded)) < len(str(bounded))  # the bound left parts unsimplified
    assert mc.verify(f, "x", derivative=bounded).ok and mc.verify(f, "x", derivative=unbounded).ok


@pytest.mark.parametrize("seed", ["0", "1"])
def test_the_deep_gradient_prints_the_same_in_every_process(seed):
    code = ("import matcalc as mc; print(mc.gradient(mc.parse(" + repr(nested_fraction(5)) +
            "), 'x'))")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED=seed)
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.strip()
    assert time.monotonic() - t0 < 60
    assert out == DEEP_GRADIENT


# ----------------------------------------------------------------------------------------
# shape inference: independent repairs in one build


@pytest.mark.parametrize("n", [10, 2000])
def test_many_undeclared_coefficients_are_inferred_in_near_linear_time(n):
    t0 = time.monotonic()
    # each exponent p_i is a vector by the convention, and repaired to a scalar (s_i*A is
    # no repair since broadcasting: s_i is a vector of the width of A)
    f = mc.parse(" + ".join(f"sum(x^p{i})" for i in range(n)))
    assert time.monotonic() - t0 < 20
    v = f.variables()
    assert all(v[f"p{i}"].shape == () for i in range(n)) and v["x"].ndim == 1


INFERENCE_TEXTS = ["s*x + s*A", "(s + t)*A + u*B", "a*A @ x + b*y", "sum(c*A) + d*tr(B)",
                   "p*A + q*(A @ B) + r*x' @ A @ y", "exp(s)*A + t*I + u*x @ y'",
                   " + ".join(f"s{i}*A + t{i}*x" for i in range(30))]


@pytest.mark.parametrize("text", INFERENCE_TEXTS)
def test_inference_in_one_build_agrees_with_one_repair_per_build(text, monkeypatch):
    from matcalc.lang import inference

    fast = {k: v.shape for k, v in mc.parse(text).variables().items()}
    monkeypatch.setattr(inference._Inference, "_tolerate", lambda self, blame: False)
    slow = {k: v.shape for k, v in mc.parse(text + " ").variables().items()}
    assert fast == slow


def test_hessian_of_a_long_product_is_quick_and_right():
    f = mc.parse(" * ".join(f"sum(exp(a{i}*x))" for i in range(12)))
    t0 = time.monotonic()
    mc.hessian(f, "x")
    assert time.monotonic() - t0 < 10
    assert mc.verify(f, "x", order=2).ok


# ----------------------------------------------------------------------------------------
# sizes and numbers beyond what can be computed


@pytest.mark.parametrize("digits", [12, 30, 5000, 0])
def test_sizes_too_large_are_refused_before_allocating(digits):
    size = 10**digits if digits else MAX_ENTRIES + 1
    with pytest.raises(mc.ShapeError, match="more than"):
        mc.evaluate(mc.parse("sum(ones(n))"), {"n": size})


@pytest.mark.parametrize("text, wrt, dims", [("sum(X @ X @ x)", "x", {"n": 10**6}),
                                             ("sum(A)", "A", {"m": 10**5, "n": 10**5}),
                                             ("sum(ones(n) * a)", "a", {"n": 10**5000})],
                         ids=["square", "matrix", "5000 digits"])
def test_verify_refuses_sizes_too_large(text, wrt, dims):
    with pytest.raises(mc.EvaluationError, match="entries"):
        mc.verify(mc.parse(text), wrt, dims=dims)


def test_an_intermediate_too_large_is_refused():
    with pytest.raises(mc.EvaluationError, match="entries"):
        mc.evaluate(mc.parse("sum(x @ y')"), {"x": np.ones(10**5), "y": np.ones(10**5)})


@pytest.mark.parametrize("text", ["sum(1e999*x)", "sum(x) + 10^400", "sum(x / 1e-999)",
                                  "sum(x^(2*1e400))"])
def test_numbers_beyond_the_float_range_are_a_clear_error(text):
    f = mc.parse(text)
    with pytest.raises(mc.EvaluationError, match="floating-point range"):
        mc.evaluate(f, {"x": np.ones(2)})
    with pytest.raises(mc.EvaluationError, match="floating-point range"):
        mc.to_numpy(f)(x=np.ones(2))
    with pytest.raises(mc.EvaluationError, match="floating-point range"):
        mc.codegen(f, wrt=["x"])


def test_exact_numbers_within_range_still_compute():
    assert mc.evaluate(mc.parse("1e999 * 1e-998 * a where a: scalar"), {"a": 2.0}) == 20.0
    assert mc.evaluate(mc.parse("1e300 * a where a: scalar"), {"a": 1.0}) == 1e300


# ----------------------------------------------------------------------------------------
# empty arrays and size 0: refused everywhere


@pytest.mark.parametrize("text, value", [
    ("softmax(x)", np.ones(0)), ("logsumexp(x)", np.ones(0)), ("norminf(x)", np.ones(0)),
    ("ismax(x)", np.ones(0)), ("sum(x)", np.ones(0)), ("det(X)", np.ones((0, 0))),
    ("sum(A)", np.ones((3, 0))), ("sum(vec(A))", np.ones((0, 2))),
])
def test_arrays_with_an_empty_axis_are_refused(text, value):
    f = mc.parse(text)
    name = next(iter(f.variables()))
    with pytest.raises(mc.ShapeError, match="at least 1"):
        mc.evaluate(f, {name: value})
    with pytest.raises(mc.ShapeError, match="at least 1"):
        mc.to_numpy(f)(**{name: value})


@pytest.mark.parametrize("values", [{"m": 0, "n": 3}, {"m": 2, "n": 0}])
def test_size_zero_is_refused_for_product_dimensions_too(values):
    with pytest.raises(mc.ShapeError, match="positive integer"):
        mc.evaluate(mc.parse("sum(ones(m*n))"), values)
    with pytest.raises(mc.ShapeError, match="positive integer"):
        mc.verify(mc.parse("sum(a * ones(m*n))"), "a", dims=values)


def test_a_product_dimension_that_no_array_carries_is_sized_from_its_factors():
    f = mc.parse("a * tr(eye(m*n)) where a: scalar")
    assert mc.evaluate(f, {"a": 2.0, "m": 3, "n": 4}) == 24.0
    assert mc.verify(mc.parse("sum(b * ones(m*n) + 2) where b: scalar"), "b").ok


# ----------------------------------------------------------------------------------------
# derivative order: 52 index letters


@pytest.mark.parametrize("text", ["sum(exp(x))", "sum(sin(A @ x))"])
def test_beyond_52_index_letters_is_a_diff_error(text):
    e = mc.parse(text)
    with pytest.raises(mc.DiffError, match="52 index letters"):
        for _ in range(60):
            e = mc.diff(e, "x")


def test_derivatives_up_to_the_limit_work():
    e = mc.parse("sum(exp(x))")
    for _ in range(20):
        e = mc.diff(e, "x")
    assert e.ndim == 20


def _nested_einsum() -> mc.Expr:
    """A contraction over all 52 letters with an inlined one that sums two more.

    The constructors inline nested einsums, so the node is made directly: the LaTeX
    printer inlines an einsum operand and must find indices beyond the alphabet.
    """
    from matcalc.core.einsum_spec import LETTERS
    from matcalc.core.expr import make

    x, A = mc.parse("x where x: vector(n)"), mc.parse("A where A: matrix(n, n)")
    inner = make("einsum", (A, A, x), ("ij,jk,k->i",), ("n",))
    return make("einsum", (inner,) + (x,) * 51, (",".join(LETTERS) + "->",), ())


def test_latex_indices_beyond_the_alphabet_are_subscripted(katex_prefix):
    from matcalc.core.einsum_spec import LETTERS

    from katex import katex_failures

    e = _nested_einsum()
    summed = ",".join(LETTERS) + r",i_{1},i_{2}"
    factors = r"A_{i,i_{1}} A_{i_{1},i_{2}} x_{i_{2}} " + " ".join(f"x_{{{ch}}}"
                                                                   for ch in LETTERS[1:])
    assert e.latex() == rf"\sum_{{{summed}}} {factors}"
    deep = mc.parse("sum(sin(A @ x))")  # the 27th derivative, the highest: 28 indices
    for _ in range(27):
        deep = mc.diff(deep, "x")
    outer = mc.parse(f'einsum("{",".join(LETTERS)}->{LETTERS}", ' + ", ".join(["x"] * 52) + ")")
    assert outer.ndim == 52 and outer.latex().endswith(rf"\right]_{{{LETTERS}}}")
    assert not katex_failures(katex_prefix, [e.latex(), deep.latex(), outer.latex()])


# ----------------------------------------------------------------------------------------
# registered derivatives are translated when registered


@pytest.mark.parametrize("derivative, match", [
    (sympy.besselj(0, sympy.Symbol("t")), "besselj"),
    (sympy.gamma(sympy.Symbol("t")), "gamma"),
    (sympy.nan * sympy.Symbol("t"), "nan"),
])
def test_untranslatable_derivatives_fail_at_registration(derivative, match):
    with pytest.raises(mc.MatcalcError, match=match):
        mc.register_function("robust17_f", derivative, np.exp)


def test_a_derivative_with_another_symbol_fails_at_registration():
    t, u = sympy.symbols("t u")
    with pytest.raises(mc.MatcalcError, match="not the function's argument"):
        mc.register_function("robust17_g", t * u, np.exp, symbol=t)


def test_float_coefficients_in_a_derivative_are_read_exactly():
    t = sympy.Symbol("t")
    mc.register_function("robust17_h", sympy.Float(0.5) * t, lambda x: x * x / 4)
    g = mc.gradient(mc.parse("sum(robust17_h(x))"), "x")
    assert str(g) == "0.5 * x"


@pytest.mark.parametrize("kwargs, match", [({"numpy_fn": 3}, "numpy_fn"),
                                           ({"latex": 3}, "latex"),
                                           ({"fuzz": "a"}, "fuzz"), ({"fuzz": -1}, "fuzz")])
def test_register_function_checks_its_options(kwargs, match):
    with pytest.raises(mc.MatcalcError, match=match):
        mc.register_function("robust17_k", "exp(x)", **kwargs)


# ----------------------------------------------------------------------------------------
# every public function checks its arguments


@pytest.mark.parametrize("call", [
    lambda: mc.evaluate("x + 1", {"x": 1.0}),
    lambda: mc.to_numpy("x + 1"),
    lambda: mc.evaluate(mc.parse("x + 1"), [("x", 1.0)]),
    lambda: mc.subs(mc.parse("x + 1"), [("x", mc.parse("y"))]),
    lambda: mc.subs("x + 1", {"x": mc.parse("y")}),
    lambda: mc.subs(mc.parse("x + 1"), {1: mc.parse("y")}),
    lambda: mc.verify(mc.parse("sum(x)"), "x", seed=-1),
    lambda: mc.verify(mc.parse("sum(x)"), "x", dims={"n": "a"}),
    lambda: mc.verify(mc.parse("sum(x)"), "x", dims={"n": 2.5}),
    lambda: mc.verify(mc.parse("sum(x)"), "x", dims=[("n", 3)]),
    lambda: mc.diff(mc.parse("sum(x)"), 3),
    lambda: mc.codegen(mc.parse("sum(x)"), wrt=["x"], order=3),
])
def test_bad_arguments_raise_matcalc_errors(call):
    with pytest.raises(mc.MatcalcError):
        call()


def test_names_in_values_and_subs_are_normalised_as_the_parser_reads_them():
    f = mc.parse("x + 1")
    assert np.allclose(mc.evaluate(f, {"ｘ": np.ones(2)}), 2)  # fullwidth x is x
    assert str(mc.subs(f, {"ｘ": mc.parse("y")})) == "y + 1"


# ----------------------------------------------------------------------------------------
# text: big integers, terminals that are not UTF-8, LaTeX of odd names, combining marks


@pytest.mark.parametrize("text", ["x where x: vector(" + "9" * 5000 + ")",
                                  "ones(" + "9" * 5000 + ")", "9" * 5000 + " * x",
                                  "reshape(x, " + "9" * 4400 + ")"],
                         ids=["declaration", "ones", "number", "reshape"])
def test_numbers_of_thousands_of_digits_are_parse_errors(text):
    with pytest.raises(mc.ParseError, match="digits"):
        mc.parse(text)


def test_a_size_of_5000_digits_in_the_values_is_a_clear_error():
    with pytest.raises(mc.ShapeError, match="about 10\\^5000"):
        mc.evaluate(mc.parse("sum(ones(n))"), {"n": 10**5000})


def test_the_cli_spells_in_ascii_on_an_ascii_terminal():
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="ascii")
    for args in (["diff", "sum(exp(A @ x))", "--wrt", "x", "--steps"],
                 ["parse", "x\u0302 + 1"], ["parse", "x\u0302 +"]):
        proc = subprocess.run([sys.executable, "-m", "matcalc", *args], capture_output=True,
                              env=env, timeout=120)
        assert proc.returncode in (0, 2), proc.stderr.decode("ascii", "replace")
        assert b"Traceback" not in proc.stderr
        proc.stdout.decode("ascii")  # every byte ASCII: no UnicodeEncodeError on the way
        proc.stderr.decode("ascii")
        assert proc.stdout or proc.stderr


def test_ascii_spellings():
    import io

    from matcalc.cli.encoding import ascii_fallback

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    ascii_fallback(stream)
    stream.write("∂f/∂x: m×n, x\u0302 → y")
    stream.flush()
    assert raw.getvalue() == b"df/dx: mxn, x\\u0302 -> y"


NAMES = ["my_f_2", "_", "x__", "_x", "x_", "__", "W__2", "x\u0302", "X\u0302", "y\u20d7",
         "θ\u0304", "ab\u0302", "x\u0327", "x_\u0302", "क्ष"]


def test_odd_names_parse_round_trip_and_pass_katex(katex_prefix):
    from katex import katex_failures

    strings = []
    for name in NAMES:
        f = mc.parse(f"sum(exp(A @ {name}))")
        assert name in f.variables()
        assert mc.parse(str(f)) is f
        strings += [f.latex(), mc.gradient(f, name).latex()]
    for fname in ["my_f_2", "f__", "g_"]:
        mc.register_function(fname, "exp(x)", np.exp)
        strings.append(mc.parse(f"sum({fname}(x))").latex())
    assert not katex_failures(katex_prefix, strings)


def test_combining_marks_are_accents_in_latex():
    assert mc.parse("x\u0302 + 1").latex() == r"\hat{x} + 1"
    assert mc.parse("y\u20d7 * 2").latex() == r"2 \vec{y}"


# ----------------------------------------------------------------------------------------
# verify tries other size assignments when a point is degenerate


@pytest.mark.parametrize("text", ["logdet(X' @ X)", "tr(inv(X' @ C @ X) @ A)",
                                  "det(X' @ A @ X)", "logdet(X @ X')",
                                  "log(det(X' @ A @ X)^2)"])
def test_verify_finds_sizes_where_the_point_is_not_degenerate(text):
    r = mc.verify(mc.parse(text), "X")
    assert r.ok, r.message


def test_size_assignments_are_permutations_and_respect_dims():
    f = mc.parse("A @ x + u where A: matrix(m, n)")
    got = list(size_assignments(f, None))
    assert got[0] == {"m": 3, "n": 4} and got[1] == {"m": 4, "n": 3}
    assert list(size_assignments(f, {"m": 5})) == [{"m": 5, "n": 3}]


def test_a_wrong_derivative_still_fails_with_other_sizes_available():
    f = mc.parse("logdet(X' @ X)")
    r = mc.verify(f, "X", derivative=mc.parse("3 * X @ inv(X' @ X)"))
    assert not r.ok and not r.inconclusive


# ----------------------------------------------------------------------------------------
# the independent oracle: the text evaluated with JAX, jax.jacobian without jit


ORACLE_TEXTS = [  # the cases: order-3 plus scalars, summed-out operands, m*n
    'einsum("ijk->", tanh(einsum("ij,k->ijk", A, u)) + a)',
    'einsum("jl->", eye(n)) * a + sum(einsum("ib,kj->jk", eye(n), X))',
    "sum(b * ones(m*n) + 2) + x' @ A' @ u + logdet(S)",
]


@pytest.mark.parametrize("text", ORACLE_TEXTS)
def test_matcalc_agrees_with_jax_jacobian(text):
    o = jax_check(from_text(text), seed=0)
    assert o.kind == "pass", o.detail


def test_the_jax_oracle_catches_a_wrong_derivative(monkeypatch):
    from matcalc.ops import construct as c

    right = mc.diff
    monkeypatch.setattr(mc, "diff", lambda f, x: c.mul(c.const(c.number("1.001")), right(f, x)))
    o = jax_check(from_text("sum(exp(A @ x))"), seed=0)
    assert o.kind == "jax", o.detail


def test_the_interpreter_follows_matcalc_rows_and_vectors():
    sizes = {"m": 3, "n": 4}
    values = {"x": np.arange(4.0), "A": np.ones((3, 4))}
    assert float(Interpreter("x' @ x", sizes).value(values)) == 14.0
    assert np.asarray(Interpreter("x @ x'", sizes).value(values)).shape == (4, 4)
    assert np.allclose(Interpreter("vec(A')", sizes).value(values), np.ones(12))


# ----------------------------------------------------------------------------------------
# a tensor sum distributed term by term keeps every other factor of the product


@pytest.mark.parametrize("text, shapes, wrt", [
    ("(4 - norm1(P)) * norm(ones(n))", {"P": "spd(m)"}, "P"),  # a zero factor: sign' = 0
    ("norminf(u @ u')", {"u": ("m",)}, "u"),
    ('einsum("ijk->", (einsum("ij,k->ijk", A, u) + a) * b)', {"A": ("m", "n"), "u": ("p",),
                                                            "a": (), "b": ()}, "a"),
])
def test_second_derivatives_through_tensor_sums(text, shapes, wrt):
    f = mc.parse(text, shapes=shapes)
    assert mc.verify(f, wrt, order=2).ok
    h = mc.hessian(f, wrt)
    assert mc.parse(str(h), shapes=shapes) is h
