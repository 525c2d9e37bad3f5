"""Generated NumPy modules (SPEC section 4, ``codegen``): imported and checked numerically.

Each module is written to a temporary directory and imported; its value,
derivatives and Hessians are compared with ``evaluate`` of the symbolic results
and with central finite differences of the generated code itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import matcalc as mc

from generated import load

SIZES = {"m": 5, "n": 4, "d": 3, "p": 6, "q": 2, "k": 3, "r": 4}


def draw(f: mc.Expr, rng: np.random.Generator, spd: tuple[str, ...] = (),
         positive: tuple[str, ...] = (), sizes: dict[str, int] | None = None
         ) -> dict[str, np.ndarray]:
    sizes = {**SIZES, **(sizes or {})}
    pool = iter(range(7, 40))
    values = {}
    for name, v in f.variables().items():
        shape = []
        for dim in v.shape:
            if isinstance(dim, int):
                shape.append(dim)
            else:
                if dim not in sizes:
                    sizes[dim] = next(pool)
                shape.append(sizes[dim])
        if name in spd:
            a = rng.normal(size=shape)
            values[name] = a @ a.T + shape[0] * np.eye(shape[0])
        elif name in positive:
            values[name] = rng.uniform(0.2, 0.8, size=shape)
        else:
            values[name] = rng.normal(size=shape)
    return values


def contract(d: np.ndarray, direction: np.ndarray, f_ndim: int) -> np.ndarray:
    """Derivative (shape of f + shape of x) applied to a direction of x."""
    axes = list(range(f_ndim, d.ndim))
    return np.tensordot(d, direction, axes=(axes, list(range(direction.ndim))))


# SPEC section 8: text, declarations, variables to differentiate by, order, value hints
EXAMPLES = [
    ("least squares", "0.5*norm(y - A@x)^2", {}, ["x", "A"], 2, {}),
    ("linear regression", "norm(y - Phi@theta)^2", {}, ["theta"], 2, {}),
    ("logistic regression",
     "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n",
     {"X": "matrix(n, d)", "b": ()}, ["w", "b"], 2, {"positive": ("y",)}),
    ("gaussian nll", "0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu)",
     {"S": "spd(n)"}, ["mu", "S"], 2, {"spd": ("S",)}),
    ("single layer", "tanh(A@x + b)", {}, ["x", "b", "A"], 1, {}),
    ("single layer loss", "0.5*norm(y - tanh(A@x + b))^2", {}, ["A", "b"], 2, {}),
    ("two-layer network", "0.5*norm(y - W2@tanh(W1@x + b1) - b2)^2", {},
     ["W1", "W2", "b1"], 2, {}),
    ("three-layer network", "0.5*norm(y - W3@tanh(W2@tanh(W1@x)))^2", {},
     ["W1", "W2", "W3"], 1, {}),
    ("quadratic", "x' @ A @ x", {}, ["x", "A"], 2, {}),
    ("optimal step", "(g'@g)/(g'@H@g)", {}, ["g"], 2, {"spd": ("H",)}),
]


@pytest.mark.parametrize("label,text,shapes,wrt,order,hints", EXAMPLES,
                         ids=[e[0] for e in EXAMPLES])
def test_examples_match_evaluate_and_finite_differences(
        tmp_path: Path, label: str, text: str, shapes: dict[str, Any], wrt: list[str],
        order: int, hints: dict[str, Any]) -> None:
    f = mc.parse(text, shapes=shapes)
    source = mc.codegen(f, wrt=wrt, order=order)
    module = load(source, tmp_path)
    rng = np.random.default_rng(1)
    values = draw(f, rng, **hints)
    out = module.value_and_derivatives(**values)
    expected = [f] + [mc.diff(f, w) for w in wrt]
    if order == 2:  # the Hessian by each variable (SPEC), then the mixed blocks row by row
        expected += [mc.diff(mc.diff(f, a), a) for a in wrt]
        expected += [mc.diff(mc.diff(f, a), b) for a in wrt for b in wrt if a != b]
    assert len(out) == len(expected)
    for got, e in zip(out, expected, strict=True):
        want = mc.evaluate(e, values)
        assert np.shape(got) == np.shape(want), str(e)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11, err_msg=str(e))

    # the generated derivatives against central differences of the generated code
    def outputs(**changed: np.ndarray) -> tuple[Any, ...]:
        result: tuple[Any, ...] = module.value_and_derivatives(**{**values, **changed})
        return result

    h = 1e-6
    for k, w in enumerate(wrt):
        if w in hints.get("spd", ()):
            v = rng.normal(size=values[w].shape)
            v = v + v.T
        else:
            v = rng.normal(size=np.shape(values[w]))
        plus = outputs(**{w: values[w] + h * v})
        minus = outputs(**{w: values[w] - h * v})
        fd = (np.asarray(plus[0]) - np.asarray(minus[0])) / (2 * h)
        np.testing.assert_allclose(contract(np.asarray(out[1 + k]), v, f.ndim), fd,
                                   rtol=1e-5, atol=1e-6, err_msg=f"d/d{w}")
        if order == 2:  # every block d2f/da dw against differences of grad_a along w
            K = len(wrt)
            mixed = [(a, b) for a in range(K) for b in range(K) if a != b]
            for j, a in enumerate(wrt):
                fd2 = (np.asarray(plus[1 + j]) - np.asarray(minus[1 + j])) / (2 * h)
                at = 1 + K + (j if j == k else K + mixed.index((j, k)))
                hess = np.asarray(out[at])
                np.testing.assert_allclose(contract(hess, v, hess.ndim - v.ndim), fd2,
                                           rtol=1e-5, atol=1e-6, err_msg=f"d2/d{a}d{w}")
        assert mc.verify(f, w).ok


def test_source_is_numpy_only_and_never_evals(tmp_path: Path) -> None:
    f = mc.parse("0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu)", shapes={"S": "spd(n)"})
    source = mc.codegen(f, wrt=["mu", "S"], order=2)
    tree = ast.parse(source)
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [a.name for n in imports for a in n.names] == ["numpy"]
    assert not re.search(r"\b(eval|exec|compile|__import__|getattr)\s*\(", source)
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert "value_and_derivatives" in functions


def test_shape_assertions(tmp_path: Path) -> None:
    f = mc.parse("0.5*norm(y - A@x)^2")
    module = load(mc.codegen(f, wrt=["x"]), tmp_path)
    rng = np.random.default_rng(0)
    A, x, y = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5)
    module.value_and_derivatives(A=A, x=x, y=y)
    with pytest.raises(ValueError, match="x"):
        module.value_and_derivatives(A=A, x=rng.normal(size=4), y=y)
    with pytest.raises(ValueError, match="y"):
        module.value_and_derivatives(A=A, x=x, y=rng.normal(size=6))
    with pytest.raises(ValueError, match="axes"):
        module.value_and_derivatives(A=A, x=x[:, None], y=y)
    with pytest.raises(ValueError, match="no value"):
        module.value_and_derivatives(A=A, x=x)
    module.value_and_derivatives(A=A, x=x, y=y, unused=1.0)  # extra entries are ignored


def code(source: str) -> str:
    """The generated statements without docstrings and comments."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant):
            body.pop(0)
    return ast.unparse(tree)


