"""Coefficients: undeclared names that only scale scalar-valued parts are scalars.

``lam`` in ``norm(X@w - y)^2 + lam*norm(w)^2``, ``N`` in ``sum((X@w - y)^2)/N``
and ``s2`` in ``norm(e)^2/(2*s2)`` multiply or divide a part of the expression
that is a scalar whatever the name's shape, possibly together with numbers.  By
the naming convention alone they would be arrays, and a loss would silently
become an array; so a name used only so is a scalar, whatever its first letter.
A name beside numbers only (``x`` in ``tanh(2*x)``) or beside arrays (``s`` in
``s * x``) keeps the convention, and so does a transposed one (``x'`` in ``x' * norm(y)``).

The test reads the shapes of one build (:attr:`ExprBuilder.node_shapes`): the
other factors of a product do not contain the name, so their shapes do not
depend on its rank, and every name is decided from that one build.
"""

from __future__ import annotations

from matcalc.core.dims import Shape
from matcalc.lang.parser import CHAINS, Parsed, Raw, chain_spine
from matcalc.lang.scope import walk


def coefficients(parsed: Parsed, node_shapes: dict[int, Shape], flexible: set[str],
                 undeclared: set[str]) -> list[str]:
    """The names of ``flexible`` that are used only as coefficients of scalar-valued parts.

    ``undeclared`` are the variables whose shapes inference chose: one of them is
    no scalar part by itself (``s`` in ``s * A`` is a scalar because ``A`` is not).
    """
    nodes = walk(parsed.expr)
    for d in parsed.definitions:
        nodes.extend(walk(d.body))
    left_children = {id(r.children[0]) for r in nodes if CHAINS.get(r.kind) == "product"}
    marked: set[int] = set()  # name nodes that are a coefficient where they stand
    for r in nodes:
        if CHAINS.get(r.kind) != "product" or id(r) in left_children:
            continue  # not the top of a product chain
        spine = chain_spine(r)
        if any(n.kind == "matmul" for n in spine):
            continue
        operands = [spine[0].children[0]] + [n.children[1] for n in spine]
        for i, operand in enumerate(operands):
            name_node = _scaled_name(operand, flexible)
            others = operands[:i] + operands[i + 1:]
            if name_node is not None and _scalar_part(others, node_shapes, undeclared):
                marked.add(id(name_node))
    uses: dict[str, list[int]] = {}
    for r in nodes:
        if r.kind == "name" and r.value in flexible:
            uses.setdefault(r.value, []).append(id(r))
    return [name for name, ids in uses.items() if all(i in marked for i in ids)]


def _scaled_name(r: Raw, flexible: set[str]) -> Raw | None:
    """The name node if ``r`` is a flexible name, maybe negated or times numbers.

    A transposed name is none: ``x'`` says ``x`` is a vector (``x' * norm(y)`` is a row).
    """
    while r.kind == "neg":
        r = r.children[0]
    if r.kind == "name":
        return r if r.value in flexible else None
    if CHAINS.get(r.kind) != "product":
        return None
    spine = chain_spine(r)
    if any(n.kind == "matmul" for n in spine):
        return None
    operands = [spine[0].children[0]] + [n.children[1] for n in spine]
    names = [o for o in operands if o.kind != "number"]
    if len(names) == 1 and names[0].kind == "name" and names[0].value in flexible:
        return names[0]
    return None


def _scalar_part(others: list[Raw], node_shapes: dict[int, Shape], undeclared: set[str]) -> bool:
    """Whether the other factors are scalars, not only numbers and inferred names."""
    if not any(o.kind != "number" and _scaled_name(o, undeclared) is None for o in others):
        return False
    return all(node_shapes.get(id(o)) == () for o in others)
