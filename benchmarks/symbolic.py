"""Table 1: parse + differentiate, matcalc against SymPy's matrix expressions.

SymPy gets the same expression: matcalc's parsed tree is translated node for
node into ``MatrixSymbol`` expressions (vectors as n×1 matrices, elementwise
functions through ``applyfunc``, ``sum`` as a product with ``OneMatrix``), then
differentiated with ``.diff``.  Its result is evaluated with ``lambdify`` on
random inputs and compared with matcalc's (which the test suite checks against
finite differences), up to the layout: SymPy may give the transpose or a
reshaped array.  An exception, a result that cannot be evaluated, or different
numbers count as a failure.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import matcalc as mc
from matcalc.core.expr import Expr, postorder

# SPEC section 8: (label, text, shapes, wrt, order)
EXAMPLES: list[tuple[str, str, dict[str, Any], str, int]] = [
    ("least squares ∇x", "0.5*norm(y - A@x)^2", {}, "x", 1),
    ("least squares ∇²x", "0.5*norm(y - A@x)^2", {}, "x", 2),
    ("least squares ∇A", "0.5*norm(y - A@x)^2", {}, "A", 1),
    ("linear regression ∇θ", "norm(y - Phi@theta)^2", {}, "theta", 1),
    ("linear regression ∇²θ", "norm(y - Phi@theta)^2", {}, "theta", 2),
    ("logistic regression ∇w", "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n",
     {"X": "matrix(n, d)", "b": ()}, "w", 1),
    ("logistic regression ∇²w", "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n",
     {"X": "matrix(n, d)", "b": ()}, "w", 2),
    ("logistic regression ∂b", "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n",
     {"X": "matrix(n, d)", "b": ()}, "b", 1),
    ("single layer ∂/∂x", "tanh(A@x + b)", {}, "x", 1),
    ("single layer ∂/∂b", "tanh(A@x + b)", {}, "b", 1),
    ("single layer ∂/∂A (order 3)", "tanh(A@x + b)", {}, "A", 1),
    ("single layer loss ∇A", "0.5*norm(y - tanh(A@x + b))^2", {}, "A", 1),
    ("single layer loss ∇b", "0.5*norm(y - tanh(A@x + b))^2", {}, "b", 1),
    ("two-layer network ∇W1", "0.5*norm(y - W2@tanh(W1@x + b1) - b2)^2", {}, "W1", 1),
    ("two-layer network ∇W2", "0.5*norm(y - W2@tanh(W1@x + b1) - b2)^2", {}, "W2", 1),
    ("three-layer network ∇W1", "0.5*norm(y - W3@tanh(W2@tanh(W1@x)))^2", {}, "W1", 1),
    ("Gaussian NLL ∇μ", "0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu)",
     {"S": "spd(n)"}, "mu", 1),
    ("Gaussian NLL ∇S", "0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu)",
     {"S": "spd(n)"}, "S", 1),
    ("x'Ax ∇x", "x' @ A @ x", {}, "x", 1),
    ("x'Ax ∇²x", "x' @ A @ x", {}, "x", 2),
    ("optimal step ∇g", "(g'@g)/(g'@H@g)", {}, "g", 1),
    ("x1^2 + 2*x2 (scalars)", "x1^2 + 2*x2", {"x1": (), "x2": ()}, "x1", 1),
]

SIZES = {"m": 4, "n": 3, "d": 5, "p": 6, "q": 2, "k": 7, "r": 8}


# ----------------------------------------------------------------------------------------
# matcalc's tree → SymPy matrix expressions


class Untranslatable(Exception):
    pass


def to_sympy(f: Expr, sizes: dict[str, int]) -> tuple[Any, dict[str, Any]]:
    """The SymPy expression for ``f`` and its symbols by variable name."""
    import sympy as sp

    symbols: dict[str, Any] = {}
    done: dict[int, Any] = {}

    def dim(d: Any) -> Any:
        return sp.Symbol(d, integer=True, positive=True) if isinstance(d, str) else d

    def rows_cols(shape: tuple) -> tuple[Any, Any]:
        if len(shape) == 1:
            return dim(shape[0]), 1
        return dim(shape[0]), dim(shape[1])

    def elementwise(fn: Callable[[Any], Any], a: Any) -> Any:
        if isinstance(a, sp.MatrixExpr):
            x = sp.Dummy("t")
            return a.applyfunc(sp.Lambda(x, fn(x)))
        return fn(a)

    functions = {
        "exp": sp.exp, "log": sp.log, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
        "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh, "sqrt": sp.sqrt,
        "sigmoid": lambda t: 1 / (1 + sp.exp(-t)), "abs": sp.Abs,
    }
    for node in postorder(f):
        a = [done[id(x)] for x in node.args]
        op = node.op
        if op == "var":
            if node.ndim == 0:
                out = sp.Symbol(node.name)
            else:
                out = sp.MatrixSymbol(node.name, *rows_cols(node.shape))
            symbols[node.name] = out
        elif op == "const":
            out = sp.Rational(node.value)
        elif op == "dim":
            out = dim(node.attrs[0])
        elif op == "add":
            if any(isinstance(x, sp.MatrixExpr) for x in a):
                out = sp.MatAdd(*[x if isinstance(x, sp.MatrixExpr) else
                                  x * (sp.Identity(1) if node.ndim == 0 else
                                       sp.OneMatrix(*rows_cols(node.shape))) for x in a])
            else:
                out = sp.Add(*a)
        elif op == "mul":
            scal = [x for x, e in zip(a, node.args, strict=True) if not e.shape]
            arr = [x for x, e in zip(a, node.args, strict=True) if e.shape]
            core = arr[0] if len(arr) == 1 else sp.HadamardProduct(*arr) if arr else None
            mats = [x for x in scal if isinstance(x, sp.MatrixExpr)]  # 1×1 products
            nums = [x for x in scal if not isinstance(x, sp.MatrixExpr)]
            s = sp.Mul(*nums) if nums else sp.Integer(1)
            if mats and core is None:
                out = s * sp.MatMul(*mats) if len(mats) > 1 else s * mats[0]
            elif mats:
                raise Untranslatable("a 1×1 product times an array")
            else:
                out = s * core if core is not None else s
        elif op == "pow":
            base, p = a
            if (node.args[0].op == "norm" and node.args[1].op == "const"
                    and node.args[1].value == 2 and node.args[0].args[0].ndim == 1):
                r = done[id(node.args[0].args[0])]
                out = r.T * r  # norm(r)^2 as a user writes it for SymPy
            elif isinstance(base, sp.MatrixExpr) and base.shape == (1, 1):
                out = sp.MatPow(base, p)
            elif isinstance(base, sp.MatrixExpr):
                out = sp.HadamardPower(base, p)
            else:
                out = base ** p
        elif op == "matmul":
            out = sp.MatMul(*a)
        elif op == "transpose":
            out = a[0].T
        elif op == "fn":
            out = elementwise(functions[node.attrs[0]], a[0])
        elif op == "sum":
            r, c = rows_cols(node.args[0].shape)
            out = sp.OneMatrix(1, r) * a[0] * sp.OneMatrix(c, 1) if c != 1 else \
                sp.OneMatrix(1, r) * a[0]
        elif op == "norm":
            x = a[0]
            out = sp.sqrt(sp.Trace(x.T * x))
        elif op == "logdet":
            out = sp.log(sp.Determinant(a[0]))
        elif op == "det":
            out = sp.Determinant(a[0])
        elif op == "inv":
            out = sp.Inverse(a[0])
        elif op == "tr":
            out = sp.Trace(a[0])
        else:
            raise Untranslatable(op)
        done[id(node)] = out
    return done[id(f)], symbols


def _numeric_sympy(result: Any, symbols: dict[str, Any], values: dict[str, np.ndarray],
                   sizes: dict[str, int]) -> np.ndarray:
    import sympy as sp

    subs_dims = {sp.Symbol(k, integer=True, positive=True): v for k, v in sizes.items()}
    if hasattr(result, "subs"):
        result = result.subs(subs_dims)
    names = list(symbols)
    args = []
    for name in names:
        v = np.asarray(values[name], dtype=float)
        args.append(v.reshape(-1, 1) if v.ndim == 1 else v)
    syms = [symbols[n].subs(subs_dims) if hasattr(symbols[n], "subs") else symbols[n]
            for n in names]
    try:
        fn = sp.lambdify(syms, result, "numpy")
        return np.asarray(fn(*args), dtype=float)
    except Exception:  # noqa: BLE001 - e.g. applyfunc: substitute explicit matrices instead
        explicit = {s: (sp.ImmutableMatrix(a) if isinstance(s, sp.MatrixSymbol) else
                        sp.Float(float(a))) for s, a in zip(syms, args, strict=True)}
        value = result.xreplace(explicit).doit()
        if hasattr(value, "as_explicit"):
            value = value.as_explicit()
        if isinstance(value, sp.NDimArray):
            return np.array(value.tolist(), dtype=float)
        return np.array(sp.N(value).tolist() if hasattr(value, "tolist") else sp.N(value),
                        dtype=float)


def _same_up_to_layout(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Equal numbers, allowing SymPy its own layout: unit axes and an order of the axes."""
    import itertools

    ours = np.asarray(ours, dtype=float)
    t = np.squeeze(np.asarray(theirs, dtype=float))
    o = np.squeeze(ours)
    if t.size != o.size:
        return False
    if t.ndim != o.ndim:
        t = t.reshape(o.shape)
    return any(t.transpose(perm).shape == o.shape
               and np.allclose(t.transpose(perm), o, rtol=1e-6, atol=1e-8)
               for perm in itertools.permutations(range(t.ndim)))