def test_common_subexpressions_are_computed_once() -> None:
    f = mc.parse("0.5*norm(y - tanh(A@x + b))^2")
    source = code(mc.codegen(f, wrt=["A", "b"], order=2))
    assert source.count("np.tanh(") == 1
    assert source.count("A @ x") == 1


def test_chains_are_ordered_by_cost() -> None:
    f = mc.parse("x' @ A' @ A @ x + sum(A' @ A @ y)")
    source = code(mc.codegen(f, wrt=["x", "y"]))
    assert "A.T @ (A @ x)" in source
    assert "(A.T @ A)" not in source and "A.T @ A @" not in source


def test_three_matrices_in_the_cheaper_order(tmp_path: Path) -> None:
    f = mc.parse("sum(A @ B @ C)")
    source = mc.codegen(f)
    module = load(source, tmp_path)
    rng = np.random.default_rng(0)
    for a, b, c, d in [(50, 2, 50, 2), (2, 50, 2, 50)]:
        A, B, C = rng.normal(size=(a, b)), rng.normal(size=(b, c)), rng.normal(size=(c, d))
        (value,) = module.value_and_derivatives(A=A, B=B, C=C)
        assert np.isclose(value, np.sum(A @ B @ C))


def test_evaluate_and_codegen_multiply_a_chain_in_one_order() -> None:
    """One scheduler: the lowering's schedule is what evaluate runs and codegen writes."""
    from matcalc.numeric.lowering import ChainPlan, Lowering
    from matcalc.numeric.schedule import left_first

    for dims, written in [((2, 30, 3, 40), "A @ B @ C"), ((30, 2, 40, 3), "A @ (B @ C)")]:
        p0, p1, p2, p3 = dims
        f = mc.parse("A @ B @ C", shapes={"A": (p0, p1), "B": (p1, p2), "C": (p2, p3)})
        low = Lowering([f])
        low.order([f])
        plan = low.recipe[id(f)]
        assert isinstance(plan, ChainPlan) and plan.schedule.kind == "chain3"
        assert plan.schedule.dims == dims
        assert left_first(*dims) == (written == "A @ B @ C")
        assert written in code(mc.codegen(f))


