"""The fuzzer: random well-typed expressions, and every check on each (matcalc.check.fuzz).

The bounded campaign and the Hypothesis test must find nothing.  The
regression tests below are the minimal examples earlier campaigns found, each
fixed since; they must keep passing.
"""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings

import matcalc as mc
from matcalc.check.fuzz import (
    ELEMENTWISE,
    VARIABLES,
    Outcome,
    check,
    expressions,
    from_text,
    run_range,
    sample,
    shrink,
)

CI_EXAMPLES = 300  # about 10-20 s


def test_campaign_finds_nothing():
    camp = run_range(seed=0, start=0, stop=CI_EXAMPLES)
    assert camp.tried == CI_EXAMPLES
    assert not camp.failures, "\n" + camp.report()
    assert camp.inconclusive <= CI_EXAMPLES // 50, camp.report()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions())
def test_hypothesis_expressions_pass_every_check(s):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = check(s, seed=1)
    assert not outcome.failed, f"{s.describe()}\n{outcome.kind}: {outcome.detail}"


# ----------------------------------------------------------------------------------------
# the generator itself


def test_generated_expressions_are_well_typed_and_reproducible():
    failed = []
    for i in range(300):
        s = sample(7, i)
        assert s.text() == sample(7, i).text()
        try:
            mc.parse(s.text(), shapes=s.shapes())
        except mc.MatcalcError as e:  # a generator bug, or a bug such as VECTOR_TIMES_OUTER
            failed.append(f"{s.describe()}\n{e}")
    assert len(failed) <= 3, "\n\n".join(failed)


def test_vector_times_matrix_is_a_vector():
    """SPEC §2: v @ M is NumPy's vector-matrix product, a vector, whatever M is."""
    shapes = {"v": ("m",), "y": ("n",), "A": ("m", "n")}
    assert mc.parse("v @ A", shapes=shapes).shape == ("n",)
    assert mc.parse("v @ outer(v, y)", shapes=shapes).shape == ("n",)


def test_generator_covers_the_whole_language():
    samples = [sample(3, i) for i in range(1500)]
    texts = [s.text() for s in samples]
    everything = "\n".join(texts)
    functions = set(ELEMENTWISE) | {
        "log", "sqrt", "sum", "norm", "norm1", "norminf", "tr", "trace", "det", "logdet",
        "inv", "diag", "dot", "outer", "softmax", "logsumexp", "kron", "vec", "einsum",
        "eye", "ones", "zeros"}
    for name in functions:
        assert re.search(rf"\b{name}\(", everything), name
    for op in (" + ", " - ", " * ", " / ", " @ ", "^", "**", "'", ".T", "(-"):
        assert op in everything, op
    for name in VARIABLES:
        assert re.search(rf"\b{name}\b", everything), name
    assert any(" where " in t for t in texts)  # declarations in a where clause, too
    assert any(n.leaf and n.template in ("m", "n")  # dimensions as numbers
               for s in samples for n in s.tree.walk())
    depths = [_depth(t) for t in texts]
    assert max(depths) >= 5


def _depth(text: str) -> int:
    depth = best = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        best = max(best, depth)
    return best


def test_shrink_finds_a_small_example():
    """With a made-up failure ("contains inv"), shrinking keeps the inv and little else."""
    def fake(s, seed=0, hessian=None):
        return (Outcome("wrong", "inv", signature="inv") if "inv(" in s.tree.text()
                else Outcome("pass"))

    big = next(s for s in (sample(5, i) for i in range(500))
               if "inv(" in s.tree.text() and s.tree.size() > 12)
    small, outcome = shrink(big, fake(big), check_fn=fake, budget=30)
    assert "inv(" in small.tree.text()
    assert small.tree.size() <= 4, small.describe()


# ----------------------------------------------------------------------------------------
# regressions: minimal examples the campaigns found

