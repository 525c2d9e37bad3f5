"""What each name in the text stands for: a variable, a dimension, a definition or ``I``.

Before any shape is known, the raw tree and the declarations already decide the
role of every name: ``q = ...`` defines ``q``; a name used as an argument of
``eye``, ``ones``, ``zeros``, ``reshape`` or ``unvec`` (or in a declared shape)
is a dimension; the rest are variables, listed in reading order so that
inference names their dimensions by first appearance.
"""

from __future__ import annotations

from matcalc.core.errors import ParseError, ShapeError
from matcalc.lang.declarations import VarDecl
from matcalc.lang.parser import Definition, Parsed, Raw
from matcalc.lang.surface import DIM_FUNCTIONS


def walk(root: Raw) -> list[Raw]:
    """Every raw node under ``root`` (with an explicit stack: inputs may be deep)."""
    out: list[Raw] = []
    stack = [root]
    while stack:
        r = stack.pop()
        out.append(r)
        stack.extend(r.children)
    return out


def lone_name(raw: Raw) -> str | None:
    """The name of ``raw`` if it is one name with numbers only (``s``, ``2*s``, ``-s/2``)."""
    names = set()
    for r in walk(raw):
        if r.kind == "name":
            names.add(r.value)
        elif r.kind not in ("number", "mul", "div", "neg"):
            return None
    return str(next(iter(names))) if len(names) == 1 else None


class Scope:
    """The roles of the names of one parsed text."""

    def __init__(self, text: str, parsed: Parsed, declared: dict[str, VarDecl]):
        self.declared = declared
        self.definitions: dict[str, Definition] = {}
        for d in parsed.definitions:
            if d.name in self.definitions:
                raise ParseError(f"{d.name} is defined twice", text, d.pos)
            if d.name in declared:
                raise ShapeError(f"{d.name} is both declared and defined", text, d.pos)
            self.definitions[d.name] = d
        nodes = walk(parsed.expr)
        for d in parsed.definitions:
            nodes.extend(walk(d.body))
        self.dim_names: set[str] = set()
        for decl in declared.values():
            for dd in decl.shape:
                if isinstance(dd, str):
                    self.dim_names.update(p for p in dd.split("*") if not p.isdigit())
        for r in nodes:
            if r.kind == "call" and r.value in (*DIM_FUNCTIONS, "reshape", "unvec"):
                dim_args = r.children if r.value in DIM_FUNCTIONS else r.children[1:]
                for a in dim_args:
                    for leaf in walk(a):
                        if leaf.kind == "name" and leaf.value not in declared:
                            self.dim_names.add(leaf.value)
        # variables: names that are not dimensions, definitions or the identity, in
        # reading order (for naming by first appearance)
        self.variables: list[str] = []
        seen: set[str] = set()
        for r in sorted(nodes, key=lambda r: r.pos):
            if r.kind == "name" and r.value not in seen and self.is_variable(r.value):
                self.variables.append(r.value)
                seen.add(r.value)

    def is_variable(self, name: str) -> bool:
        if name in self.definitions or name == "I":
            return False
        if name in self.declared:
            return True
        if name in ("pi", "inf"):  # the number π and a norm's order, unless declared
            return False
        return name not in self.dim_names
