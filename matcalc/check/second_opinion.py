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

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from matcalc.core.dims import dim_value
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr, postorder

Obj = np.ndarray  # object arrays of SymPy expressions (0-d for scalars)

SIZES = (2, 3, 4, 5)
SIMPLIFY_LIMIT = 300  # operations in an entry above which symbolic simplification is skipped


class Unsupported(MatcalcError):
    """An expression the second opinion cannot expand (a user function without SymPy form)."""


# ----------------------------------------------------------------------------------------
# expanding an expression into SymPy entries


def _obj(x: Any) -> Obj:
    out = np.empty((), dtype=object)
    out[()] = x
    return out


def _arr(a: Any) -> Obj:
    return a if isinstance(a, np.ndarray) else _obj(a)


def _map(fn: Any, a: Obj) -> Obj:
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = fn(a[idx])
    return out


def _zip(fn: Any, a: Obj, b: Obj) -> Obj:
    a, b = np.broadcast_arrays(_arr(a), _arr(b))
    out = np.empty(a.shape, dtype=object)
    for idx in np.ndindex(a.shape):
        out[idx] = fn(a[idx], b[idx])
    return out


def _matmul2(a: Obj, b: Obj) -> Obj:
    if a.ndim == 1 and b.ndim == 2 and b.shape[0] == 1 and a.shape[0] != 1:
        return _outer(a, b[0])
    if a.ndim == 2 and a.shape[0] == 1 and b.ndim == 1:
        return _obj(sympy.Add(*(a[0, k] * b[k] for k in range(b.shape[0]))))
    A = a if a.ndim == 2 else a.reshape(1, -1)
    B = b if b.ndim == 2 else b.reshape(-1, 1)
    out = np.empty((A.shape[0], B.shape[1]), dtype=object)
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            out[i, j] = sympy.Add(*(A[i, k] * B[k, j] for k in range(A.shape[1])))
    if a.ndim == 1 and b.ndim == 1:
        return _obj(out[0, 0])
    if a.ndim == 1:
        return out[0]
    if b.ndim == 1:
        return out[:, 0]
    return out


def _outer(a: Obj, b: Obj) -> Obj:
    out = np.empty(a.shape + b.shape, dtype=object)
    for i in np.ndindex(a.shape):
        for j in np.ndindex(b.shape):
            out[i + j] = a[i] * b[j]
    return out


def _transpose(a: Obj) -> Obj:
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2 and a.shape[0] == 1:
        return a.reshape(-1)
    return a.T


def _det(a: Obj) -> Any:
    """The determinant by Laplace expansion (no simplification on the way: SymPy's
    ``Matrix.det`` cancels every intermediate, which explodes on transcendental entries)."""
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


def _inv(a: Obj) -> Obj:
    n = a.shape[0]
    d = _det(a)
    if d == 0:
        raise ZeroDivisionError("singular matrix")
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            rest_r = [r for r in range(n) if r != j]
            rest_c = [c for c in range(n) if c != i]
            cof = _det(a[np.ix_(rest_r, rest_c)]) if n > 1 else sympy.Integer(1)
            out[i, j] = (cof if (i + j) % 2 == 0 else -cof) / d
    return out


def _ismax(a: Obj) -> Obj:
    flat = list(a.flat)
    out = np.empty(len(flat), dtype=object)
    for i, xi in enumerate(flat):
        conds = [xi > xj for xj in flat[:i]] + [xi >= xj for xj in flat[i + 1:]]
        out[i] = sympy.Piecewise((1, sympy.And(*conds)), (0, True))
    return out.reshape(a.shape)


def _einsum(spec: str, args: list[Obj]) -> Obj:
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


def _kron(a: Obj, b: Obj) -> Obj:
    if a.ndim == 1:
        return np.array([x * y for x in a for y in b], dtype=object)
    out = np.empty((a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]), dtype=object)
    for i, j in np.ndindex(a.shape):
        for k, l_ in np.ndindex(b.shape):
            out[i * b.shape[0] + k, j * b.shape[1] + l_] = a[i, j] * b[k, l_]
    return out


FUNCTIONS: dict[str, Any] = {
    "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "sqrt": sympy.sqrt, "abs": sympy.Abs, "sign": sympy.sign,
    "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)),
    "softplus": lambda x: sympy.log(1 + sympy.exp(x)),
    "relu": lambda x: sympy.Piecewise((x, x > 0), (0, True)),
    "step": lambda x: sympy.Piecewise((1, x > 0), (0, True)),
}


def _number(v: Any) -> Any:
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Rational(v) if isinstance(v, int) else sympy.nsimplify(v, rational=True)


def entries(expr: Expr, env: dict[str, Obj], sizes: dict[str, int]) -> Obj:
    """``expr`` expanded into an object array of SymPy expressions (0-d for a scalar)."""
    done: dict[int, Obj] = {}
    for node in postorder(expr):
        a = [done[id(x)] for x in node.args]
        done[id(node)] = _apply(node, a, env, sizes)
    out = done[id(expr)]
    want = tuple(dim_value(d, sizes) or 1 for d in expr.shape)
    if out.shape != want:
        out = np.broadcast_to(out, want).copy()
    return out


def _shape(node: Expr, sizes: dict[str, int]) -> tuple[int, ...]:
    out = []
    for d in node.shape:
        v = dim_value(d, sizes)
        if v is None:
            raise Unsupported(f"the size of dimension {d} is not known")
        out.append(v)
    return tuple(out)


