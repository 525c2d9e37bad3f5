"""The SymPy value of every operator: an expression expanded into its scalar entries.

:data:`SYMPY_VALUES` is the one per-operator table of the second opinion: for
each operator (and, under its own name, each elementwise function) the function
of its operands' object arrays (see :mod:`matcalc.check.sympy_arrays`) that gives
its value; leaves read the node and the sizes too.  It is to become the SymPy
field of the operator and function records.  :func:`entries` evaluates an
expression with it, node by node.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import sympy  # type: ignore[import-untyped]  # SymPy ships no type information

from matcalc.check.sympy_arrays import (
    Obj,
    det,
    einsum,
    filled,
    inv,
    ismax,
    kron,
    map_entries,
    matmul,
    scalar,
    transpose,
    zip_entries,
)
from matcalc.core.dims import dim_value
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr, postorder


class Unsupported(MatcalcError):
    """An expression the second opinion cannot expand (a user function without SymPy form)."""


# the value of a node from its operands' entries, the node itself and the sizes
SympyValue = Callable[[list[Obj], Expr, dict[str, int]], Obj]


def _number(v: Any) -> Any:
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Rational(v) if isinstance(v, int) else sympy.nsimplify(v, rational=True)


def _shape(node: Expr, sizes: dict[str, int]) -> tuple[int, ...]:
    out = []
    for d in node.shape:
        v = dim_value(d, sizes)
        if v is None:
            raise Unsupported(f"the size of dimension {d} is not known")
        out.append(v)
    return tuple(out)


def _fold(step: Callable[[Obj, Obj], Obj]) -> SympyValue:
    """An n-ary operator applied pairwise from the left."""
    def value(a: list[Obj], node: Expr, sizes: dict[str, int]) -> Obj:
        out = a[0]
        for b in a[1:]:
            out = step(out, b)
        return out
    return value


def _unary(fn: Callable[[Obj], Obj]) -> SympyValue:
    """An operator whose value depends on its one operand only."""
    return lambda a, node, sizes: fn(a[0])


def _elementwise(fn: Callable[[Any], Any]) -> SympyValue:
    """An elementwise function from its SymPy form on one entry."""
    return lambda a, node, sizes: map_entries(fn, a[0])


def _eye(a: list[Obj], node: Expr, sizes: dict[str, int]) -> Obj:
    n = _shape(node, sizes)[0]
    out = filled((n, n), 0)
    for i in range(n):
        out[i, i] = sympy.Integer(1)
    return out


def _diag(v: Obj) -> Obj:
    out = filled((v.shape[0], v.shape[0]), 0)
    for i in range(v.shape[0]):
        out[i, i] = v[i]
    return out


def _softmax(v: Obj) -> Obj:
    ex = [sympy.exp(x) for x in v.flat]
    total = sympy.Add(*ex)
    return np.array([e / total for e in ex], dtype=object)


SYMPY_VALUES: dict[str, SympyValue] = {
    # leaves (a variable's entries are its symbols, given to :func:`entries`)
    "const": lambda a, node, sizes: scalar(_number(node.attrs[0])),
    "dim": lambda a, node, sizes: scalar(sympy.Integer(sizes[node.attrs[0]])),
    "zeros": lambda a, node, sizes: filled(_shape(node, sizes), 0),
    "ones": lambda a, node, sizes: filled(_shape(node, sizes), 1),
    "eye": _eye,
    # arithmetic
    "add": _fold(lambda x, y: zip_entries(lambda p, q: p + q, x, y)),
    "mul": _fold(lambda x, y: zip_entries(lambda p, q: p * q, x, y)),
    "pow": lambda a, node, sizes: zip_entries(lambda x, p: sympy.Pow(x, p), a[0], a[1]),
    "matmul": _fold(matmul),
    "transpose": _unary(transpose),
    # reductions
    "sum": _unary(lambda x: scalar(sympy.Add(*x.flat))),
    "norm": _unary(lambda x: scalar(sympy.sqrt(sympy.Add(*(e ** 2 for e in x.flat))))),
    "norm1": _unary(lambda x: scalar(sympy.Add(*(sympy.Abs(e) for e in x.flat)))),
    "norminf": _unary(lambda x: scalar(sympy.Max(*(sympy.Abs(e) for e in x.flat)))),
    "tr": _unary(lambda x: scalar(sympy.Add(*(x[i, i] for i in range(x.shape[0]))))),
    "logsumexp": _unary(lambda x: scalar(sympy.log(sympy.Add(*(sympy.exp(e)
                                                               for e in x.flat))))),
    # matrices
    "det": _unary(lambda x: scalar(det(x))),
    "logdet": _unary(lambda x: scalar(sympy.log(sympy.Abs(det(x))))),
    "inv": _unary(inv),
    "diag": _unary(_diag),
    "diagpart": _unary(lambda x: np.array([x[i, i] for i in range(x.shape[0])],
                                          dtype=object)),
    "softmax": _unary(_softmax),
    "ismax": _unary(ismax),
    "kron": lambda a, node, sizes: kron(a[0], a[1]),
    "vec": _unary(lambda x: x.reshape(-1, order="F")),
    "unvec": lambda a, node, sizes: a[0].reshape(_shape(node, sizes), order="F"),
    "einsum": lambda a, node, sizes: einsum(node.attrs[0], a),
    # elementwise functions (op "fn", found under the function's name)
    "exp": _elementwise(sympy.exp), "log": _elementwise(sympy.log),
    "sin": _elementwise(sympy.sin), "cos": _elementwise(sympy.cos),
    "tan": _elementwise(sympy.tan), "tanh": _elementwise(sympy.tanh),
    "sinh": _elementwise(sympy.sinh), "cosh": _elementwise(sympy.cosh),
    "sqrt": _elementwise(sympy.sqrt), "abs": _elementwise(sympy.Abs),
    "sign": _elementwise(sympy.sign),
    "sigmoid": _elementwise(lambda x: 1 / (1 + sympy.exp(-x))),
    "softplus": _elementwise(lambda x: sympy.log(1 + sympy.exp(x))),
    "relu": _elementwise(lambda x: sympy.Piecewise((x, x > 0), (0, True))),
    "step": _elementwise(lambda x: sympy.Piecewise((1, x > 0), (0, True))),
}

def value_of(node: Expr, a: list[Obj], env: dict[str, Obj], sizes: dict[str, int]) -> Obj:
    """The entries of ``node`` from its operands' entries ``a`` (``env``: the variables)."""
    if node.op == "var":
        return env[node.name]
    if node.op == "fn":
        name = node.attrs[0]
        if name not in SYMPY_VALUES:
            raise Unsupported(f"no SymPy form of the function {name}")
        return SYMPY_VALUES[name](a, node, sizes)
    if node.op not in SYMPY_VALUES:
        raise Unsupported(f"no SymPy rule for the operator {node.op}")
    return SYMPY_VALUES[node.op](a, node, sizes)


def entries(expr: Expr, env: dict[str, Obj], sizes: dict[str, int]) -> Obj:
    """``expr`` expanded into an object array of SymPy expressions (0-d for a scalar)."""
    done: dict[int, Obj] = {}
    for node in postorder(expr):
        a = [done[id(x)] for x in node.args]
        done[id(node)] = value_of(node, a, env, sizes)
    out = done[id(expr)]
    want = tuple(dim_value(d, sizes) or 1 for d in expr.shape)
    if out.shape != want:
        out = np.broadcast_to(out, want).copy()
    return out
