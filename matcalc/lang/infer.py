"""Text → typed expression: the entry point of the language stage (SPEC section 2).

The stage's steps, one module each: :mod:`~matcalc.lang.parser` (text → raw
tree), :mod:`~matcalc.lang.declarations` (``shapes=`` and ``where``),
:mod:`~matcalc.lang.scope` (what each name stands for),
:mod:`~matcalc.lang.inference` (undeclared shapes by unification) and
:mod:`~matcalc.lang.build` (raw tree → expression, through the name tables of
:mod:`~matcalc.lang.surface`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, remember_declared
from matcalc.lang.declarations import VarDecl, declarations, parse_kind
from matcalc.lang.inference import infer
from matcalc.lang.parser import parse_text
from matcalc.ops import construct as c

__all__ = ["VarDecl", "parse", "parse_kind"]


def parse(text: str, shapes: Mapping[str, Any] | None = None) -> Expr:
    """Parse ``text`` into a typed expression (SPEC section 2)."""
    parsed = parse_text(text)
    declared = declarations(parsed.declarations, shapes or {}, text)
    expr = infer(text, parsed, declared)
    used = expr.variables()
    unused = {}
    for name, decl in declared.items():  # kept so that d/d(unused) has the right shape
        if name not in used and not any(isinstance(d, str) and name in d.split("*")
                                        for v in used.values() for d in v.shape):
            try:
                unused[name] = c.var(name, decl.shape, decl.structure)
            except ShapeError:
                continue
    remember_declared(expr, unused)  # replaces what an earlier parse of this node noted
    return expr