def test_diagonals_and_identities_are_never_built() -> None:
    f = mc.parse("tanh(A@x + b)")
    source = mc.codegen(f, wrt=["x", "A"])
    assert "[:, None] * A" in source
    assert "np.eye" not in source and "np.diag(" not in source
    g = mc.parse("sum(M @ diag(v) @ x)")
    assert "np.diag(" not in mc.codegen(g, wrt=["x", "v"])


def test_order_three_and_four_tensors(tmp_path: Path) -> None:
    f = mc.parse("tanh(A@x + b)")
    module = load(mc.codegen(f, wrt=["A"]), tmp_path)
    rng = np.random.default_rng(0)
    values = {"A": rng.normal(size=(4, 3)), "x": rng.normal(size=3), "b": rng.normal(size=4)}
    value, jac = module.value_and_derivatives(**values)
    assert jac.shape == (4, 4, 3)
    np.testing.assert_allclose(jac, mc.evaluate(mc.diff(f, "A"), values))


def test_rows_follow_evaluate(tmp_path: Path) -> None:
    for text in ["x' @ A", "x' @ A + y'", "(A @ x)'", "x @ y'", "x' @ y"]:
        f = mc.parse(text)
        module = load(mc.codegen(f, wrt=["x"]), tmp_path)
        values = draw(f, np.random.default_rng(2))
        out = module.value_and_derivatives(**values)
        for got, e in zip(out, [f, mc.diff(f, "x")], strict=True):
            want = mc.evaluate(e, values)
            assert np.shape(got) == np.shape(want), text
            np.testing.assert_allclose(got, want, err_msg=text)


MORE = [
    "sum(exp(X)) + tr(A @ B)", "softmax(x)", "logsumexp(x)", "norm1(x) + norminf(x)",
    "kron(A, B)", "vec(X)", "det(X)", "inv(X) @ x", "relu(x) + softplus(x) + abs(x)",
    "einsum(\"ij,jk->ik\", A, B)", "diag(A)", "sqrt(x) * sin(x) / cos(x)", "x^3 - 2*x",
    "sum(sinh(x) + cosh(x)) + norm(X)", "ismax(x) * x", "A @ diag(v) @ B @ x",
    "sigmoid(x) * step(x) + sign(x)", "outer(x, y) @ z", "tr(A @ X @ B)", "logdet(X)",
]


@pytest.mark.parametrize("text", MORE)
def test_operators_match_evaluate(tmp_path: Path, text: str) -> None:
    f = mc.parse(text)
    names = list(f.variables())
    wrt = [n for n in names if f.variables()[n].ndim <= 2][:2]
    module = load(mc.codegen(f, wrt=wrt), tmp_path)
    rng = np.random.default_rng(3)
    values = draw(f, rng, positive=("x",), spd=tuple(n for n in names if n == "X"
                                                       and f.variables()[n].ndim == 2
                                                       and f.variables()[n].shape[0] ==
                                                       f.variables()[n].shape[1]))
    out = module.value_and_derivatives(**values)
    for got, e in zip(out, [f] + [mc.diff(f, w) for w in wrt], strict=True):
        want = mc.evaluate(e, values)
        assert np.shape(got) == np.shape(want), str(e)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=str(e))


def test_dimension_sizes_given_as_values(tmp_path: Path) -> None:
    f = mc.parse("sum(x) / n + m", shapes={"x": ("n",), "m": "scalar"})
    module = load(mc.codegen(f, wrt=["x"]), tmp_path)
    value, grad = module.value_and_derivatives(x=np.arange(4.0), m=1.0)
    assert np.isclose(value, 1.5 + 1.0)
    np.testing.assert_allclose(grad, np.full(4, 0.25))


def test_names_that_are_python_keywords(tmp_path: Path) -> None:
    f = mc.parse("lambda * norm(values)^2", shapes={"lambda": (), "values": ("n",)})
    module = load(mc.codegen(f, wrt=["values"]), tmp_path)
    v = np.array([1.0, 2.0])
    value, grad = module.value_and_derivatives(**{"lambda": 3.0, "values": v})
    assert np.isclose(value, 15.0)
    np.testing.assert_allclose(grad, 6 * v)


