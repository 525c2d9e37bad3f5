"""Numbers: ``evaluate`` and ``to_numpy`` (SPEC section 4), one NumPy rule per operator.

Dimensions are read off the arrays given for the variables and checked against
the declared shapes; the graph is evaluated bottom-up, each distinct node once,
along the plan of :mod:`matcalc.lowering`: matrix chains in the cheapest order
for the actual sizes, ``diag(v)`` in products as a scaling, identities never
built, einsums along a contraction path found once per shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from matcalc.core.dims import Shape, dim_value, format_shape
from matcalc.core.errors import EvaluationError, ShapeError
from matcalc.core.expr import Expr, postorder, related_variables
from matcalc.numeric.lowering import EinsumPlan, Factor, Lowering
from matcalc.ops.record import function as lookup

Array = Any


# ----------------------------------------------------------------------------------------
# binding values and dimensions


def bind(expr: Expr, values: Mapping[str, Any]) -> tuple[dict[str, Array], dict[str, int]]:
    """Arrays for the variables of ``expr`` and the sizes of its named dimensions."""
    if not isinstance(values, Mapping):
        raise ShapeError("values must be a dict from variable name to array")
    arrays: dict[str, Array] = {}
    sizes: dict[str, int] = {}
    seen_from: dict[str, str] = {}
    variables = expr.variables()
    for name, node in variables.items():
        if name not in values:
            raise ShapeError(f"no value given for variable {name} "
                             f"({format_shape(node.shape)})")
        a = _real_array(name, values[name])
        if a.ndim != node.ndim:
            raise ShapeError(f"{name} should have shape {format_shape(node.shape)} "
                             f"but the array has shape {a.shape}")
        for d, n in zip(node.shape, a.shape, strict=True):
            if isinstance(d, int):
                if d != n:
                    raise ShapeError(f"{name} should have shape {format_shape(node.shape)} "
                                     f"but the array has shape {a.shape}")
            elif "*" not in d:
                if d in sizes and sizes[d] != n:
                    raise ShapeError(f"dimension {d} is {sizes[d]} for {seen_from[d]} but "
                                     f"{n} for {name}")
                sizes[d] = n
                seen_from.setdefault(d, name)
        arrays[name] = a
    for name, node in variables.items():  # product dimensions, once their factors are known
        for d, n in zip(node.shape, arrays[name].shape, strict=True):
            if isinstance(d, str) and "*" in d:
                want = dim_value(d, sizes)
                if want is not None and want != n:
                    raise ShapeError(f"{name} should have {d} = {want} entries along an axis, "
                                     f"not {n}")
    for name, node in related_variables(expr).items():  # variables the expression lost
        if name in variables or name not in values:
            continue
        try:
            shape = np.shape(values[name])
        except (TypeError, ValueError):
            continue
        if len(shape) == node.ndim:
            for d, n in zip(node.shape, shape, strict=True):
                if isinstance(d, str) and "*" not in d:
                    sizes.setdefault(d, n)
    for node in postorder(expr):  # dimensions that no variable fixes
        for d in node.shape:
            if isinstance(d, str):
                for part in d.split("*"):
                    if not part.isdigit() and part not in sizes and part in values:
                        sizes[part] = _size(part, values[part])
        if node.op == "dim" and node.attrs[0] not in sizes:
            name = node.attrs[0]
            if name in values:
                sizes[name] = _size(name, values[name])
            else:
                raise ShapeError(f"the size of dimension {name} is not known: no array "
                                 "has it; give it in the values")
    return arrays, sizes


def _size(name: str, value: Any) -> int:
    """A dimension's size given in the values: a positive integer."""
    whole = isinstance(value, int | np.integer) or (
        isinstance(value, float | np.floating) and float(value).is_integer())
    if isinstance(value, bool) or not whole or value < 1:
        raise ShapeError(f"the size of dimension {name} must be a positive integer, "
                         f"not {value!r}")
    return int(value)


def _real_array(name: str, value: Any) -> Array:
    """``value`` as an array of floats; strings, complex numbers and the like are refused."""
    try:
        a = np.asarray(value)
        if np.iscomplexobj(a):
            raise ShapeError(f"the value of {name} is complex; matcalc computes with real "
                             "numbers")
        if a.dtype.kind not in "biufO":
            raise TypeError
        return a.astype(float)
    except (TypeError, ValueError):
        raise ShapeError(f"the value of {name} is not an array of numbers") from None


