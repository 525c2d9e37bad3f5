"""A symbolic second opinion: matcalc's derivative against SymPy, entry by entry.

For concrete small sizes (say m=2, n=3) every variable becomes an array of
SymPy symbols (a symmetric or spd matrix shares ``S[i, j] = S[j, i]``), and an
expression is expanded into its scalar entries by evaluating every operator
entrywise in SymPy: matrix products, transposes, ``inv`` and ``det`` by
cofactors, ``einsum`` by explicit sums, ``kron``, ``vec``, the elementwise
functions, the norms, ``softmax``... (:func:`entries`).  SymPy then
differentiates each entry of ``f`` by each entry of the variable, and the
result is compared **exactly** with matcalc's derivative expanded the same way:

* ``mode="symbolic"``: every entry is a symbol; the difference is simplified
  with SymPy and must be 0.  Where SymPy cannot decide (``simplify`` gives up,
  or the entries are too large to simplify quickly), the comparison falls
  back to the next mode.
* ``mode="point"``: at a random rational point inside the domain (found as
  :func:`matcalc.verify` finds its points, then made rational), each variable
  entry in turn is the only symbol; the univariate expansion is
  differentiated exactly and compared with matcalc's derivative at the same
  point: exactly for rational values (polynomials, ``inv``, ``det``,
  divisions), and to 50 significant digits where transcendental numbers
  (``exp(1/3)``) remain.

A derivative by a symmetric variable along its shared symbol ``s_ij`` is
``D[..., i, j] + D[..., j, i]`` (``D[..., i, i]`` on the diagonal), which is
what the symmetric gradient convention of SPEC section 3 promises.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from matcalc.check.sampling import choose_sizes
from matcalc.check.sympy_values import Unsupported, entries
from matcalc.check.verify import find_point
from matcalc.core.dims import dim_value
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr
from matcalc.ops.base import is_zero
from matcalc.ops.leaves import var
from matcalc.ops.record import FUNCTIONS
from matcalc.ops.sympy_arrays import Obj, as_array, zip_entries

__all__ = ["Mismatch", "SecondOpinion", "Unsupported", "entries", "second_opinion"]

SIZES = (2, 3, 4, 5)  # small: SymPy's expansions grow fast with the size
SIMPLIFY_LIMIT = 300  # operations in an entry above which symbolic simplification is skipped


# ----------------------------------------------------------------------------------------
# symbols for the variables


@dataclass
class _Variable:
    name: str
    shape: tuple[int, ...]
    structure: str
    free: list[tuple[int, ...]]  # the entries that are independent symbols

    def symbols(self) -> Obj:
        out = np.empty(self.shape, dtype=object)
        for idx in np.ndindex(self.shape):
            key = tuple(sorted(idx)) if self.structure else idx
            suffix = "_".join(map(str, key))
            out[idx] = sympy.Symbol(f"{self.name}_{suffix}" if suffix else self.name, real=True)
        return out


def _variables(f: Expr, sizes: dict[str, int]) -> dict[str, _Variable]:
    out = {}
    for name, v in f.variables().items():
        shape = tuple(dim_value(d, sizes) or 1 for d in v.shape)
        free = [idx for idx in np.ndindex(shape)
                if not v.structure or idx[0] <= idx[1]]
        out[name] = _Variable(name, shape, v.structure, free)
    return out


def _along(D: Obj, lead: int, idx: tuple[int, ...], structure: str) -> Obj:
    """matcalc's derivative along one free entry: the slice, both halves for symmetric ones."""
    pre = (slice(None),) * lead
    if structure and idx[0] != idx[1]:
        return zip_entries(lambda x, y: x + y, D[pre + idx], D[pre + (idx[1], idx[0])])
    return D[pre + idx]


# ----------------------------------------------------------------------------------------
# the comparison


@dataclass
class Mismatch:
    entry: tuple[int, ...]  # index of f's entry, then of the variable's free entry (or pair)
    sympy: Any
    matcalc: Any