def test_bad_requests() -> None:
    f = mc.parse("A @ x")
    with pytest.raises(mc.DiffError):
        mc.codegen(f, wrt=["x"], order=2)
    with pytest.raises(mc.DiffError):
        mc.codegen(f, wrt=["x + y"])
    with pytest.raises(mc.MatcalcError):
        mc.codegen("A @ x", wrt=["x"])  # type: ignore[arg-type]


def plain_evaluate(e: mc.Expr, values: dict[str, np.ndarray]) -> np.ndarray:
    """Evaluation by the per-operator rules alone, without the lowered plan."""
    from matcalc.numeric.reference import node_values

    return np.asarray(node_values(e, values)[-1][1], dtype=float)


@pytest.mark.parametrize("label,text,shapes,wrt,order,hints", EXAMPLES,
                         ids=[e[0] for e in EXAMPLES])
def test_lowered_evaluation_matches_plain_rules(label: str, text: str, shapes: dict[str, Any],
                                                wrt: list[str], order: int,
                                                hints: dict[str, Any]) -> None:
    f = mc.parse(text, shapes=shapes)
    values = draw(f, np.random.default_rng(4), **hints)
    exprs = [f] + [mc.diff(f, w) for w in wrt]
    if order == 2:
        exprs += [mc.hessian(f, w) for w in wrt]
    for e in exprs:
        np.testing.assert_allclose(mc.evaluate(e, values), plain_evaluate(e, values),
                                   rtol=1e-10, atol=1e-12, err_msg=str(e))


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from matcalc.cli.app import main

    assert main(["codegen", "0.5*norm(y - A@x)^2", "--wrt", "x", "--wrt", "A",
                 "--order", "2"]) == 0
    module = load(capsys.readouterr().out, tmp_path)
    rng = np.random.default_rng(5)
    A, x, y = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    value, grad_x, grad_A, hess_x, hess_A, hess_x_A, hess_A_x = module.value_and_derivatives(
        A=A, x=x, y=y)  # the Hessian by each variable, then the mixed blocks row by row
    np.testing.assert_allclose(grad_x, A.T @ (A @ x - y))
    np.testing.assert_allclose(hess_x, A.T @ A)
    # by hand: d2f/dA_ij dA_kl = delta_ik x_j x_l and
    # d2f/dx_p dA_kl = delta_pl (A x - y)_k + A_kp x_l
    np.testing.assert_allclose(hess_A, np.einsum("ik,j,l->ijkl", np.eye(4), x, x), atol=1e-12)
    r = A @ x - y
    np.testing.assert_allclose(hess_x_A, np.einsum("pl,k->pkl", np.eye(3), r)
                               + np.einsum("kp,l->pkl", A, x), atol=1e-12)
    assert hess_A_x.shape == (4, 3, 3)
    np.testing.assert_allclose(hess_x_A, np.moveaxis(hess_A_x, 2, 0))
    assert main(["codegen", "A@x", "--wrt", "x", "--order", "2"]) == 2


def swish_np(v: Any) -> Any:
    """A user's elementwise function: a module-level def, whose source codegen carries."""
    return v / (1 + np.exp(-v))


def test_registered_functions_are_written_into_the_module(tmp_path: Path) -> None:
    import sympy as sp

    t = sp.Symbol("t")
    mc.register_function("swishgen", sp.diff(t / (1 + sp.exp(-t)), t), numpy_fn=swish_np)
    # a variable named like the function: the module renames the variable, not the def
    f = mc.parse("sum(swishgen(A @ swish_np))")
    source = mc.codegen(f, wrt=["swish_np", "A"])
    assert "def swish_np(v" in source and "import matcalc" not in source
    module = load(source, tmp_path)
    rng = np.random.default_rng(6)
    values = {"A": rng.normal(size=(3, 4)), "swish_np": rng.normal(size=4)}
    out = module.value_and_derivatives(**values)
    for got, e in zip(out, [f, mc.diff(f, "swish_np"), mc.diff(f, "A")], strict=True):
        np.testing.assert_allclose(got, mc.evaluate(e, values), rtol=1e-12, err_msg=str(e))

    # a lambda has no source a module can carry: a clear error, not a broken module
    mc.register_function("swishlambda", None, numpy_fn=lambda v: v / (1 + np.exp(-v)))
    with pytest.raises(mc.MatcalcError, match="user-defined"):
        mc.codegen(mc.parse("sum(swishlambda(x))"))