def concrete(shape: Shape, sizes: dict[str, int]) -> tuple[int, ...]:
    out = []
    for d in shape:
        v = dim_value(d, sizes)
        if v is None:
            raise ShapeError(f"the size of dimension {d} is not known: give it in the values")
        out.append(v)
    return tuple(out)


# ----------------------------------------------------------------------------------------
# one NumPy rule per operator


# Rows and columns are told apart by the symbolic shapes, not the arrays: a row is
# (1, n) with a literal 1, while an (m, n) matrix may well have m == 1 at run time.


def _is_row(shape: Shape) -> bool:
    return len(shape) == 2 and shape[0] == 1


def _matmul2(a: Array, b: Array, sa: Shape, sb: Shape) -> tuple[Array, Shape]:
    """``a @ b`` and its symbolic shape, given the operands' symbolic shapes."""
    if len(sa) == 1 and _is_row(sb) and sa[0] != 1:  # column times row: outer product
        return np.multiply.outer(a, b[0]), (sa[0], sb[1])
    if _is_row(sa) and len(sb) == 1:  # row times column: a scalar
        return (a @ b)[0], ()
    return a @ b, sa[:-1] + sb[1:]


def _matmul(shapes: list[Shape], xs: list[Array]) -> Array:
    out, shape = xs[0], shapes[0]
    for x, s in zip(xs[1:], shapes[1:], strict=True):
        out, shape = _matmul2(out, x, shape, s)
    return out


def _transpose(shape: Shape, a: Array) -> Array:
    if len(shape) == 1:
        return a.reshape(1, -1)
    if _is_row(shape):
        return a.reshape(-1)
    return a.T


def _softmax(x: Array) -> Array:
    z = np.exp(x - np.max(x))
    return z / np.sum(z)


def _logsumexp(x: Array) -> Array:
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _ismax(x: Array) -> Array:
    out = np.zeros_like(x, dtype=float)
    out.flat[int(np.argmax(x))] = 1.0
    return out


def _fn(name: str) -> Callable[[Array], Array]:
    entry = lookup(name)
    assert entry is not None
    return entry.numpy


