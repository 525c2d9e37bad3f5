"""One connected component of a normalised product, written in matrix notation.

Step 4 and 5 of :mod:`matcalc.algebra.contraction`: the operands of a component
are edges (matrices) and node weights (vectors) of a graph whose nodes are
index labels; a path is a chain of matrix products with ``diag`` of the vectors
at its inner nodes, a cycle a trace; components combine by scalar
multiplication and outer products.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from matcalc.core.expr import Expr
from matcalc.ops import construct as c

if TYPE_CHECKING:
    from matcalc.algebra.contraction import Operand, Product


ELEMENTWISE = ("add", "mul", "pow", "fn")  # the node kinds a transpose goes into


def translate(p: Product, comp: list[int]) -> tuple[Expr, list[str]] | None:
    """A component as (expression, its free labels), or None if it has no matrix form."""
    ops = [p.operands[i] for i in comp]
    if any(e.ndim > 2 for e, _ in ops):
        return None
    vectors: dict[str, list[Expr]] = {}
    edges: list[tuple[Expr, str, str]] = []
    for e, labs in ops:
        if len(labs) == 1:
            vectors.setdefault(labs[0], []).append(e)
        else:
            edges.append((e, labs[0], labs[1]))
    free = [lab for lab in p.out if any(lab in labs for _, labs in ops)]
    degree: dict[str, int] = {}
    for _, a, b in edges:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    if any(d > 2 for d in degree.values()) or any(degree.get(lab, 0) > 1 for lab in free):
        return None
    labels = set(degree) | set(vectors)
    if not edges:
        (lab,) = labels
        vs = vectors[lab]
        if lab in free:
            return c.mul(*vs), [lab]
        if len(vs) == 2:
            return c.matmul(c.transpose(vs[0]), vs[1]), []
        return c.sum_(c.mul(*vs)), []

    def weight(lab: str) -> Expr | None:
        vs = vectors.get(lab)
        return c.mul(*vs) if vs else None

    if (len(edges) == 1 and not vectors and len(free) == 1 and free[0] == edges[0][2]
            and edges[0][0].op in ELEMENTWISE):
        # the sum over the rows of an elementwise expression (a broadcast's adjoint):
        # sum(E, axis=0) rather than E' @ ones(m), whose transpose would go into E
        return c.sum_axis(edges[0][0], 0), free
    ends = [lab for lab in labels if degree.get(lab, 0) == 1]
    if not ends:  # a cycle: a trace
        if free:
            return None
        start = edges[0][1]
        chain, _ = _walk(edges, start, weight, close=True)
        return c.trace(c.matmul(*chain)), []
    # a path; start from a free end so the result is indexed (free[0], free[1])
    if free:
        start = free[0]
        if degree.get(start, 0) != 1:
            return None
    else:
        start = min(ends, key=lambda lab: _first_use(ops, lab))
    chain, end = _walk(edges, start, weight, close=False)
    head_w, tail_w = weight(start), weight(end)
    if not free:  # a scalar: sum(...) where an end has no vector
        if head_w is not None and tail_w is not None:
            return c.matmul(c.transpose(head_w), *chain, tail_w), []
        if head_w is not None:
            chain, tail_w = [c.transpose(f) for f in reversed(chain)], head_w
        if tail_w is not None:
            chain.append(tail_w)
        return c.sum_(c.matmul(*chain)), []
    factors = list(chain)
    if head_w is not None:
        factors.insert(0, c.diag(head_w))
    if end in free:
        if tail_w is not None:
            factors.append(c.diag(tail_w))
    else:
        factors.append(tail_w if tail_w is not None else c.ones((p.sizes[end],)))
    expr = c.matmul(*factors)
    got = [lab for lab in (start, end) if lab in free]
    if len(got) == 2 and got != free:
        expr = c.transpose(expr)
    return expr, got


def _first_use(ops: list[Operand], lab: str) -> int:
    for i, (_, labs) in enumerate(ops):
        if lab in labs:
            return i
    return len(ops)


def _walk(edges: list[tuple[Expr, str, str]], start: str,
          weight: Callable[[str], Expr | None], close: bool) -> tuple[list[Expr], str]:
    """Matrix factors along the path (or cycle) from ``start``, diag() at inner nodes.

    The weights (vectors) at the two ends of a path are left to the caller.
    """
    unused = list(range(len(edges)))
    at = start
    factors: list[Expr] = []
    while unused:
        k = next((k for k in unused if at in edges[k][1:]), None)
        if k is None:
            break
        unused.remove(k)
        if at != start or close:
            w = weight(at)
            if w is not None:
                factors.append(c.diag(w))
        e, a, b = edges[k]
        if a == at:
            factors.append(e)
            at = b
        else:
            factors.append(c.transpose(e))
            at = a
    return factors, at


def combine(p: Product, pieces: list[tuple[Expr, list[str]]]) -> Expr:
    scalar = [e for e, labs in pieces if not labs]
    arrays = [(e, labs) for e, labs in pieces if labs]
    s = c.mul(*p.scalars, *scalar) if (p.scalars or scalar) else c.const(1)
    if not arrays:
        return s
    if len(arrays) == 1:
        e, labs = arrays[0]
        if len(labs) == 2 and labs != p.out:
            e = c.transpose(e)
        return c.mul(s, e)
    (u, lu), (v, lv) = arrays
    if lu[0] != p.out[0]:
        (u, lu), (v, lv) = (v, lv), (u, lu)
    outer = c.matmul(u, c.transpose(v))
    if u.op == "ones" and v.op == "ones":
        outer = c.ones((u.shape[0], v.shape[0]))
    return c.mul(s, outer)
