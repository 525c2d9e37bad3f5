"""Simplification beyond the constructors' canonical forms.

The constructors (:mod:`matcalc.construct`) already fold numbers, drop ``0*``
and ``1*``, cancel double transposes and collect like terms.  This pass adds
what would surprise a user if done while parsing: factoring a common matrix
factor out of a sum, ``A.T @ x + A @ x`` → ``(A + A.T) @ x``, as the Matrix
Cookbook writes it.
"""

from __future__ import annotations

from matcalc.algebra.identities import rewrite_node
from matcalc.algebra.sympy_bridge import ELEMENTWISE_OPS, Budget, simplify_elementwise
from matcalc.core.errors import DiffError, ShapeError
from matcalc.core.expr import Expr, postorder, rebuild
from matcalc.ops import construct as c
from matcalc.ops.linalg import INV
from matcalc.ops.record import op


def remake(node: Expr, args: tuple[Expr, ...]) -> Expr:
    """``node`` with operands ``args``, rebuilt through its constructor (its record's hook)."""
    if not args:
        return node
    rebuild_node = op(node.op).rebuild
    if rebuild_node is None:
        raise DiffError(f"the operator {node.op} cannot be rebuilt: its record has no rebuild")
    return rebuild_node(node, args)


def simplify(e: Expr) -> Expr:
    """Simplify elementwise fractions with SymPy; factor matrix factors out of sums;
    apply the textbook identities of :mod:`matcalc.algebra.identities`."""
    tops = _elementwise_tops(e)
    budget = Budget()  # SymPy's work for this whole expression (sympy_bridge's limits)
    # elementwise products commute: u * v and v * u are one node, in the order first met
    # (operands are visited first, so factors are compared once they are canonical too),
    # so exp(u * v) - exp(v * u) is zero and no printed result changes order
    products: dict[tuple[object, ...], Expr] = {}

    def visit(node: Expr, args: tuple[Expr, ...]) -> Expr:
        new = node if args == node.args else remake(node, args)
        if id(node) in tops and new.op in ("add", "mul"):
            new = simplify_elementwise(new, budget)
        if new.op == "matmul":
            new = _expand_inverses(new)
        if new.op == "add":
            new = _factor(new)
        new = rewrite_node(new)
        if new.op == "mul" and new.args[-1].op == "add":  # a coefficient taken out of a sum
            new = c.mul(*new.args[:-1], _factor(new.args[-1]))
        if new.op == "mul":
            new = products.setdefault((new.shape, *sorted(map(id, new.args))), new)
        return new

    return rebuild(e, visit)


def _inverse_of_product(f: Expr) -> list[Expr] | None:
    """inv(A @ B) of square A, B as [inv(B), inv(A)]; inv(A @ B).T as [inv(A).T, inv(B).T]."""
    transposed = f.op == "transpose"
    core = f.args[0] if transposed else f
    if core.op != INV or core.args[0].op != "matmul":
        return None
    factors = core.args[0].args
    if any(g.ndim != 2 or g.shape[0] != g.shape[1] for g in factors):
        return None
    if transposed:
        return [c.transpose(c.inv(g)) for g in factors]
    return [c.inv(g) for g in reversed(factors)]


def _expand_inverses(chain: Expr) -> Expr:
    """inv(X @ X).T @ X.T → inv(X).T where expanding the inverse lets factors cancel.

    The inverse of a product of square matrices is the product of the inverses in
    reverse order (Matrix Cookbook eq. 3); it is kept whole unless that shortens the
    chain, as for d det(X^k)/dX = k det(X^k) inv(X).T (eq. 52).
    """
    shorter = True
    while shorter and chain.op == "matmul":
        shorter = False
        for k, f in enumerate(chain.args):
            parts = _inverse_of_product(f)
            if parts is None:
                continue
            expanded = c.matmul(*chain.args[:k], *parts, *chain.args[k + 1:])
            if expanded.op != "matmul" or len(expanded.args) < len(chain.args):
                chain, shorter = expanded, True
                break
    return chain


def _elementwise_tops(e: Expr) -> set[int]:
    """Ids of the largest elementwise subexpressions that contain a division."""
    has_division: set[int] = set()
    inner: set[int] = set()
    for node in postorder(e):
        if node.op in ELEMENTWISE_OPS:
            if (node.op == "pow" and node.args[1].op == "const" and node.args[1].attrs[0] < 0) \
                    or any(id(a) in has_division for a in node.args):
                has_division.add(id(node))
            inner.update(id(a) for a in node.args if a.op in ELEMENTWISE_OPS)
    return {i for i in has_division if i not in inner}


def _split(term: Expr) -> tuple[Expr | None, list[Expr]]:
    """A term as (scalar coefficient part, matrix-product factors) or (None, [])."""
    scalars: list[Expr] = []
    core = term
    if term.op == "mul":
        arrays = [f for f in term.args if f.shape]
        if len(arrays) != 1:
            return None, []
        scalars = [f for f in term.args if not f.shape]
        core = arrays[0]
    if core.op != "matmul":
        return None, []
    return (c.mul(*scalars) if scalars else c.const(1)), list(core.args)


def _factor(s: Expr) -> Expr:
    for side in ("right", "left"):
        terms = list(s.args)
        groups: dict[int, list[int]] = {}
        parts: list[tuple[Expr | None, list[Expr]]] = [_split(t) for t in terms]
        for k, (coeff, factors) in enumerate(parts):
            if coeff is None or len(factors) < 2:
                continue
            key = factors[-1] if side == "right" else factors[0]
            groups.setdefault(id(key), []).append(k)
        changed = False
        for idx in groups.values():
            if len(idx) < 2:
                continue
            rests = []
            shared = parts[idx[0]][1][-1] if side == "right" else parts[idx[0]][1][0]
            try:
                for k in idx:
                    coeff, factors = parts[k]
                    assert coeff is not None  # only terms with a coefficient were grouped
                    rest = factors[:-1] if side == "right" else factors[1:]
                    rests.append(c.mul(coeff, c.matmul(*rest)))
                rests.sort(key=lambda r: r.op == "transpose")  # A + A.T rather than A.T + A
                inner = rewrite_node(c.add(*rests))
                combined = (c.matmul(inner, shared) if side == "right"
                            else c.matmul(shared, inner))
            except ShapeError:  # a rest that is a scalar (row @ column): not a matrix factor
                continue
            terms[idx[0]] = combined
            for k in idx[1:]:
                terms[k] = c.zeros(s.shape)
            changed = True
        if changed:
            s = c.add(*terms)
            if s.op != "add":
                return s
    return s