@dataclass
class SecondOpinion:
    """The outcome of :func:`second_opinion`; true when every entry agrees."""

    ok: bool
    wrt: str
    order: int
    sizes: dict[str, int]
    method: str  # "simplify", "point", "simplify+point"
    compared: int  # entries compared
    mismatches: list[Mismatch] = field(default_factory=list)
    point: dict[str, Any] | None = None
    seconds: float = 0.0
    message: str = ""

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items()) or "-"
        sup = "" if self.order == 1 else "²"
        head = (f"∂{sup}f/∂{self.wrt}{sup}"
                f": {'agrees' if self.ok else 'DISAGREES'} with SymPy on {self.compared} "
                f"entries ({self.method}; sizes {sizes}; {self.seconds:.2f} s)")
        if self.message:
            head += f"  {self.message}"
        for m in self.mismatches[:3]:
            head += f"\n  entry {m.entry}: SymPy {m.sympy}, matcalc {m.matcalc}"
        return head


def second_opinion(f: Expr, wrt: str, dims: dict[str, int] | None = None, seed: int = 0,
                   mode: str = "auto", order: int = 1, derivative: Expr | None = None,
                   digits: int = 50) -> SecondOpinion:
    """Compare ``diff(f, wrt)`` (``order=2``: the Hessian) with SymPy; see the module doc.

    ``mode`` is ``"symbolic"``, ``"point"`` or ``"auto"`` (symbolic when the
    entries are small enough to simplify, else at a point).
    """
    from matcalc.calculus.differentiate import diff

    if mode not in ("auto", "symbolic", "point"):
        raise MatcalcError(f"mode must be auto, symbolic or point, not {mode!r}")
    if order not in (1, 2):
        raise MatcalcError("the second opinion checks first and second derivatives")
    t0 = time.monotonic()
    if derivative is None:
        derivative = diff(f, wrt)
        if order == 2:
            derivative = diff(derivative, wrt)
    sizes = choose_sizes(f, dims, (derivative,), candidates=SIZES, fallback=2)
    variables = _variables(f, sizes)
    if wrt not in variables:
        env = {n: v.symbols() for n, v in variables.items()}
        D = entries(derivative, env, sizes)
        bad = [Mismatch(idx, 0, D[idx]) for idx in np.ndindex(D.shape) if D[idx] != 0]
        return SecondOpinion(not bad, wrt, order, sizes, "exact", D.size, bad,
                             seconds=time.monotonic() - t0)
    if mode in ("auto", "symbolic"):
        result = _symbolic(f, wrt, order, derivative, sizes, variables, seed, digits,
                           force=mode == "symbolic")
        if result is not None:
            result.seconds = time.monotonic() - t0
            return result
    result = _at_point(f, wrt, order, derivative, sizes, variables, seed, digits)
    result.seconds = time.monotonic() - t0
    return result


def _symbolic(f: Expr, wrt: str, order: int, derivative: Expr, sizes: dict[str, int],
              variables: dict[str, _Variable], seed: int, digits: int,
              force: bool) -> SecondOpinion | None:
    env = {n: v.symbols() for n, v in variables.items()}
    F = entries(f, env, sizes)
    if not force and any(sympy.count_ops(x) > SIMPLIFY_LIMIT for x in F.flat):
        return None
    D = entries(derivative, env, sizes)
    var = variables[wrt]
    syms = env[wrt]
    symbols = sorted({x for a in env.values() for x in a.flat}, key=str)
    lead = F.ndim
    pairs = _index_tuples(var, order)
    mismatches: list[Mismatch] = []
    undecided: list[tuple[Any, Any, tuple[int, ...]]] = []
    compared = 0
    for oidx in np.ndindex(F.shape):
        for idxs in pairs:
            mine = D
            for idx in idxs:
                mine = as_array(_along(as_array(mine), lead, idx, var.structure))
            theirs = F[oidx]
            for idx in idxs:
                theirs = _d(theirs, syms[idx])
            value = as_array(mine)[oidx]
            compared += 1
            if _is_zero(theirs - value, symbols):
                continue
            undecided.append((theirs, value, oidx + sum(idxs, ())))
    if undecided:
        # simplify could not show equality: decide at random rational points
        point = _rational_point(f, derivative, sizes, variables, seed)
        if point is None:
            return None
        subs = _substitutions(variables, point)
        for theirs, value, where in undecided:
            a = theirs.subs(subs)
            b = value.subs(subs) if isinstance(value, sympy.Basic) else value
            if not _equal(a, b, digits):
                mismatches.append(Mismatch(where, a, b))
        method = "simplify+point"
    else:
        method = "simplify"
    return SecondOpinion(not mismatches, wrt, order, sizes, method, compared, mismatches)


