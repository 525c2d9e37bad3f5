"""Names the user gave to subexpressions (``where h = tanh(A @ x + b)``), kept for printing.

Nodes are hash-consed, so a name belongs to the expression it was given for, not
to the node: the parser notes the names of each parse's root, and a derivative
inherits those of the function it was derived from.  The printers write such a
subexpression by its name, with a ``where`` clause that defines it.
"""

from __future__ import annotations

import weakref

from matcalc.core.expr import Expr

_given: weakref.WeakKeyDictionary[Expr, dict[str, Expr]] = weakref.WeakKeyDictionary()


def remember_names(root: Expr, names: dict[str, Expr]) -> None:
    """Note the user's names of subexpressions of ``root`` (replacing earlier notes)."""
    named = {name: e for name, e in names.items() if e is not root and e.args}
    if named:
        _given[root] = named
    else:
        _given.pop(root, None)


def inherit_names(result: Expr, source: Expr) -> None:
    """``result`` was derived from ``source``: it keeps the names given in ``source``.

    Nodes are shared, so the newest derivation of a node replaces the names an
    earlier one noted (as :func:`matcalc.core.expr.remember_variables` does).
    """
    if result is not source:
        remember_names(result, _given.get(source, {}))


def given_names(root: Expr) -> dict[str, Expr]:
    """The user's names for subexpressions of ``root`` (by name)."""
    return dict(_given.get(root, {}))