@pytest.mark.parametrize("text, shapes", [
    ("sum(exp(value*x))", {"value": ()}),
    ("sum(exp(grad_x*x)) + grad_x", {"grad_x": ()}),
    ("hess_x * norm(x)^2 + sum(tanh(x))", {"hess_x": ()}),
    ("np * sum(exp(x)) + _array * sum(x)", {"np": (), "_array": ()}),
    ("sum(exp(s + x) * s) + pw * sum(p * x)", {"s": ("n",), "p": ("n",), "pw": ()}),
    ("value_ * sum(exp(value * x)) + jac_x", {"value": (), "value_": (), "jac_x": ()}),
])
def test_names_the_module_introduces_are_reserved(tmp_path: Path, text: str,
                                                  shapes: dict[str, Any]) -> None:
    """A variable named like an output, a helper or a temporary is renamed inside."""
    f = mc.parse(text, shapes={**shapes, "x": ("n",)})
    module = load(mc.codegen(f, wrt=["x"], order=2), tmp_path)
    rng = np.random.default_rng(3)
    values = {name: rng.uniform(0.2, 0.8, size=(4,) * v.ndim)
              for name, v in f.variables().items()}
    value, grad, hess = module.value_and_derivatives(**values)
    np.testing.assert_allclose(value, mc.evaluate(f, values), rtol=1e-12)
    np.testing.assert_allclose(grad, mc.evaluate(mc.diff(f, "x"), values), rtol=1e-12)
    np.testing.assert_allclose(hess, mc.evaluate(mc.hessian(f, "x"), values), rtol=1e-12)
    assert mc.verify(f, "x").ok


@pytest.mark.parametrize("text,name", [
    ("x' @ S @ x where S: symmetric(n)", "S"),
    ("logdet(S) + sum(inv(S) @ x) where S: spd(n)", "S"),
    ("tr(P @ A) where P: spd(m)", "P"),
])
def test_generated_code_refuses_values_that_break_a_declared_structure(
        text: str, name: str, tmp_path: Path) -> None:
    f = mc.parse(text)
    module = load(mc.codegen(f, wrt=sorted(f.variables())), tmp_path)
    rng = np.random.default_rng(3)
    values: dict[str, Any] = {}
    for v, node in f.variables().items():
        shape = tuple(4 for _ in node.shape)
        values[v] = (np.eye(4) * 2 + 0.1 * (lambda b: b + b.T)(rng.normal(size=(4, 4)))
                     if node.structure else rng.normal(size=shape))
    outputs = module.value_and_derivatives(**values)
    np.testing.assert_allclose(outputs[0], mc.evaluate(f, values), rtol=1e-10)
    skewed = dict(values)
    skewed[name] = values[name] + np.triu(np.ones((4, 4)), 1) * 0.5  # not symmetric
    with pytest.raises(ValueError, match="not symmetric"):
        module.value_and_derivatives(**skewed)
    with pytest.raises(mc.ShapeError, match="not symmetric"):
        mc.evaluate(f, skewed)
    if f.variables()[name].structure == "spd":
        indefinite = dict(values)
        indefinite[name] = -values[name]
        with pytest.raises(ValueError, match="not positive definite"):
            module.value_and_derivatives(**indefinite)


def test_hessian_block_names_stay_distinct_when_variable_names_contain_underscores(
        tmp_path: Path) -> None:
    """With variables w, b and w_b, d2f/dw db must not be called hess_w_b (w_b's own block)."""
    f = mc.parse("sum(exp(w)) * b + b * sum(w_b^2) + sum(w * w_b) "
                 "where w: vector(n), b: scalar, w_b: vector(n)")
    source = mc.codegen(f, wrt=["w", "b", "w_b"], order=2)
    assert "hess_w__b" in source and "hess_w_b," in source
    module = load(source, tmp_path)
    rng = np.random.default_rng(5)
    values = {"w": rng.normal(size=3), "b": 0.7, "w_b": rng.normal(size=3)}
    outputs = module.value_and_derivatives(**values)
    names = ["w", "b", "w_b"]
    blocks = [(i, i) for i in range(3)] + [(i, j) for i in range(3) for j in range(3) if i != j]
    for (i, j), block in zip(blocks, outputs[4:], strict=True):
        expected = mc.evaluate(mc.diff(mc.diff(f, names[i]), names[j]), values)
        np.testing.assert_allclose(block, expected, rtol=1e-12, atol=1e-12)
    assert mc.verify(f, "w_b").ok and mc.verify(mc.diff(f, "w"), "b").ok
