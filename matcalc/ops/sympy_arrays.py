"""Object arrays of SymPy expressions, and the matrix operations on them, entry by entry.

The second opinion (:mod:`matcalc.check.second_opinion`) expands an expression
into its scalar entries: every value is a NumPy array of dtype object holding
SymPy expressions (0-d for a scalar), and these are the operations on such
arrays that NumPy's own would do with numbers — without simplifying on the way
(SymPy's ``Matrix.det`` cancels every intermediate, which explodes on
transcendental entries).  The operator records' ``sympy`` values
(:class:`matcalc.ops.record.Op`) are written with them; they live here, below
the check stage, because the records do.

SymPy is imported by each function when it first runs, never by this module:
the records are built on every ``import matcalc``, the second opinion runs
rarely, and importing SymPy takes most of a second (README, "Speed").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from matcalc.core.dims import dim_value
from matcalc.core.errors import MatcalcError

if TYPE_CHECKING:
    from matcalc.core.expr import Expr

Obj = np.ndarray  # object arrays of SymPy expressions (0-d for scalars)


class Unsupported(MatcalcError):
    """An expression the second opinion cannot expand (a user function without SymPy form)."""


@dataclass(frozen=True)
class Context:
    """What a record's ``sympy`` value may need besides its operands' entries.

    ``sizes`` are the concrete sizes of the dimensions, ``variables`` the
    entries of every variable (symbols, or numbers at a point).
    """

    sizes: dict[str, int]
    variables: dict[str, Obj]

    def shape(self, node: Expr) -> tuple[int, ...]:
        """``node``'s shape in these sizes (Unsupported if a dimension has none)."""
        out = []
        for d in node.shape:
            v = dim_value(d, self.sizes)
            if v is None:
                raise Unsupported(f"the size of dimension {d} is not known")
            out.append(v)
        return tuple(out)


# a record's SymPy value: the node, its operands' entries, the context
SympyValue = Callable[["Expr", list[Obj], Context], Obj]


def number(v: Any) -> Any:
    """A matcalc number as an exact SymPy number."""
    import sympy
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Rational(v) if isinstance(v, int) else sympy.nsimplify(v, rational=True)


def unary(fn: Callable[[Obj], Obj]) -> SympyValue:
    """The value of an operator that depends on its one operand only."""
    return lambda node, a, ctx: fn(a[0])


def fold(step: Callable[[Obj, Obj], Obj]) -> SympyValue:
    """The value of an n-ary operator applied pairwise from the left."""
    def value(node: Expr, a: list[Obj], ctx: Context) -> Obj:
        out = a[0]
        for b in a[1:]:
            out = step(out, b)
        return out
    return value


def scalar(x: Any) -> Obj:
    """A 0-d object array holding ``x``."""
    out = np.empty((), dtype=object)
    out[()] = x
    return out


def as_array(a: Any) -> Obj:
    """``a`` if it is an array, else a 0-d one holding it."""
    return a if isinstance(a, np.ndarray) else scalar(a)


def map_entries(fn: Callable[[Any], Any], a: Obj) -> Obj:
    """``fn`` applied to every entry."""
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = fn(a[idx])
    return out


def zip_entries(fn: Callable[[Any, Any], Any], a: Obj, b: Obj) -> Obj:
    """``fn`` applied to the entries of ``a`` and ``b``, broadcast against each other."""
    a, b = np.broadcast_arrays(as_array(a), as_array(b))
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = fn(a[idx], b[idx])
    return out