@dataclass
class SymRow:
    label: str
    text: str
    matcalc_s: float
    matcalc_first_s: float
    nodes: int
    sympy_s: float | None
    sympy_status: str  # ok / wrong / error: ...


def _draw(f: Expr, rng: np.random.Generator) -> dict[str, np.ndarray]:
    values = {}
    for name, v in f.variables().items():
        shape = tuple(SIZES.get(d, d) if isinstance(d, str) else d for d in v.shape)
        if v.structure or (name in ("S", "H")):
            a = rng.normal(size=shape)
            values[name] = a @ a.T + shape[0] * np.eye(shape[0])
        else:
            values[name] = rng.uniform(0.2, 0.9, size=shape) if name == "y" else \
                rng.normal(size=shape)
    return values


def _time(fn: Callable[[], Any], budget_s: float = 0.3, max_rounds: int = 200) -> float:
    samples = []
    t_end = time.perf_counter() + budget_s
    while len(samples) < 5 or (time.perf_counter() < t_end and len(samples) < max_rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def run(log: Callable[[str], None] = print, sympy_timeout_s: float = 20.0) -> list[SymRow]:
    import sympy as sp

    from matcalc.core.expr import count_nodes

    rows = []
    for label, text, shapes, wrt, order in EXAMPLES:
        def ours(text: str = text, shapes: dict = shapes, wrt: str = wrt,
                 order: int = order) -> Expr:
            f = mc.parse(text, shapes=shapes)
            return mc.diff(f, wrt) if order == 1 else mc.hessian(f, wrt)

        t0 = time.perf_counter()
        result = ours()
        first = time.perf_counter() - t0
        median = _time(ours)
        f = mc.parse(text, shapes=shapes)
        values = _draw(f, np.random.default_rng(0))
        sizes = dict(SIZES)
        expected = mc.evaluate(result, values)

        sym_time: float | None = None
        status = "ok"
        try:
            expr, symbols = to_sympy(f, sizes)
            x = symbols[wrt]

            def theirs(expr: Any = expr, x: Any = x, order: int = order) -> Any:
                d = sp.diff(expr, x)
                return sp.diff(d, x) if order == 2 else d

            t0 = time.perf_counter()
            sym_result = theirs()
            sym_time = time.perf_counter() - t0
            if sym_time < 1.0:
                sym_time = _time(theirs, budget_s=min(2.0, 20 * sym_time + 0.2), max_rounds=30)
            try:
                got = _numeric_sympy(sym_result, symbols, values, sizes)
                if not _same_up_to_layout(expected, got):
                    status = "wrong"
            except Exception as exc:  # noqa: BLE001
                status = f"not evaluable ({type(exc).__name__})"
        except Untranslatable as exc:
            status = f"no SymPy form for {exc}"
        except Exception as exc:  # noqa: BLE001
            status = f"error ({type(exc).__name__})"
        rows.append(SymRow(label, text, median, first, count_nodes(result), sym_time, status))
        log(f"  {label}: matcalc {median * 1e3:.2f} ms (first {first * 1e3:.1f} ms), "
            f"SymPy {'–' if sym_time is None else f'{sym_time * 1e3:.1f} ms'} {status}")
    return rows
