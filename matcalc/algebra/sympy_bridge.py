"""Scalar algebra through SymPy.

An elementwise subexpression (sums, products, powers and elementwise functions
of arrays of one shape, and scalars) is a scalar expression applied entry by
entry, so SymPy can simplify it: every maximal non-elementwise part (a matrix
product, a variable, ``sigmoid(...)``) becomes a commuting symbol.  This is
how ``((1 - y)/(1 - s) - y/s) * s * (1 - s)`` becomes ``s - y``.  The same
conversion turns a user's SymPy derivative into a matcalc expression.

SymPy is imported by the functions here when they run, not with the module:
most derivatives have no elementwise fraction to simplify and never need it.

SymPy's polynomial algebra has no time limit of its own and can take
exponential time (``cancel`` expands products of sums), so what is handed to
it is bounded: at most :data:`MAX_ATOMS` opaque parts and :data:`MAX_OPS`
operations, brought over one common denominator (``together``, cheap) and
cancelled only when the expanded numerator and denominator would have at most
:data:`MAX_TERMS` terms; and one simplification (one ``diff``) does at most
:data:`MAX_WORK` units of SymPy work in all (a :class:`Budget`), so many small
fractions cannot add up to minutes.  Every bound is a count, never a time, so
the simplified form is the same on every machine; a clock
(:data:`SAFETY_SECONDS`) is only a safety net.  Beyond these limits the
expression stays as it is: unsimplified, and still correct.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from matcalc.core.expr import Expr, postorder
from matcalc.ops import construct as c
from matcalc.ops.record import FUNCTIONS

if TYPE_CHECKING:
    import sympy

ELEMENTWISE_OPS = ("add", "mul", "pow", "const", "fn")

MAX_ATOMS = 12  # opaque parts (matrix products, variables) of one elementwise expression
MAX_OPS = 400  # SymPy operations (count_ops) of the expression handed to SymPy
MAX_TERMS = 400  # terms of the expanded numerator or denominator cancel would build
# SymPy work of one simplification, all its elementwise parts together (see Budget),
# the same on every machine: measured at 450-1000 units a second on one shared core of
# the development machine, so about 2-5 s
MAX_WORK = 2000
PART_COST = 20  # units charged for each part handed to SymPy, whatever its size
# a safety net only, never expected to be reached: the work bound stops long before on
# any machine up to ten times slower (the clock is machine-dependent, so a result it
# cut short could differ between machines; the work bound cannot)
SAFETY_SECONDS = 60.0


class Budget:
    """The SymPy work left to one simplification; spent, SymPy is not called again.

    Work is counted in units that do not depend on the machine: an elementwise part
    handed to SymPy costs :data:`PART_COST` plus its operations (``count_ops``), and
    cancelling it the terms of its expanded numerator and denominator
    (:func:`expanded_terms`), the sizes SymPy's polynomial algebra grows with.
    Parts are charged in the simplifier's (deterministic) order, so which parts are
    simplified, and the printed result, are the same on every machine; a part whose
    charge goes beyond the budget, and every part after it, is kept as it is.
    ``stopped_by`` says what stopped it (``"work"``, ``"clock"``; ``""`` while
    there is work left).
    """

    def __init__(self, work: int | None = None, seconds: float | None = None):
        self.work = MAX_WORK if work is None else work
        self.deadline = time.monotonic() + (SAFETY_SECONDS if seconds is None else seconds)
        self.stopped_by = ""

    def left(self) -> bool:
        if self.work < 0:
            self.stopped_by = "work"
        elif not self.stopped_by and time.monotonic() >= self.deadline:
            self.stopped_by = "clock"
        return not self.stopped_by

    def spend(self, units: int) -> bool:
        """Charge ``units``; whether the work they pay for may still be done."""
        self.work -= units
        return self.left()


def _sympy_heads() -> dict[str, Any]:
    """SymPy heads of the functions the scalar simplifier may rewrite."""
    import sympy

    return {r.name: getattr(sympy, r.sympy_head) for r in FUNCTIONS.values()
            if r.sympy_head and not r.opaque}


def _functions_by_head() -> dict[Any, str]:
    """Functions by SymPy head, for SymPy expressions translated back (users' derivatives)."""
    import sympy

    return {getattr(sympy, r.sympy_head): r.name for r in FUNCTIONS.values()
            if r.sympy_head is not None}


class Translation:
    """Expr ↔ SymPy for one elementwise subtree; opaque parts become symbols."""

    def __init__(self) -> None:
        self.atoms: dict[int, sympy.Symbol] = {}
        self.back: dict[sympy.Symbol, Expr] = {}

    def atom(self, e: Expr) -> sympy.Symbol:
        import sympy

        s = self.atoms.get(id(e))
        if s is None:
            positive = e.op == "dim"
            s = sympy.Symbol(f"_a{len(self.atoms)}", real=True, positive=positive or None)
            self.atoms[id(e)] = s
            self.back[s] = e
        return s

    def to_sympy(self, root: Expr) -> Any:
        import sympy

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
            if node.is_Float and node.is_finite:  # 0.5 as a user writes it: its decimal
                done[node] = c.const(c.number(str(node)))
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
        elif node.func in by_head and len(args) == 1:
            done[node] = c.fn(by_head[node.func], args[0])
        elif node.is_Symbol:
            raise ValueError(f"{node} is not the function's argument")
        else:
            raise ValueError(f"matcalc has no function for SymPy's {node.func}")
    return done[s]


def from_sympy_scalar(expr: Any, symbol: Any, u: Expr) -> Expr:
    """A user's SymPy expression in ``symbol``, applied elementwise to ``u``."""
    import sympy

    return _from_sympy(sympy.sympify(expr), {symbol: u})


def simplify_elementwise(root: Expr, budget: Budget | None = None) -> Expr:
    """The simplest of ``root`` and SymPy's cancelled/factored forms of it (within bounds)."""
    if budget is not None and not budget.left():
        return root
    import sympy

    t = Translation()
    try:
        s = t.to_sympy(root)
    except (TypeError, ValueError):
        return root
    if len(t.atoms) > MAX_ATOMS:
        return root
    best_ops = sympy.count_ops(s)
    if best_ops > MAX_OPS or (budget is not None and not budget.spend(PART_COST + best_ops)):
        return root
    best = root
    for candidate in _candidates(s, budget):
        ops = sympy.count_ops(candidate)
        if ops < best_ops:
            try:
                best, best_ops = t.from_sympy(candidate), ops
            except ValueError:
                continue
    if best.shape != root.shape:  # a scalar left from broadcasting
        best = c.mul(best, c.ones(root.shape))
    return best


def _candidates(s: Any, budget: Budget | None = None) -> list[Any]:
    """Forms of ``s`` to choose from by size: cancelled, and factored (``(1 + e^x)^2`` kept)."""
    import sympy

    out: list[Any] = []
    try:
        together = sympy.together(s)
        numerator, denominator = sympy.fraction(together)
        terms = expanded_terms(numerator), expanded_terms(denominator)
        if max(terms) > MAX_TERMS or (budget is not None and not budget.spend(sum(terms))):
            return out
        cancelled = sympy.cancel(together)
        out.append(cancelled)
        out.append(sympy.factor_terms(cancelled))
        numerator, denominator = sympy.fraction(cancelled)
        out.append(sympy.factor(numerator) / sympy.factor(denominator))
    except (sympy.PolynomialError, TypeError, ValueError):
        pass
    return out


def expanded_terms(s: Any) -> int:
    """An upper bound on the number of terms of ``expand(s)``, found without expanding.

    A sum has the terms of its parts, a product the product of theirs, ``u**k``
    at most ``C(n + k - 1, k)`` for ``n`` terms in ``u``; anything else is one
    term.  Iterative, and capped, so that it is cheap on any input.
    """
    cap = 10 * MAX_TERMS
    done: dict[Any, int] = {}
    stack: list[tuple[Any, bool]] = [(s, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        parts = node.args if (node.is_Add or node.is_Mul or _positive_power(node)) else ()
        if parts and not expanded:
            stack.append((node, True))
            stack.extend((a, False) for a in parts)
            continue
        if node.is_Add:
            n = sum(done[a] for a in parts)
        elif node.is_Mul:
            n = 1
            for a in parts:
                n = min(cap, n * done[a])
        elif parts:
            k = int(node.exp)
            n = math.comb(done[node.base] + k - 1, k) if k < cap else cap
        else:
            n = 1
        done[node] = min(cap, n)
    return done[s]


def _positive_power(node: Any) -> bool:
    return bool(node.is_Pow and node.exp.is_Integer and node.exp > 0)
