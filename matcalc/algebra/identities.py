"""Textbook identities the constructors leave to the simplifier: a table of rewrites.

Each entry maps a node kind to a rewrite of one node (or ``None``: no rewrite),
with the identity's source beside it.  They are not canonical forms (a user
may want ``tr(kron(A, B))`` as written), so :func:`rewrite` applies them to
results and to a function before it is differentiated, where they make the
derivative read as the books write it: ``d tr(kron(X, X))/dX = 2 tr(X) I``.

References: "MC (n)" is equation n of the Matrix Cookbook (Petersen & Pedersen,
2012), section 10.2 (Kronecker products).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from matcalc.core.dims import dims_equal
from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, rebuild
from matcalc.ops import construct as c
from matcalc.ops.linalg import DET, INV, LOGDET, TR
from matcalc.ops.reshaping import KRON

Rewrite = Callable[[Expr], Expr | None]
REWRITES: dict[str, list[Rewrite]] = {}


def identity(*ops: str) -> Callable[[Rewrite], Rewrite]:
    def register(rule: Rewrite) -> Rewrite:
        for name in ops:
            REWRITES.setdefault(name, []).append(rule)
        return rule
    return register


def rewrite(e: Expr) -> Expr:
    """``e`` with every identity of :data:`REWRITES` applied, bottom-up, until none applies."""
    def visit(node: Expr, args: tuple[Expr, ...]) -> Expr:
        from matcalc.algebra.simplify import remake

        new = node if args == node.args else remake(node, args)
        return rewrite_node(new)

    return rebuild(e, visit)


def rewrite_node(node: Expr) -> Expr:
    """One node rewritten by the first identity that applies to it (repeatedly)."""
    for _ in range(8):  # each rewrite shrinks the node: a few rounds reach the end
        for rule in REWRITES.get(node.op, ()):
            new = rule(node)
            if new is not None and new is not node:
                node = new
                break
        else:
            return node
    return node


def _square_kron(node: Expr) -> tuple[Expr, Expr] | None:
    k = node.args[0]
    if k.op != KRON or k.ndim != 2:
        return None
    a, b = k.args
    if not (c.is_square(a.shape) and c.is_square(b.shape)):
        return None
    return a, b


# ----------------------------------------------------------------------------------------
# Kronecker products (Matrix Cookbook, section 10.2.1)


@identity(TR)
def trace_of_kron(node: Expr) -> Expr | None:
    # tr(A ⊗ B) = tr(A) tr(B)   (MC 515)
    ab = _square_kron(node)
    return None if ab is None else c.mul(c.trace(ab[0]), c.trace(ab[1]))


@identity(DET)
def det_of_kron(node: Expr) -> Expr | None:
    # det(A ⊗ B) = det(A)^m det(B)^n for A n×n, B m×m   (MC 516)
    ab = _square_kron(node)
    if ab is None:
        return None
    a, b = ab
    return c.mul(c.power(c.det(a), c.dim(b.shape[0])), c.power(c.det(b), c.dim(a.shape[0])))


@identity(LOGDET)
def logdet_of_kron(node: Expr) -> Expr | None:
    # log|det(A ⊗ B)| = m log|det A| + n log|det B| for A n×n, B m×m   (MC 516)
    ab = _square_kron(node)
    if ab is None:
        return None
    a, b = ab
    return c.add(c.mul(c.dim(b.shape[0]), c.logdet(a)), c.mul(c.dim(a.shape[0]), c.logdet(b)))


@identity(INV)
def inv_of_kron(node: Expr) -> Expr | None:
    # inv(A ⊗ B) = inv(A) ⊗ inv(B)   (MC 511)
    ab = _square_kron(node)
    return None if ab is None else c.kron(c.inv(ab[0]), c.inv(ab[1]))


@identity("transpose")
def transpose_of_kron(node: Expr) -> Expr | None:
    # (A ⊗ B)' = A' ⊗ B'   (MC 509)
    k = node.args[0]
    if k.op != KRON or k.ndim != 2 or any(c.is_row(a.shape) for a in k.args):
        return None  # a row's transpose is a vector, which kron takes with vectors only
    return c.kron(c.transpose(k.args[0]), c.transpose(k.args[1]))


@identity("matmul")
def mixed_product(node: Expr) -> Expr | None:
    # (A ⊗ B)(C ⊗ D) = AC ⊗ BD where the products are defined   (MC 510)
    args = list(node.args)
    for k in range(len(args) - 1):
        left, right = args[k], args[k + 1]
        if left.op != KRON or right.op != KRON or left.ndim != 2 or right.ndim != 2:
            continue
        (a, b), (cc, d) = left.args, right.args
        if a.ndim != 2 or cc.ndim != 2 or not dims_equal(a.shape[1], cc.shape[0]) \
                or not dims_equal(b.shape[1], d.shape[0]):
            continue
        try:
            merged = c.kron(c.matmul(a, cc), c.matmul(b, d))
        except ShapeError:
            continue
        return c.matmul(*args[:k], merged, *args[k + 2:])
    return None


# ----------------------------------------------------------------------------------------
# elementwise functions


@identity("fn")
def softplus_of_log(node: Expr) -> Expr | None:
    # log(1 + exp(u)) = softplus(u): its derivative is then sigmoid(u), not
    # exp(u) / (1 + exp(u)), which is nan where exp(u) overflows (u = 1000)
    if node.attrs[0] != "log" or node.args[0].op != "add" or len(node.args[0].args) != 2:
        return None
    one, e = sorted(node.args[0].args, key=lambda a: a.op != "const")
    if one.op != "const" or one.value != 1 or e.op != "fn" or e.attrs[0] != "exp":
        return None
    return c.fn("softplus", e.args[0])


# ----------------------------------------------------------------------------------------
# sums: a coefficient every term shares


@identity("add")
def common_coefficient(node: Expr) -> Expr | None:
    # c a + c b = c (a + b) when every term has the same coefficient c ≠ ±1:
    # -0.5 * inv(S).T - 0.5 * inv(S) = -0.5 * (inv(S).T + inv(S))
    coefficients = [c.split_coefficient(t) for t in node.args]
    first = coefficients[0][0]
    if abs(first) == 1 or any(k != first or rest is None for k, rest in coefficients):
        return None
    rests = [rest for _, rest in coefficients if rest is not None]
    return c.mul(c.const(Fraction(first)), c.add(*rests))


@identity("mul")
def coefficient_into_sum(node: Expr) -> Expr | None:
    # k (g a - g b) = (k g)(a - b): 0.5 * (2 C - 2 P) = C - P
    if len(node.args) != 2 or node.args[0].op != "const" or node.args[1].op != "add":
        return None
    k, total = node.args[0].value, node.args[1]
    coefficients = [c.split_coefficient(t) for t in total.args]
    if any(rest is None for _, rest in coefficients):
        return None
    g = abs(Fraction(coefficients[0][0]))
    if g == 1 or any(Fraction(q) / g != int(Fraction(q) / g) for q, _ in coefficients):
        return None
    terms = [c.scale(Fraction(q) / g, rest) for q, rest in coefficients if rest is not None]
    return c.mul(c.const(Fraction(k) * g), c.add(*terms))


@identity("add")
def hadamard_like_terms(node: Expr) -> Expr | None:
    # a ⊙ b + b ⊙ a = 2 a ⊙ b: elementwise products commute, so terms whose factors
    # are the same multiset are like terms (written in the order first met)
    first: dict[tuple[int, ...], Expr] = {}
    terms = []
    changed = False
    for t in node.args:
        q, rest = c.split_coefficient(t)
        if rest is None or rest.op != "mul":
            terms.append(t)
            continue
        key = tuple(sorted(map(id, rest.args)))
        seen = first.setdefault(key, rest)
        if seen is not rest:
            changed = True
            t = c.scale(q, seen)
        terms.append(t)
    return c.add(*terms) if changed else None