FOUND = [  # fixed since they were found; kept as regressions
    ("logdet(diag(y))", False),
    ("log(det(diag(v)))", False),
    ("x' @ outer(y, ones(m)) @ u", False),
    ('einsum("i,i->", u, (P\' @ v) @ P)', False),
    ("v' @ ((inv(W) @ x) @ C)", False),
    ("u' @ (einsum(\"ij,j->i\", W, y) @ C)", False),
    ('einsum("ij,j->i", B, ones(n)) @ B', False),
    ("((C @ u) @ C)' @ (B @ A') @ v", False),
    ("u - ones(m)", False),
    ("-sum(y)", False),
    ("(b - a / b) * ones(n, m)", False),
    ("(u + ones(m)) * (-v)", False),
    ("sum(kron(X, eye(n)))", False),  # the factor n was missing
    ("(u^2)'", False),
    ("y' @ C", False),
    ("(diag(Y))'", False),
    ("diag(eye(n))' @ (C + C)", False),
    ("x' @ outer(x, v)", False),
    ("ones(n)' @ outer(ones(n), y)", False),
    ("u @ outer(u, u / m)", False),
    ("tr(eye(n)) - a", False),
    ("softmax(u @ B)' @ Y", False),
    ("(inv(S) @ x)' @ Y", False),
    ("sum(softmax(x) * x) * x", False),
    ("sum(softmax(cos(u)) * u) * (v' @ A)", False),
    ('einsum("i,j->ij", v, softmax(y)) @ ones(n)', False),
    ("norminf(u @ u')", True),  # the Hessian
    ("(B @ y) @ u", False),
    ("(M @ ones(m)) @ u", False),
    # found by the 128,000-expression campaign (seed 1)
    ("norm(outer(ones(n), x))", True),  # Hessian: eye(n) / norm(...) lacks the factor n
    ("(outer(v, u) @ u) @ (exp(v) / exp(0.1))", True),  # Hessian: adds m×m and 1×m
    ("0.5 * sqrt(tr(eye(n) @ eye(n)' + I)) - tr(tanh(P))", False),  # n is lost in the text
    # found by the 100,000-expression campaign (seed 2)
    ("log(exp(C) * (softplus(C) + C^2 + 0.5))", False),  # ones(n, m) left in an einsum
    ('dot(vec(einsum("ik,kj->ij", 0.1 * (I + 0.1 * P), outer(u, ones(n)))), vec(B))',
     False),  # vec of a product with a placeholder: ?1*n against m*n
    ("(inv(M @ (I + 0.1 * M) @ M' @ P @ inv(P + u @ u' + P)') @ C')^2",
     False),  # minutes in einsum_path(optimize="optimal") over 8 operands
    # found by the 100,000-expression campaign (seed 3)
    ("diag(log(exp(v) * softplus(ones(m)))) @ log(exp(P))",
     False),  # 1 / exp(v) * exp(v) merged to ones(m) inside an einsum
    ("(eye(m) - 0.1 * M) @ (-(v / (17 * det(P + diag(v)))))",
     False),  # -(a - b) @ v / 17 read back as (b - a) @ v / 17
    # found by the 100,000-expression campaign (seed 4)
    ("tr(P) * det(X @ diag(y) @ S)", False),  # diag(1/y) @ diag(y) left eye(n) in a chain
    ("det(inv(0.5 * S) @ inv(diag(1 + abs(y))))", False),
    ('P @ einsum("i,j->ij", v, ones(m)) @ log(exp(u) * exp(v))', False),
    # found by the campaign of seed 5
    ("sum(softmax(diag(log((Y^2 + 2) * exp(X)))) * sqrt(y^2 + 1))",
     False),  # u / u merged to ones(n, n) beside a delta: einsum instead of diag
    ("sqrt((A' @ v)' @ (S + A' @ A + I) @ (A' @ v) + 1)",
     True),  # Hessian: a scalar factor left inside an einsum operand
    ("sum(inv((S @ S' + eye(n))') + zeros(n, n))", True),
    # found by the campaign of seed 6
    ("sum(softmax((sigmoid(v) * exp(v) * softplus(v))^0.5) * sqrt(exp(v) + exp(v)))",
     True),  # Hessian: (a * b)^-1 expanded to a^-1 * b^-1 inside a product, not flattened
    ("det(I + 0.1 * (X / sigmoid(X)))", True),  # Hessian: a transposed einsum operand
    ("trace(0.5 * (P @ (B @ B' + I)) - P)", False),  # 1 * (a + b) left as a nested sum
]


@pytest.mark.parametrize("text,hessian", FOUND, ids=[t for t, _ in FOUND])
def test_found_by_the_fuzzer(text, hessian):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcome = check(from_text(text), seed=0, hessian=hessian)
    assert outcome.kind == "pass", f"{outcome.kind}: {outcome.detail}"


def test_a_size_no_shape_names_prints_where_it_comes_from():
    """n alone would read back as a variable; its origin tr(eye(n)) reads back as n."""
    f = mc.parse("tr(eye(n)) - a")
    assert str(f) == "tr(eye(n)) - a"
    assert mc.parse(str(f)) is f
    g = mc.parse("sum(x) / n", shapes={"x": ("n",)})
    assert str(g) == "sum(x) / n"


def test_jacobian_of_a_row_round_trips():
    """d (u^2)' / du has shape (1, m, m): a tensor with a unit axis."""
    f = mc.parse("(u^2)'", shapes={"u": ("m",)})
    d = mc.diff(f, "u")
    assert d.shape == (1, "m", "m")
    assert mc.parse(str(d), shapes={"u": ("m",)}) is d
    assert mc.verify(f, "u").ok