def _mul(*xs: Array) -> Array:
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _add(*xs: Array) -> Array:
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _power(b: Array, p: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(b, p)


NUMPY: dict[str, Callable[..., Array]] = {
    "add": _add,
    "mul": _mul,
    "pow": _power,
    "sum": np.sum,
    "norm": lambda a: np.linalg.norm(a.reshape(-1)),
    "norm1": lambda a: np.sum(np.abs(a)),
    "norminf": lambda a: np.max(np.abs(a)),
    "tr": np.trace,
    "det": np.linalg.det,
    "logdet": lambda a: np.linalg.slogdet(a)[1],
    "inv": np.linalg.inv,
    "diag": np.diag,
    "diagpart": lambda a: np.diag(a).copy(),
    "softmax": _softmax,
    "logsumexp": _logsumexp,
    "ismax": _ismax,
    "kron": np.kron,
    "vec": lambda a: a.reshape(-1, order="F"),
}


def _leaf(node: Expr, arrays: dict[str, Array], sizes: dict[str, int]) -> Array:
    op = node.op
    if op == "const":
        return np.float64(node.attrs[0])
    if op == "var":
        return arrays[node.attrs[0]]
    if op == "dim":
        return np.float64(sizes[node.attrs[0]])
    if op == "zeros":
        return np.zeros(concrete(node.shape, sizes))
    if op == "ones":
        return np.ones(concrete(node.shape, sizes))
    if op == "eye":
        return np.eye(concrete(node.shape, sizes)[0])
    raise TypeError(f"no leaf rule for {op}")


# ----------------------------------------------------------------------------------------
# lowered nodes (see matcalc.lowering): chains, einsums with deltas, fused traces


def _chain(node: Expr, factors: list[Factor], xs: list[Array]) -> Array:
    """A matrix product in the cheapest order: vectors first, diagonals as scalings."""
    scale = None
    fs: list[tuple[str, Array]] = []
    for f, x in zip(factors, xs, strict=True):
        if f.kind == "scalar":
            scale = x if scale is None else scale * x
        elif f.kind == "row2":
            fs.append(("row", x.reshape(-1)))
        elif f.row_sums:
            fs.append(("col", x.sum(axis=1)))
        else:
            fs.append((f.kind, x))
    while True:  # a vector followed by a vector or a matrix: NumPy's 1-D left operand
        k = next((i for i in range(len(fs) - 1)
                  if fs[i][0] == "col" and fs[i + 1][0] != "row"), None)
        if k is None:
            break
        u, kind = _product(fs[:k + 1])
        if kind == "scalar":
            scale, fs = (u if scale is None else scale * u), fs[k + 1:]
        else:
            fs = [("row", u), *fs[k + 1:]]
    out, _ = _product(fs)
    if scale is not None:
        out = scale * out
    if node.ndim == 2 and np.ndim(out) == 1:  # a row (1, n)
        out = out.reshape(1, -1)
    return out


def _product(fs: list[tuple[str, Array]]) -> tuple[Array, str]:
    """A chain whose vectors are only at its ends or in outer products."""
    segments: list[list[tuple[str, Array]]] = [[]]
    for k, f in enumerate(fs):  # a column followed by a row: an outer product
        if k and f[0] == "row" and fs[k - 1][0] == "col":
            segments.append([])
        segments[-1].append(f)
    parts = [_segment(seg) for seg in segments]
    if len(parts) == 1:
        return parts[0]
    vectors = [v for v, kind in (parts[0], parts[-1]) if kind == "vec"]
    scalars = [v for v, _ in parts[1:-1]]
    scalars += [v for v, kind in (parts[0], parts[-1]) if kind == "scalar"]
    s = _mul(*scalars) if scalars else None
    if len(vectors) == 2:
        return np.multiply.outer(vectors[0], vectors[1] if s is None else s * vectors[1]), "mat"
    if vectors:
        return (vectors[0] if s is None else s * vectors[0]), "vec"
    return s, "scalar"


def _segment(fs: list[tuple[str, Array]]) -> tuple[Array, str]:
    """One part of a chain: (value, 'vec' | 'scalar' | 'mat')."""
    n = len(fs)
    has_left = n > 1 and fs[0][0] in ("row", "col")
    has_right = fs[-1][0] == "col" and not (n == 1 and has_left)
    if n == 1 and fs[0][0] in ("row", "col"):
        has_left, has_right = False, True
    middle = fs[(1 if has_left else 0):(n - 1 if has_right else n)]
    if has_right:  # right to left: matrix-vector products
        v = fs[-1][1]
        for kind, x in reversed(middle):
            v = x * v if kind == "diag" else x @ v
        if has_left:
            return fs[0][1] @ v, "scalar"
        return v, "vec"
    if has_left:  # left to right: vector-matrix products
        v = fs[0][1]
        for kind, x in middle:
            v = v * x if kind == "diag" else v @ x
        return v, "vec"
    mats: list[Array] = []
    pending = None  # diagonals waiting for the next matrix
    for k, (kind, x) in enumerate(middle):
        if kind == "diag":
            next_is_matrix = k + 1 < len(middle) and middle[k + 1][0] == "mat"
            if mats and not next_is_matrix and pending is None:
                mats[-1] = mats[-1] * x  # M @ diag(v) = M * v
            else:
                pending = x if pending is None else pending * x
            continue
        if pending is not None:
            x, pending = pending[:, None] * x, None  # diag(v) @ M = v[:, None] * M
        mats.append(x)
    if pending is not None:
        return np.diag(pending), "mat"
    if len(mats) == 1:
        return mats[0], "mat"
    if len(mats) == 2:
        return mats[0] @ mats[1], "mat"
    return np.linalg.multi_dot(mats), "mat"  # the cheapest order for these sizes


_PATHS: dict[tuple[Any, ...], Any] = {}


def _einsum(spec: str, operands: list[Array]) -> Array:
    """np.einsum along the best path (greedy beyond 6 operands), found once per spec."""
    if len(operands) < 2:
        return np.einsum(spec, *operands)
    key = (spec, *(o.shape for o in operands))
    path = _PATHS.get(key)
    if path is None:
        if len(_PATHS) > 4096:
            _PATHS.clear()
        path = _PATHS[key] = np.einsum_path(
            spec, *operands, optimize="optimal" if len(operands) <= 6 else "greedy")[0]
    return np.einsum(spec, *operands, optimize=path)


def _einsum_lowered(node: Expr, plan: EinsumPlan, args: list[Array],
                    sizes: dict[str, int]) -> Array:
    terms, full, reduced = plan.specs()
    scale = 1
    for d in plan.scalars:
        scale *= concrete((d,), sizes)[0]
    present = set(terms) - {","}
    kept = "".join(ch for ch in reduced if ch in present)
    value = _einsum(f"{terms}->{kept}", args) if args else np.float64(1.0)
    if scale != 1:
        value = scale * value
    if not plan.alias:
        return value
    if args and kept != reduced:  # broadcast over the output axes no operand has
        value = value[tuple(slice(None) if ch in present else None for ch in reduced)]
    out = np.zeros(concrete(node.shape, sizes))
    np.einsum(f"{full}->{reduced}", out)[...] = value  # a writable diagonal view
    return out


def _lowered(node: Expr, recipe: Any, args: list[Array], sizes: dict[str, int]) -> Array:
    if recipe == "alias":  # computed as an equal expression
        return args[0]
    if recipe == "trace_of_product":
        return np.einsum("ij,ji->", args[0], args[1])
    if recipe == "squared_norm":
        r = args[0].reshape(-1)
        return r @ r
    if isinstance(recipe, EinsumPlan):
        return _einsum_lowered(node, recipe, args, sizes)
    return _chain(node, recipe, args)


def _apply(node: Expr, args: list[Array], sizes: dict[str, int], recipe: Any = None) -> Array:
    if recipe is not None:
        return _lowered(node, recipe, args, sizes)
    op = node.op
    if op == "fn":
        with np.errstate(all="ignore"):
            return _fn(node.attrs[0])(args[0])
    if op == "einsum":
        return np.einsum(node.attrs[0], *args, optimize=len(args) > 2)
    if op == "unvec":
        return args[0].reshape(concrete(node.shape, sizes), order="F")
    if op == "reshape":
        return np.reshape(args[0], concrete(node.shape, sizes))
    if op == "matmul":
        return _matmul([a.shape for a in node.args], args)
    if op == "transpose":
        return _transpose(node.args[0].shape, args[0])
    return NUMPY[op](*args)


def evaluate(expr: Expr, values: Mapping[str, Any]) -> Array:
    """The value of ``expr`` as a NumPy array (or NumPy scalar) of its concrete shape."""
    if not isinstance(values, Mapping):
        raise ShapeError("values must be a dict from variable name to array")
    return _compile(expr)(values)  # not through **values: keys need not be names


def to_numpy(expr: Expr) -> Callable[..., Array]:
    """A function of the variables (keyword arguments) computing ``expr`` with NumPy."""
    compute = _compile(expr)

    def run(**values: Any) -> Array:
        return compute(values)

    run.__doc__ = f"NumPy value of {expr}"
    return run


def _compile(expr: Expr) -> Callable[[Mapping[str, Any]], Array]:
    if not isinstance(expr, Expr):
        raise TypeError("to_numpy needs an expression")
    low = Lowering([expr])
    order = low.order([expr])
    index = {id(n): i for i, n in enumerate(order)}
    plan = [(n, [index[id(a)] for a in low.lower(n)], low.recipe.get(id(n))) for n in order]

    def compute(values: Mapping[str, Any]) -> Array:
        arrays, sizes = bind(expr, values)
        results: list[Array] = []
        with np.errstate(all="ignore"):
            for node, arg_ids, recipe in plan:
                if arg_ids or recipe is not None:
                    try:
                        results.append(_apply(node, [results[i] for i in arg_ids], sizes,
                                              recipe))
                    except np.linalg.LinAlgError as e:  # inv of a singular matrix
                        raise EvaluationError(f"cannot evaluate {node}: {e}") from None
                else:
                    results.append(_leaf(node, arrays, sizes))
        out = results[-1]
        want = concrete(expr.shape, sizes)
        out = np.asarray(out, dtype=float)
        if out.shape != want:
            out = np.broadcast_to(out, want).copy()
        return out[()] if out.ndim == 0 else out

    return compute