def matmul(a: Obj, b: Obj) -> Obj:
    """``a @ b`` as SPEC section 2 defines it (rows are 1×n, columns 1-D)."""
    import sympy
    if a.ndim == 1 and b.ndim == 2 and b.shape[0] == 1 and a.shape[0] != 1:
        return outer(a, b[0])
    if a.ndim == 2 and a.shape[0] == 1 and b.ndim == 1:
        return scalar(sympy.Add(*(a[0, k] * b[k] for k in range(b.shape[0]))))
    A = a if a.ndim == 2 else a.reshape(1, -1)
    B = b if b.ndim == 2 else b.reshape(-1, 1)
    out = np.empty((A.shape[0], B.shape[1]), dtype=object)
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            out[i, j] = sympy.Add(*(A[i, k] * B[k, j] for k in range(A.shape[1])))
    if a.ndim == 1 and b.ndim == 1:
        return scalar(out[0, 0])
    if a.ndim == 1:
        return np.asarray(out[0])
    if b.ndim == 1:
        return np.asarray(out[:, 0])
    return out


def outer(a: Obj, b: Obj) -> Obj:
    """Every product ``a[i] * b[j]``, indexed ``[i..., j...]``."""
    out = np.empty(a.shape + b.shape, dtype=object)
    for i in np.ndindex(a.shape):
        for j in np.ndindex(b.shape):
            out[i + j] = a[i] * b[j]
    return out


def transpose(a: Obj) -> Obj:
    """The transpose; a column becomes a row (1×n) and back."""
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2 and a.shape[0] == 1:
        return a.reshape(-1)
    return a.T


def det(a: Obj) -> Any:
    """The determinant by Laplace expansion (no simplification on the way: SymPy's
    ``Matrix.det`` cancels every intermediate, which explodes on transcendental entries)."""
    import sympy
    n = a.shape[0]
    memo: dict[tuple[tuple[int, ...], tuple[int, ...]], Any] = {}

    def minor(rows: tuple[int, ...], cols: tuple[int, ...]) -> Any:
        key = (rows, cols)
        if key in memo:
            return memo[key]
        if len(rows) == 1:
            out = a[rows[0], cols[0]]
        else:
            r = rows[0]
            terms = []
            for k, col in enumerate(cols):
                entry = a[r, col]
                if entry == 0:
                    continue
                sub = minor(rows[1:], cols[:k] + cols[k + 1:])
                terms.append(entry * sub if k % 2 == 0 else -entry * sub)
            out = sympy.Add(*terms)
        memo[key] = out
        return out

    return minor(tuple(range(n)), tuple(range(n))) if n else sympy.Integer(1)


def inv(a: Obj) -> Obj:
    """The inverse by cofactors (ZeroDivisionError when singular)."""
    import sympy
    n = a.shape[0]
    d = det(a)
    if d == 0:
        raise ZeroDivisionError("singular matrix")
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            rest_r = [r for r in range(n) if r != j]
            rest_c = [c for c in range(n) if c != i]
            cof = det(a[np.ix_(rest_r, rest_c)]) if n > 1 else sympy.Integer(1)
            out[i, j] = (cof if (i + j) % 2 == 0 else -cof) / d
    return out


def ismax(a: Obj) -> Obj:
    """1 at the (first) largest entry, 0 elsewhere, as Piecewise expressions."""
    import sympy
    flat = list(a.flat)
    out = np.empty(len(flat), dtype=object)
    for i, xi in enumerate(flat):
        conds = [xi > xj for xj in flat[:i]] + [xi >= xj for xj in flat[i + 1:]]
        out[i] = sympy.Piecewise((1, sympy.And(*conds)), (0, True))
    return out.reshape(a.shape)


def einsum(spec: str, args: list[Obj]) -> Obj:
    """``einsum`` by explicit sums (the output subscripts are explicit: ``ij,jk->ik``)."""
    import sympy
    terms, out = spec.replace(" ", "").split("->")
    term_list = terms.split(",")
    size: dict[str, int] = {}
    for t, a in zip(term_list, args, strict=True):
        for ch, n in zip(t, a.shape, strict=True):
            size[ch] = n
    summed = [ch for ch in dict.fromkeys("".join(term_list)) if ch not in out]
    result = np.empty(tuple(size[ch] for ch in out), dtype=object)
    for oidx in np.ndindex(result.shape):
        fixed = dict(zip(out, oidx, strict=True))
        total = []
        for sidx in itertools.product(*(range(size[ch]) for ch in summed)):
            env = dict(fixed)
            env.update(zip(summed, sidx, strict=True))
            prod = sympy.Integer(1)
            for t, a in zip(term_list, args, strict=True):
                prod = prod * a[tuple(env[ch] for ch in t)]
            total.append(prod)
        result[oidx] = sympy.Add(*total)
    return result


