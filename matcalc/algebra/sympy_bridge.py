"""Scalar algebra through SymPy.

An elementwise subexpression (sums, products, powers and elementwise functions
of arrays of one shape, and scalars) is a scalar expression applied entry by
entry, so SymPy can simplify it: every maximal non-elementwise part (a matrix
product, a variable, ``sigmoid(...)``) becomes a commuting symbol.  This is
how ``((1 - y)/(1 - s) - y/s) * s * (1 - s)`` becomes ``s - y``.  The same
conversion turns a user's SymPy derivative into a matcalc expression.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy

from matcalc.core.expr import Expr, postorder
from matcalc.ops import construct as c
from matcalc.ops.record import FUNCTIONS

ELEMENTWISE_OPS = ("add", "mul", "pow", "const", "fn")


def _sympy_heads() -> dict[str, Any]:
    """SymPy heads of the functions the scalar simplifier may rewrite."""
    return {r.name: r.sympy_head for r in FUNCTIONS.values() if r.sympy_head and not r.opaque}


def _functions_by_head() -> dict[Any, str]:
    """Functions by SymPy head, for SymPy expressions translated back (users' derivatives)."""
    return {r.sympy_head: r.name for r in FUNCTIONS.values() if r.sympy_head is not None}


class Translation:
    """Expr ↔ SymPy for one elementwise subtree; opaque parts become symbols."""

    def __init__(self) -> None:
        self.atoms: dict[int, sympy.Symbol] = {}
        self.back: dict[sympy.Symbol, Expr] = {}

    def atom(self, e: Expr) -> sympy.Symbol:
        s = self.atoms.get(id(e))
        if s is None:
            positive = e.op == "dim"
            s = sympy.Symbol(f"_a{len(self.atoms)}", real=True, positive=positive or None)
            self.atoms[id(e)] = s
            self.back[s] = e
        return s

    def to_sympy(self, root: Expr) -> Any:
        done: dict[int, Any] = {}
        heads = _sympy_heads()
        for node in postorder(root):
            op = node.op
            if node is not root and not _elementwise(node):
                done[id(node)] = self.atom(node)
                continue
            args = [done.get(id(a)) for a in node.args]
            if op == "const":
                v = node.attrs[0]
                done[id(node)] = sympy.Rational(v.numerator, v.denominator) if isinstance(
                    v, Fraction) else sympy.Integer(v)
            elif op == "add":
                done[id(node)] = sympy.Add(*args)
            elif op == "mul":
                done[id(node)] = sympy.Mul(*args)
            elif op == "pow":
                done[id(node)] = sympy.Pow(args[0], args[1])
            elif op == "fn" and node.attrs[0] in heads:
                done[id(node)] = heads[node.attrs[0]](args[0])
            else:
                done[id(node)] = self.atom(node)
        return done[id(root)]

    def from_sympy(self, s: Any) -> Expr:
        return _from_sympy(s, self.back)


def _elementwise(e: Expr) -> bool:
    return e.op in ELEMENTWISE_OPS


def _from_sympy(s: Any, table: dict[Any, Expr]) -> Expr:
    """A SymPy expression back to an Expr, iteratively."""
    done: dict[Any, Expr] = {}
    by_head = _functions_by_head()
    stack: list[tuple[Any, bool]] = [(s, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if node in table:
            done[node] = table[node]
            continue
        if node.is_Number:
            if node.is_Rational:
                done[node] = c.const(Fraction(int(node.p), int(node.q)))
                continue
            raise ValueError(f"cannot use the number {node} exactly")
        if not expanded:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args)
            continue
        args = [done[a] for a in node.args]
        if node.is_Add:
            done[node] = c.add(*args)
        elif node.is_Mul:
            done[node] = c.mul(*args)
        elif node.is_Pow:
            done[node] = c.power(args[0], args[1])
        elif node.func in by_head:
            done[node] = c.fn(by_head[node.func], args[0])
        else:
            raise ValueError(f"cannot translate {node.func} from SymPy")
    return done[s]


def from_sympy_scalar(expr: Any, symbol: Any, u: Expr) -> Expr:
    """A user's SymPy expression in ``symbol``, applied elementwise to ``u``."""
    return _from_sympy(sympy.sympify(expr), {symbol: u})


def simplify_elementwise(root: Expr) -> Expr:
    """The simplest of ``root`` and SymPy's cancelled/factored forms of it."""
    t = Translation()
    try:
        s = t.to_sympy(root)
    except (TypeError, ValueError):
        return root
    if len(t.atoms) > 12:
        return root
    best, best_ops = root, sympy.count_ops(s)
    for candidate in _candidates(s):
        ops = sympy.count_ops(candidate)
        if ops < best_ops:
            try:
                best, best_ops = t.from_sympy(candidate), ops
            except ValueError:
                continue
    if best.shape != root.shape:  # a scalar left from broadcasting
        best = c.mul(best, c.ones(root.shape))
    return best


def _candidates(s: Any) -> list[Any]:
    """Forms of ``s`` to choose from by size: cancelled, and factored (``(1 + e^x)^2`` kept)."""
    out = []
    try:
        cancelled = sympy.cancel(s)
        out.append(cancelled)
        out.append(sympy.factor_terms(cancelled))
        numerator, denominator = sympy.fraction(cancelled)
        out.append(sympy.factor(numerator) / sympy.factor(denominator))
    except (sympy.PolynomialError, TypeError, ValueError):
        pass
    return out