def _filled(shape: tuple[int, ...], value: int) -> Obj:
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(shape):
        out[idx] = sympy.Integer(value)
    return out


def _apply(node: Expr, a: list[Obj], env: dict[str, Obj], sizes: dict[str, int]) -> Obj:
    op = node.op
    if op == "const":
        return _obj(_number(node.attrs[0]))
    if op == "var":
        return env[node.name]
    if op == "dim":
        return _obj(sympy.Integer(sizes[node.attrs[0]]))
    if op == "zeros":
        return _filled(_shape(node, sizes), 0)
    if op == "ones":
        return _filled(_shape(node, sizes), 1)
    if op == "eye":
        n = _shape(node, sizes)[0]
        out = _filled((n, n), 0)
        for i in range(n):
            out[i, i] = sympy.Integer(1)
        return out
    if op == "add":
        out = a[0]
        for b in a[1:]:
            out = _zip(lambda x, y: x + y, out, b)
        return out
    if op == "mul":
        out = a[0]
        for b in a[1:]:
            out = _zip(lambda x, y: x * y, out, b)
        return out
    if op == "pow":
        return _zip(lambda x, p: sympy.Pow(x, p), a[0], a[1])
    if op == "fn":
        name = node.attrs[0]
        if name not in FUNCTIONS:
            raise Unsupported(f"no SymPy form of the function {name}")
        return _map(FUNCTIONS[name], a[0])
    if op == "matmul":
        out = a[0]
        for b in a[1:]:
            out = _matmul2(out, b)
        return out
    if op == "transpose":
        return _transpose(a[0])
    if op == "sum":
        return _obj(sympy.Add(*a[0].flat))
    if op == "norm":
        return _obj(sympy.sqrt(sympy.Add(*(x ** 2 for x in a[0].flat))))
    if op == "norm1":
        return _obj(sympy.Add(*(sympy.Abs(x) for x in a[0].flat)))
    if op == "norminf":
        return _obj(sympy.Max(*(sympy.Abs(x) for x in a[0].flat)))
    if op == "tr":
        return _obj(sympy.Add(*(a[0][i, i] for i in range(a[0].shape[0]))))
    if op == "det":
        return _obj(_det(a[0]))
    if op == "logdet":
        return _obj(sympy.log(sympy.Abs(_det(a[0]))))
    if op == "inv":
        return _inv(a[0])
    if op == "diag":
        v = a[0]
        out = _filled((v.shape[0], v.shape[0]), 0)
        for i in range(v.shape[0]):
            out[i, i] = v[i]
        return out
    if op == "diagpart":
        return np.array([a[0][i, i] for i in range(a[0].shape[0])], dtype=object)
    if op == "softmax":
        ex = [sympy.exp(x) for x in a[0].flat]
        total = sympy.Add(*ex)
        return np.array([e / total for e in ex], dtype=object)
    if op == "logsumexp":
        return _obj(sympy.log(sympy.Add(*(sympy.exp(x) for x in a[0].flat))))
    if op == "ismax":
        return _ismax(a[0])
    if op == "kron":
        return _kron(a[0], a[1])
    if op == "vec":
        return a[0].reshape(-1, order="F")
    if op == "unvec":
        return a[0].reshape(_shape(node, sizes), order="F")
    if op == "einsum":
        return _einsum(node.attrs[0], a)
    raise Unsupported(f"no SymPy rule for the operator {op}")


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
        return _zip(lambda x, y: x + y, D[pre + idx], D[pre + (idx[1], idx[0])])
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


def choose_sizes(exprs: Sequence[Expr], dims: dict[str, int] | None) -> dict[str, int]:
    from matcalc.check.sampling import dimension_names

    given = dict(dims or {})
    names: list[str] = []
    for e in exprs:
        names += [n for n in dimension_names(e) if n not in names]
    free = iter(s for s in SIZES if s not in given.values())
    return {n: given[n] if n in given else next(free, 2) for n in names}


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
    sizes = choose_sizes([f, derivative], dims)
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
                mine = _arr(_along(_arr(mine), lead, idx, var.structure))
            theirs = F[oidx]
            for idx in idxs:
                theirs = _d(theirs, syms[idx])
            value = _arr(mine)[oidx]
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
    """SymPy's derivative, with sign and step piecewise constant (their derivative 0).

    SymPy leaves ``Derivative(sign(u), x)`` unevaluated when it cannot tell that
    ``u`` is real; away from ``u = 0`` it is 0, which is what is compared.
    """
    out = sympy.diff(e, x)
    return out.replace(
        lambda a: isinstance(a, sympy.Derivative) and a.expr.func in (sympy.sign,
                                                                     sympy.Heaviside),
        lambda a: sympy.Integer(0))


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
        mine = _arr(_along(D, lead, idxs[0], var.structure))
        if order == 2:
            mine = _arr(_along(mine, lead, idxs[1], var.structure))
        for oidx in np.ndindex(F.shape):
            theirs = F[oidx]
            for k in range(order):
                theirs = _d(theirs, t[k])
            theirs = theirs.subs({t[0]: 0, t[1]: 0})
            compared += 1
            if not _equal(theirs, mine[oidx], digits):
                mismatches.append(Mismatch(oidx + sum(idxs, ()), theirs, mine[oidx]))
        if order == 2 and idxs[0] != idxs[1]:
            mine_t = _arr(_along(_arr(_along(D, lead, idxs[1], var.structure)), lead,
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
    from matcalc.check.verify import find_point

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
    q = Fraction(float(x)).limit_denominator(10 ** 6)
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