def kron(a: Obj, b: Obj) -> Obj:
    """The Kronecker product of two vectors or two matrices."""
    if a.ndim == 1:
        return np.array([x * y for x in a for y in b], dtype=object)
    out = np.empty((a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]), dtype=object)
    for i, j in np.ndindex(a.shape):
        for k, l_ in np.ndindex(b.shape):
            out[i * b.shape[0] + k, j * b.shape[1] + l_] = a[i, j] * b[k, l_]
    return out


def filled(shape: tuple[int, ...], value: int) -> Obj:
    """An array of the integer ``value``."""
    import sympy
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = sympy.Integer(value)
    return out


def eye(n: int) -> Obj:
    """The n×n identity."""
    import sympy
    out = filled((n, n), 0)
    for i in range(n):
        out[i, i] = sympy.Integer(1)
    return out


def diag(v: Obj) -> Obj:
    """The diagonal matrix with ``v`` on its diagonal."""
    out = filled((v.shape[0], v.shape[0]), 0)
    for i in range(v.shape[0]):
        out[i, i] = v[i]
    return out


def diagonal(a: Obj) -> Obj:
    """The diagonal of a square matrix."""
    return np.array([a[i, i] for i in range(a.shape[0])], dtype=object)


def softmax(v: Obj) -> Obj:
    """``exp(v) / sum(exp(v))``."""
    import sympy
    ex = [sympy.exp(x) for x in v.flat]
    total = sympy.Add(*ex)
    return np.array([e / total for e in ex], dtype=object)


def trace(a: Obj) -> Obj:
    """The sum of the diagonal, as a 0-d array."""
    import sympy
    return scalar(sympy.Add(*(a[i, i] for i in range(a.shape[0]))))


def total(a: Obj) -> Obj:
    """The sum of every entry."""
    import sympy
    return scalar(sympy.Add(*a.flat))


def norm(a: Obj) -> Obj:
    """The Euclidean (Frobenius) norm."""
    import sympy
    return scalar(sympy.sqrt(sympy.Add(*(e ** 2 for e in a.flat))))


def norm1(a: Obj) -> Obj:
    """The sum of the absolute values."""
    import sympy
    return scalar(sympy.Add(*(sympy.Abs(e) for e in a.flat)))


def norminf(a: Obj) -> Obj:
    """The largest absolute value."""
    import sympy
    return scalar(sympy.Max(*(sympy.Abs(e) for e in a.flat)))


def logsumexp(a: Obj) -> Obj:
    """``log(sum(exp(a)))``."""
    import sympy
    return scalar(sympy.log(sympy.Add(*(sympy.exp(e) for e in a.flat))))


def logabsdet(a: Obj) -> Obj:
    """``log|det a|``, matcalc's ``logdet``."""
    import sympy
    return scalar(sympy.log(sympy.Abs(det(a))))


def integer(n: int) -> Any:
    """``n`` as a SymPy integer."""
    import sympy

    return sympy.Integer(n)


def power(base: Any, exponent: Any) -> Any:
    """``base ** exponent`` as SymPy evaluates it (``0 ** -1`` is ``zoo``, not an error)."""
    import sympy

    return sympy.Pow(base, exponent)


def function(name: str) -> Callable[[Any], Any]:
    """The SymPy function ``sympy.<name>``, looked up when first applied."""
    def apply(x: Any) -> Any:
        import sympy

        return getattr(sympy, name)(x)

    apply.__name__ = name
    return apply


def formula(build: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    """A SymPy form written with the module: ``formula(lambda sp, x: 1 / (1 + sp.exp(-x)))``."""
    def apply(x: Any) -> Any:
        import sympy

        return build(sympy, x)

    return apply
