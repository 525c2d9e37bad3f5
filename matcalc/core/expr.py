"""The expression node: immutable, hash-consed, with a symbolic shape.

Every expression — parsed, derived or simplified — is an :class:`Expr` built
through :func:`make`, which returns the existing node for an equal one.  Equal
expressions are therefore the same object, equality is identity, and shared
subexpressions are stored once, so derivatives of deep compositions stay small.

Graphs are walked with explicit stacks (:func:`postorder`), never recursion, so
depth is limited by memory, not by Python's recursion limit.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from matcalc.core.dims import Shape

Number = int | Fraction


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class Expr:
    """One node: operator name, operands, parameters (``attrs``) and shape.

    ``attrs`` holds the parameters that are not expressions: a variable's name
    and structure, a constant's value, a function's name, an einsum spec.
    """

    op: str
    args: tuple[Expr, ...]
    attrs: tuple[Any, ...]
    shape: Shape

    # -- conveniences ---------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str:
        """The name of a variable (``op == "var"``)."""
        if self.op != "var":
            raise AttributeError(f"a {self.op} node has no name")
        return str(self.attrs[0])

    @property
    def structure(self) -> str:
        """``""``, ``"symmetric"`` or ``"spd"`` for variables; ``""`` otherwise."""
        return str(self.attrs[1]) if self.op == "var" else ""

    @property
    def value(self) -> Number:
        if self.op != "const":
            raise AttributeError(f"a {self.op} node has no value")
        value: Number = self.attrs[0]  # attrs is untyped; a const's first attr is its number
        return value

    def variables(self) -> dict[str, Expr]:
        """The variables of the expression by name, in order of first appearance."""
        found: dict[str, Expr] = {}
        for node in postorder(self):
            if node.op == "var":
                found.setdefault(node.name, node)
        return found

    def __str__(self) -> str:
        from matcalc.printing.text import to_text

        return to_text(self)

    def __repr__(self) -> str:
        return f"Expr({str(self)!r}, shape={self.shape!r})"

    def latex(self, **options: Any) -> str:
        from matcalc.printing.latex import to_latex

        return to_latex(self, **options)

    def _repr_latex_(self) -> str:
        # a derivative shows as one (d f / d x = ... in R^...); latex() stays the bare form
        from matcalc.printing.latex import display_latex

        return f"$\\displaystyle {display_latex(self)}$"

    def __reduce__(self) -> tuple[Callable[..., Expr], tuple[Any, ...]]:
        return (make, (self.op, self.args, self.attrs, self.shape))

    def __copy__(self) -> Expr:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Expr:
        return self


_interned: weakref.WeakValueDictionary[tuple[Any, ...], Expr] = weakref.WeakValueDictionary()


def make(op: str, args: tuple[Expr, ...], attrs: tuple[Any, ...], shape: Shape) -> Expr:
    """The unique node with these fields (raw: no checks, no canonicalisation)."""
    key = (op, tuple(map(id, args)), _attrs_key(attrs), shape)
    node = _interned.get(key)
    if node is None:
        node = Expr(op, args, attrs, shape)
        _interned[key] = node
    return node


def _attrs_key(attrs: tuple[Any, ...]) -> tuple[Any, ...]:
    # 1 == 1.0 == Fraction(1) hash alike; keep the type so distinct values stay distinct
    return tuple((type(a).__name__, a) for a in attrs)


_origins: weakref.WeakKeyDictionary[Expr, dict[str, Expr]] = weakref.WeakKeyDictionary()


def remember_variables(result: Expr, source: Expr) -> None:
    """Note that ``result`` was derived from ``source``, whose variables fix its dimensions.

    A derivative may lose a variable (d(A@x)/dA has no A) but keep its dimensions;
    evaluation reads their sizes from the arrays of the source's variables.  Nodes are
    shared (hash-consed), so the newest derivation of a node replaces what an earlier,
    unrelated one noted: nothing is merged across derivations or parses.
    """
    known = dict(_origins.get(source, {}))
    known.update(source.variables())
    _origins[result] = known


def remember_declared(result: Expr, variables: dict[str, Expr]) -> None:
    """Note the variables declared for ``result`` that it does not use (their shapes).

    Called by every parse, with ``{}`` when nothing declared is unused: the newest parse
    of a (shared) node replaces the declarations of earlier parses, never merges with
    them, so an unrelated earlier parse cannot decide a later result.
    """
    _derived.pop(result, None)  # parsed text: an expression, whatever it was derived as
    _forms.pop(result, None)
    if variables:
        _origins[result] = dict(variables)
    else:
        _origins.pop(result, None)


_derived: weakref.WeakKeyDictionary[Expr, tuple[Expr, str, int]] = weakref.WeakKeyDictionary()


def remember_derivative(result: Expr, f: Expr, wrt: str) -> None:
    """Note that ``result`` is the derivative of ``f`` by ``wrt`` (for display only).

    Kept beside the node, not in it, so that hash-consing and equality are
    untouched; a derivative of a derivative by the same variable is noted as the
    higher-order derivative of the first function.  Like :func:`remember_variables`,
    the newest note of a (shared) node wins, and a parse of the node removes it.
    """
    _forms.pop(result, None)  # the newest note wins: an array derivative now
    below = _derived.get(f)
    if below is not None and below[1] == wrt:
        _derived[result] = (below[0], wrt, below[2] + 1)
    else:
        _derived[result] = (f, wrt, 1)


def derived_from(e: Expr) -> tuple[Expr, str, int] | None:
    """``(f, wrt, order)`` if ``e`` was computed as a derivative (:func:`remember_derivative`)."""
    return _derived.get(e)


_forms: weakref.WeakKeyDictionary[Expr, tuple[Expr, str, str]] = weakref.WeakKeyDictionary()


def remember_form(result: Expr, f: Expr, wrt: str, form: str) -> None:
    """Note that ``result`` is ``f``'s derivative by ``wrt`` presented as ``form``.

    ``"differential"`` (``dF`` in the direction ``d`` + wrt) or ``"vec"`` (the Jacobian
    ``d vec(F)/d vec(x)'``), so that a notebook shows it as such (for display only, as
    :func:`remember_derivative`; the newest note of a shared node wins).
    """
    _derived.pop(result, None)
    _forms[result] = (f, wrt, form)


def presented_form(e: Expr) -> tuple[Expr, str, str] | None:
    """``(f, wrt, form)`` if ``e`` was computed as a differential or a vec Jacobian."""
    return _forms.get(e)


def related_variables(e: Expr) -> dict[str, Expr]:
    """Variables of the expressions ``e`` was derived from (see :func:`remember_variables`)."""
    return dict(_origins.get(e, {}))


def postorder(root: Expr, known: Container[int] = ()) -> Iterator[Expr]:
    """Every distinct node of the DAG once, operands before the nodes that use them.

    Nodes whose id is in ``known`` are neither yielded nor descended into.
    """
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        if id(node) in seen or id(node) in known:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for arg in reversed(node.args):
            if id(arg) not in seen:
                stack.append((arg, False))


def count_nodes(root: Expr) -> int:
    """The number of distinct nodes in the DAG."""
    return sum(1 for _ in postorder(root))


def rebuild(root: Expr, visit: Callable[[Expr, tuple[Expr, ...]], Expr]) -> Expr:
    """Map a DAG bottom-up: ``visit(node, new_args)`` gives each node's replacement."""
    done: dict[int, Expr] = {}
    for node in postorder(root):
        done[id(node)] = visit(node, tuple(done[id(a)] for a in node.args))
    return done[id(root)]


def depends_on(root: Expr, names: set[str]) -> set[int]:
    """Ids of the nodes of ``root`` that depend on any variable in ``names``."""
    hits: set[int] = set()
    for node in postorder(root):
        if (node.op == "var" and node.name in names) or any(id(a) in hits for a in node.args):
            hits.add(id(node))
    return hits