def _d(e: Any, x: Any) -> Any:
    """SymPy's derivative, with the piecewise constant functions' derivative 0.

    SymPy leaves ``Derivative(sign(u), x)`` unevaluated when it cannot tell that
    ``u`` is real; away from ``u = 0`` it is 0, which is what is compared.
    """
    out = sympy.diff(e, x)
    constant = _piecewise_constant()
    return out.replace(
        lambda a: isinstance(a, sympy.Derivative) and a.expr.func in constant,
        lambda a: sympy.Integer(0))


@functools.cache
def _piecewise_constant() -> tuple[Any, ...]:
    """The SymPy heads of the functions whose derivative is 0 (sign, step: Heaviside).

    Only built-in functions have a SymPy head (a user's function is a SymPy
    function of its own, with its derivative), so this is read once.
    """
    u = var("_u")
    return tuple(getattr(sympy, r.sympy_head) for r in FUNCTIONS.values()
                 if r.sympy_head is not None and r.derivative is not None
                 and is_zero(r.derivative(u)))


def _index_tuples(var: _Variable, order: int) -> list[tuple[tuple[int, ...], ...]]:
    if order == 1:
        return [(idx,) for idx in var.free]
    return [(i, j) for i in var.free for j in var.free]


def _at_point(f: Expr, wrt: str, order: int, derivative: Expr, sizes: dict[str, int],
              variables: dict[str, _Variable], seed: int, digits: int) -> SecondOpinion:
    point = _rational_point(f, derivative, sizes, variables, seed)
    if point is None:
        return SecondOpinion(False, wrt, order, sizes, "point", 0,
                             message="no point found in the domain")
    env = {n: _rational_array(point[n], v) for n, v in variables.items()}
    var = variables[wrt]
    D = entries(derivative, env, sizes)
    lead = len(tuple(dim_value(d, sizes) or 1 for d in f.shape))
    t = [sympy.Symbol("t0", real=True), sympy.Symbol("t1", real=True)]
    mismatches: list[Mismatch] = []
    compared = 0
    for idxs in _index_tuples(var, order):
        if order == 2 and idxs[1] < idxs[0]:
            continue  # symmetric in the pair: checked with (j, i) below
        moved = dict(env)
        arr = env[wrt].copy()
        for k, idx in enumerate(idxs):
            _put(arr, idx, arr[idx] + t[k], var.structure)
        moved[wrt] = arr
        F = entries(f, moved, sizes)
        mine = as_array(_along(D, lead, idxs[0], var.structure))
        if order == 2:
            mine = as_array(_along(mine, lead, idxs[1], var.structure))
        for oidx in np.ndindex(F.shape):
            theirs: Any = F[oidx]  # one entry: a SymPy expression
            for k in range(order):
                theirs = _d(theirs, t[k])
            theirs = theirs.subs({t[0]: 0, t[1]: 0})
            compared += 1
            if not _equal(theirs, mine[oidx], digits):
                mismatches.append(Mismatch(oidx + sum(idxs, ()), theirs, mine[oidx]))
        if order == 2 and idxs[0] != idxs[1]:
            mine_t = as_array(_along(as_array(_along(D, lead, idxs[1], var.structure)), lead,
                                 idxs[0], var.structure))
            for oidx in np.ndindex(mine_t.shape):  # the Hessian must be symmetric
                compared += 1
                if not _equal(mine_t[oidx], mine[oidx], digits):
                    mismatches.append(Mismatch(oidx + idxs[1] + idxs[0], mine[oidx],
                                               mine_t[oidx]))
    return SecondOpinion(not mismatches, wrt, order, sizes, "point", compared, mismatches,
                         point={k: v for k, v in point.items() if k in variables})


