"""The vec form of a derivative: the Jacobian matrix ``d vec(f) / d vec(x)'``.

Magnus & Neudecker ("Matrix Differential Calculus", 3rd ed., ch. 9 and table
9.1) write every derivative of a matrix function as this matrix, of shape
``(numel f, numel x)``: ``d vec(A X B) = kron(B', A) d vec(X)``,
``d vec(X') = K d vec(X)`` with the commutation matrix ``K``,
``d vec(inv(X)) = -kron(inv(X)', inv(X)) d vec(X)``.

The pass is forward mode: each node's Jacobian ``J_v`` (``(numel v, N)``, a row
``(1, N)`` for a scalar ``v``, ``N = numel x``) comes from its operands' through
the rule of its operator in :data:`VEC_RULES`.  Where no Kronecker form applies
(a rule raises :class:`NoKroneckerForm`, or has none), the node's Jacobian is
its array derivative with the axes column-stacked, an ``einsum`` reshaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matcalc.algebra.contraction import contract
from matcalc.calculus.differentiate import derivative
from matcalc.calculus.rules import Ctx
from matcalc.core.dims import Dim, Shape, product_dim
from matcalc.core.expr import Expr, depends_on, postorder
from matcalc.ops import construct as c
from matcalc.ops.functions import derivative_of
from matcalc.ops.linalg import DET, DIAG, DIAGPART, INV, LOGDET, TR
from matcalc.ops.reductions import ISMAX, LOGSUMEXP, SOFTMAX
from matcalc.ops.reshaping import COMMUTATION, KRON, UNVEC, VEC

Jac = Expr | None  # None: the node does not depend on x
VEC_RULES: dict[str, Callable[[Expr, Sequence[Jac]], Jac]] = {}


class NoKroneckerForm(Exception):
    """The rule has no Kronecker form for this node: use the column-stacked array."""


def defvec(*ops: str) -> Callable[[Callable[[Expr, Sequence[Jac]], Jac]],
                                  Callable[[Expr, Sequence[Jac]], Jac]]:
    def register(rule: Callable[[Expr, Sequence[Jac]], Jac]
                 ) -> Callable[[Expr, Sequence[Jac]], Jac]:
        for name in ops:
            VEC_RULES[name] = rule
        return rule
    return register


def numel(shape: Shape) -> Dim:
    """The number of entries (a row ``(1, n)`` has ``n``; a scalar 1)."""
    return product_dim(shape) if shape else 1


def vec_jacobian(f: Expr, x: Expr) -> Expr:
    """``d vec(f) / d vec(x)'``: ``(numel f, numel x)``; a row for scalar f, vec(∂f/∂x) for
    scalar x."""
    if not x.shape:
        d = derivative(f, x)
        return c.vec(d) if d.ndim == 2 else d
    live = depends_on(f, {x.name})
    n_x = numel(x.shape)
    done: dict[int, Jac] = {id(x): c.eye(n_x)}
    for node in postorder(f):
        if id(node) not in live or id(node) in done:
            continue
        same = _hadamard_form(node)  # the rule of an equal node whose form is shorter
        rule = VEC_RULES.get(same.op)
        jacs = [done.get(id(a)) if id(a) in live else None for a in same.args]
        try:  # vec and kron are for vectors and matrices: tensors take the array form
            if rule is None or any(e.ndim > 2 for e in (node, *node.args)):
                raise NoKroneckerForm
            done[id(node)] = rule(same, jacs)
        except NoKroneckerForm:
            done[id(node)] = column_stacked(node, x)
    result = done.get(id(f))
    if result is None:
        return _as_row(c.zeros((n_x,))) if not f.shape else c.zeros((numel(f.shape), n_x))
    return result


def _hadamard_form(node: Expr) -> Expr:
    """``diag(diag(M))`` as ``eye(n) * M``, whose vec form is ``diag(vec(I))`` (ch. 9.14)
    rather than the product of the two selections; any other node as it is."""
    if node.op == DIAG and node.args[0].op == DIAGPART:
        m = node.args[0].args[0]
        return c.mul(c.eye(m.shape[0]), m)
    return node


def column_stacked(node: Expr, x: Expr) -> Expr:
    """The array derivative ∂node/∂x with each group of axes column-stacked (vec)."""
    D = derivative(node, x)
    ctx = Ctx(())
    f_lab, x_lab = ctx.labels(node.shape), ctx.labels(x.shape)
    out: list[str] = []
    shape: list[Dim] = []
    for labels, dims in ((f_lab, node.shape), (x_lab, x.shape)):
        kept = [(lab, d) for lab, d in zip(labels, dims, strict=True) if lab is not None]
        for lab, d in reversed(kept):  # column-major: the first index varies fastest
            out.append(lab)
            shape.append(d)
    P = contract(tuple(out), tuple(shape), (D, f_lab + x_lab))
    n_x = numel(x.shape)
    if not node.shape:
        return _as_row(c.reshape(P, (n_x,)))
    return c.reshape(P, (numel(node.shape), n_x))


def _as_row(v: Expr) -> Expr:
    return c.transpose(v)


def _is_array(e: Expr) -> bool:
    return bool(e.shape)


def _scaled(F: Expr, J: Expr, operand: Expr, node: Expr) -> Expr:
    """The Jacobian of ``F ⊙ operand`` through ``operand``'s Jacobian ``J``."""
    if _is_array(operand):
        return c.matmul(c.diag(c.vec(F)), J) if _is_array(F) else c.mul(F, J)
    if _is_array(node):  # a scalar spread over an array: vec(F) times the row J
        return c.matmul(c.vec(F) if _is_array(F) else c.mul(F, c.ones((numel(node.shape),))),
                        J)
    return c.mul(F, J)


