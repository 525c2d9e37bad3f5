"""The fuzzer's expressions as trees: the variables they use, and the declarations.

A generated expression is kept as a :class:`Node` tree (a text template per
node) so that a failure can be shrunk by replacing subtrees; a :class:`Sample`
is a tree with the way its shapes are declared (a ``shapes=`` dict or a
``where`` clause).  :data:`VARIABLES` are the variables every expression is
built from, :func:`elementwise` the functions generated with any argument (the
function records with a ``fuzz`` weight; ``log`` and ``sqrt``, whose records
ask for a positive domain, get positive ones from the generator instead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from matcalc.ops.record import FUNCTIONS

Shape = tuple[Any, ...]

# ----------------------------------------------------------------------------------------
# the variables an expression may use, and the functions it may call

VARIABLES: dict[str, tuple[Shape, str]] = {
    "a": ((), ""), "b": ((), ""),
    "x": (("n",), ""), "y": (("n",), ""), "u": (("m",), ""), "v": (("m",), ""),
    "A": (("m", "n"), ""), "B": (("m", "n"), ""), "C": (("n", "m"), ""),
    "X": (("n", "n"), ""), "W": (("n", "n"), ""), "M": (("m", "m"), ""),
    "Y": (("n", "n"), "symmetric"), "S": (("n", "n"), "spd"), "P": (("m", "m"), "spd"),
}
DIMS = ("m", "n")
PRODUCT = "m*n"


def elementwise() -> dict[str, float]:
    """The functions generated with any argument, and their weights.

    Read from the function records at each call, so that a function registered
    with a ``fuzz`` weight is drawn too; in the records' order (registration).
    """
    return {name: r.fuzz for name, r in FUNCTIONS.items() if r.fuzz > 0}


ELEMENTWISE = tuple(elementwise())  # the built-in ones, as the package is imported
CONSTANTS = ("2", "3", "0.5", "1.5", "0.25", "0.1", "10", "1e-1", "4", "7")


def kind_string(shape: Shape, structure: str) -> str:
    """A declaration as a kind string: ``spd(n)``, ``matrix(m, n)``, ``vector(n)``, ``scalar``."""
    if structure:
        return f"{structure}({shape[0]})"
    if not shape:
        return "scalar"
    if len(shape) == 1:
        return f"vector({shape[0]})"
    return f"matrix({shape[0]}, {shape[1]})"


def shapes_of(expr: Any) -> dict[str, Any]:
    """``shapes=`` for re-parsing text about ``expr``'s variables (structures as kinds)."""
    out: dict[str, Any] = {}
    for name, v in expr.variables().items():
        out[name] = kind_string(v.shape, v.structure) if v.structure else tuple(v.shape)
    return out


# ----------------------------------------------------------------------------------------
# the generated tree (kept so that failures can be shrunk)


@dataclass
class Node:
    """A generated expression: ``template`` with ``{0}``, ``{1}``... for the children."""

    template: str
    kids: list[Node]
    shape: Shape
    leaf: bool = False

    def text(self) -> str:
        return self.template.format(*(k.text() for k in self.kids))

    def size(self) -> int:
        return 1 + sum(k.size() for k in self.kids)

    def walk(self) -> Iterator[Node]:
        yield self
        for k in self.kids:
            yield from k.walk()

    def names(self) -> set[str]:
        out: set[str] = set()
        for n in self.walk():
            if n.leaf:
                out.update(re.findall(r"[A-Za-z_]\w*", n.template))
        return out


def var_node(name: str) -> Node:
    """A variable of :data:`VARIABLES` as a leaf."""
    return Node(name, [], VARIABLES[name][0], leaf=True)


def const_node(text: str) -> Node:
    """A number (or a dimension name used as one) as a leaf."""
    return Node(text, [], (), leaf=True)


def node(template: str, shape: Shape, *kids: Node) -> Node:
    """An inner node: ``template`` applied to ``kids``."""
    return Node(template, list(kids), shape)


@dataclass
class Sample:
    """One generated example: the tree, and how its shapes are declared."""

    tree: Node
    style: str  # "shapes" (shapes= dict) or "where" (a where clause)

    def variables(self) -> list[str]:
        return sorted(n for n in self.tree.names() if n in VARIABLES)

    def declarations(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.variables():
            shape, structure = VARIABLES[name]
            out[name] = kind_string(shape, structure) if structure else shape
        return out

    def text(self) -> str:
        body = self.tree.text()
        if self.style == "where" and self.variables():
            decls = ", ".join(f"{name}: {kind_string(*VARIABLES[name])}"
                              for name in self.variables())
            return f"{body} where {decls}"
        return body

    def shapes(self) -> dict[str, Any]:
        return {} if self.style == "where" else self.declarations()

    def describe(self) -> str:
        decl = ", ".join(f"{k}: {kind_string(*VARIABLES[k])}" for k in self.variables())
        return self.tree.text() + (f"   where {decl}" if decl else "")




def fix_dimension_scalars(tree: Node) -> Node:
    """A dimension name used as a number needs a variable with that dimension."""
    used: set[str] = set()
    for name in tree.names():
        if name in VARIABLES:
            used.update(d for d in VARIABLES[name][0] if isinstance(d, str))
    for node in tree.walk():
        if node.leaf and node.template in DIMS and node.template not in used:
            node.template = "2"
    return tree


def from_text(text: str, style: str = "shapes") -> Sample:
    """An example written by hand, over the variables of :data:`VARIABLES`."""
    return Sample(Node(text, [], (), leaf=True), style)