def _put(arr: Obj, idx: tuple[int, ...], value: Any, structure: str) -> None:
    arr[idx] = value
    if structure:
        arr[(idx[1], idx[0])] = value


def _rational_point(f: Expr, derivative: Expr, sizes: dict[str, int],
                    variables: dict[str, _Variable], seed: int) -> dict[str, Any] | None:
    values = find_point(f, sizes, seed, (derivative,))
    if values is None:
        return None
    out: dict[str, Any] = {}
    for name, v in variables.items():
        a = np.asarray(values[name], dtype=float)
        if v.structure:
            a = (a + a.T) / 2
        out[name] = a
    return out


def _rational(x: float) -> Any:
    # small denominators: SymPy evaluates a rational to a fractional power by looking for
    # exact roots (factoring), which took minutes for x^c at denominators near 10^6
    q = Fraction(float(x)).limit_denominator(1000)
    return sympy.Rational(q.numerator, q.denominator)


def _rational_array(a: np.ndarray, v: _Variable) -> Obj:
    out = np.empty(v.shape, dtype=object)
    for idx in np.ndindex(v.shape):
        key = tuple(sorted(idx)) if v.structure else idx
        out[idx] = _rational(a[key])
    return out


def _substitutions(variables: dict[str, _Variable], point: dict[str, Any]) -> dict[Any, Any]:
    subs: dict[Any, Any] = {}
    for name, v in variables.items():
        syms = v.symbols()
        vals = _rational_array(point[name], v)
        for idx in np.ndindex(v.shape):
            subs[syms[idx]] = vals[idx]
    return subs


def _is_zero(d: Any, symbols: Sequence[Any]) -> bool:
    """Whether SymPy can show that ``d`` is identically zero (False: it could not)."""
    d = sympy.sympify(d)
    if d == 0:
        return True
    try:
        if d.is_rational_function(*symbols):  # polynomials, inv, det, divisions: decidable
            return bool(sympy.cancel(sympy.together(d)) == 0)
    except (sympy.PolynomialError, TypeError, ValueError):
        pass
    if sympy.count_ops(d) > SIMPLIFY_LIMIT // 5:
        return False  # simplify would take too long: decided at a point instead
    return bool(sympy.simplify(d) == 0)


def _equal(a: Any, b: Any, digits: int) -> bool:
    """Exactly equal, or (transcendental numbers left) equal to ``digits`` digits."""
    a, b = sympy.sympify(a), sympy.sympify(b)
    d = a - b
    if d == 0:
        return True
    if d.is_Rational:
        return False
    if d.free_symbols:
        return _is_zero(d, sorted(d.free_symbols, key=str))
    memo: dict[Any, Any] = {}
    x, y = _numeric(a, digits + 15, memo), _numeric(b, digits + 15, memo)
    if x is None or y is None:
        return False
    scale = max(abs(x), abs(y), 1)
    return bool(abs(x - y) <= scale * sympy.Float(10, digits + 15) ** (-digits))


def _numeric(e: Any, dps: int, memo: dict[Any, Any]) -> Any:
    """The value of a constant SymPy expression to ``dps`` digits.

    SymPy's ``evalf`` walks the expression as a tree; derivatives of nested
    ``softmax`` share subexpressions so heavily that the tree is enormous while
    the graph is small.  This walks the graph once, each distinct node once.
    """
    stack: list[tuple[Any, bool]] = [(e, False)]
    while stack:
        node, expanded = stack.pop()
        if node in memo:
            continue
        if not node.args or node.is_Number or node.is_NumberSymbol:
            memo[node] = node.evalf(dps) if node.is_number else node
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in memo)
            continue
        args = [memo[a] for a in node.args]
        try:
            value = node.func(*args)
            memo[node] = value.evalf(dps) if getattr(value, "is_number", False) else value
        except (TypeError, ValueError, ZeroDivisionError):
            memo[node] = node.evalf(dps)
    value = memo[e]
    try:
        return sympy.Float(value, dps) if value.is_real is not False else None
    except (TypeError, ValueError):
        return None