def _total(*terms: Jac) -> Jac:
    present = [t for t in terms if t is not None]
    return c.add(*present) if present else None


# ----------------------------------------------------------------------------------------
# sums and products


@defvec("add")
def vec_add(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(dA + dB) = vec(dA) + vec(dB); a scalar term is spread: ones ⊗ its row
    return _total(*(None if J is None else _scaled(c.const(1), J, a, node)
                    for a, J in zip(node.args, js, strict=True)))


@defvec("mul")
def vec_mul(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(dA ⊙ B) = diag(vec(B)) vec(dA)   (Magnus & Neudecker, ch. 9.14)
    args = node.args
    return _total(*(None if J is None else _scaled(c.mul(*args[:i], *args[i + 1:]), J,
                                                   args[i], node)
                    for i, J in enumerate(js)))


@defvec("fn")
def vec_fn(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(f'(U) ⊙ dU) = diag(vec(f'(U))) vec(dU)
    (J,) = js
    u = node.args[0]
    return None if J is None else _scaled(derivative_of(node.attrs[0], u), J, u, node)


@defvec("pow")
def vec_pow(node: Expr, js: Sequence[Jac]) -> Jac:
    (base, p), (J_base, J_p) = node.args, js
    terms: list[Jac] = []
    if J_base is not None:
        factor = c.mul(p, c.power(base, c.sub(p, c.const(1))))
        terms.append(_scaled(factor, J_base, base, node))
    if J_p is not None:
        raise NoKroneckerForm  # an exponent that depends on x: the array form says it
    return _total(*terms)


@defvec("matmul")
def vec_matmul(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(L dA R) = kron(R', L) vec(dA)   (Magnus & Neudecker, theorem 2.2)
    args = node.args
    return _total(*(None if J is None else _through_product(args[:i], args[i], args[i + 1:], J)
                    for i, J in enumerate(js)))


def _through_product(left: Sequence[Expr], a: Expr, right: Sequence[Expr], J: Expr) -> Expr:
    L = c.matmul(*left) if left else None
    R = c.matmul(*right) if right else None
    if a.ndim == 2 and not c.is_row(a.shape):
        if L is None and R is None:
            return J
        if (L is not None and L.ndim != 2) or (R is not None and c.is_row(R.shape)):
            raise NoKroneckerForm
        p, q = a.shape
        left_factor = L if L is not None else c.eye(p)
        right_factor = c.transpose(R) if R is not None else c.eye(q)
        return c.matmul(c.kron(right_factor, left_factor), J)
    if a.ndim == 1:  # L @ da: L times its Jacobian
        if R is not None:
            raise NoKroneckerForm  # an outer product da @ r'
        return J if L is None else c.matmul(L, J)
    # a row da' @ R: vec(da' R) = R' da
    if L is not None:
        raise NoKroneckerForm
    return J if R is None else c.matmul(c.transpose(R), J)


@defvec("transpose")
def vec_transpose(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(dX') = K_mn vec(dX)   (Magnus & Neudecker, ch. 3.7); a vector's is itself
    (J,) = js
    a = node.args[0]
    if J is None or a.ndim == 1 or c.is_row(a.shape):
        return J
    m, n = a.shape
    return c.matmul(c.commutation(m, n), J)


@defvec(KRON)
def vec_kron(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(A ⊗ B) = P (vec A ⊗ vec B), P = I_n ⊗ K_qm ⊗ I_p for A m×n, B p×q (Magnus &
    # Neudecker, theorem 3.10), so d vec(A ⊗ B) = P ((I_mn ⊗ vec B) d vec A +
    # (vec A ⊗ I_pq) d vec B); a vector ⊗ a matrix is the transpose of row ⊗ matrix
    a, b = node.args
    if c.is_row(a.shape) or c.is_row(b.shape):
        raise NoKroneckerForm
    J_a, J_b = js
    terms: list[Jac] = []
    if J_a is not None:
        terms.append(c.matmul(c.transpose(c.kron(c.eye(numel(a.shape)),
                                                 _as_row(c.vec(b)))), J_a))
    if J_b is not None:
        terms.append(c.matmul(c.transpose(c.kron(_as_row(c.vec(a)),
                                                 c.eye(numel(b.shape)))), J_b))
    total = _total(*terms)
    P = _kron_permutation(a.shape, b.shape)
    return total if P is None or total is None else c.matmul(P, total)


def _kron_permutation(a: Shape, b: Shape) -> Expr | None:
    """``I_n ⊗ K_qm ⊗ I_p`` for A m×n, B p×q; None where it is the identity (vectors)."""
    (m, n), (p, q) = (a if len(a) == 2 else (a[0], 1)), (b if len(b) == 2 else (b[0], 1))
    if m == 1 or q == 1:  # K_1q = K_m1 = I, and so is all of P
        return None
    P = c.commutation(q, m)
    if n != 1:
        P = c.kron(c.eye(n), P)
    if p != 1:
        P = c.kron(P, c.eye(p))
    return P


@defvec(VEC, UNVEC)
def vec_same(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(vec(dX)) = vec(dX); vec(unvec(dv)) = dv
    return js[0]


# ----------------------------------------------------------------------------------------
# matrix functions and reductions


def _row_of(g: Expr) -> Expr:
    """vec(g)' for a vector or matrix ``g``."""
    return _as_row(c.vec(g) if g.ndim == 2 else g)


@defvec(DIAGPART)
def vec_diagpart(node: Expr, js: Sequence[Jac]) -> Jac:
    # diag(dX) = (I ⊙ dX) 1, so vec(diag(dX)) = kron(1', I) diag(vec(I)) vec(dX)
    (J,) = js
    n = node.shape[0]
    select = c.matmul(c.kron(c.ones((1, n)), c.eye(n)), c.diag(c.vec(c.eye(n))))
    return None if J is None else c.matmul(select, J)


@defvec(DIAG)
def vec_diag(node: Expr, js: Sequence[Jac]) -> Jac:
    # diag(dv) = I ⊙ (dv 1'), so vec(diag(dv)) = diag(vec(I)) kron(1, I) dv
    (J,) = js
    n = node.shape[0]
    spread = c.matmul(c.diag(c.vec(c.eye(n))), c.kron(c.ones((n, 1)), c.eye(n)))
    return None if J is None else c.matmul(spread, J)


@defvec(INV)
def vec_inv(node: Expr, js: Sequence[Jac]) -> Jac:
    # vec(d inv(X)) = -kron(inv(X)', inv(X)) vec(dX)   (Magnus & Neudecker, table 9.1)
    (J,) = js
    return None if J is None else c.neg(c.matmul(c.kron(c.transpose(node), node), J))


@defvec(TR)
def vec_tr(node: Expr, js: Sequence[Jac]) -> Jac:
    # d tr(X) = vec(I)' vec(dX)
    (J,) = js
    return None if J is None else c.matmul(_row_of(c.eye(node.args[0].shape[0])), J)


@defvec(DET)
def vec_det(node: Expr, js: Sequence[Jac]) -> Jac:
    # d det(X) = det(X) vec(inv(X)')' vec(dX)   (MC 49)
    (J,) = js
    x = node.args[0]
    return None if J is None else c.mul(node, c.matmul(_row_of(c.transpose(c.inv(x))), J))


@defvec(LOGDET)
def vec_logdet(node: Expr, js: Sequence[Jac]) -> Jac:
    # d log|det X| = vec(inv(X)')' vec(dX)   (MC 57)
    (J,) = js
    return None if J is None else c.matmul(_row_of(c.transpose(c.inv(node.args[0]))), J)


@defvec("sum")
def vec_sum(node: Expr, js: Sequence[Jac]) -> Jac:
    # d sum(X) = 1' vec(dX)
    (J,) = js
    a = node.args[0]
    return None if J is None else c.matmul(_as_row(c.ones((numel(a.shape),))), J)


@defvec("norm")
def vec_norm(node: Expr, js: Sequence[Jac]) -> Jac:
    # d ||X|| = vec(X)' vec(dX) / ||X||   (MC 129)
    (J,) = js
    return None if J is None else c.div(c.matmul(_row_of(node.args[0]), J), node)


@defvec(SOFTMAX)
def vec_softmax(node: Expr, js: Sequence[Jac]) -> Jac:
    # d softmax(x) = (diag(s) - s s') dx
    (J,) = js
    jac = c.sub(c.diag(node), c.matmul(node, c.transpose(node)))
    return None if J is None else c.matmul(jac, J)


@defvec(LOGSUMEXP)
def vec_logsumexp(node: Expr, js: Sequence[Jac]) -> Jac:
    # d logsumexp(x) = softmax(x)' dx
    (J,) = js
    return None if J is None else c.matmul(_as_row(c.softmax(node.args[0])), J)


@defvec(ISMAX, "zeros", "ones", "eye", "const", "dim", "var", COMMUTATION)
def vec_constant(node: Expr, js: Sequence[Jac]) -> Jac:
    return None
