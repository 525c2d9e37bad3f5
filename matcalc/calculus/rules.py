"""Derivative rules: one vector-Jacobian product (VJP) per operator.

Reverse mode carries, for each node ``v``, the adjoint ``G = ∂f/∂v`` of shape
``f.shape + v.shape``: its leading *batch* axes belong to ``f``, its trailing
axes to ``v``.  Each rule below maps the adjoint of a node to the adjoint of one
operand, written as a contraction in index notation; :func:`contract` turns
each back into matrix notation (so with a scalar ``f`` the rules read exactly
as the Matrix Cookbook's identities).

References: "MC (n)" is equation n of the Matrix Cookbook (Petersen & Pedersen,
2012); "Giles" is M. Giles, "An extended collection of matrix derivative
results for forward and reverse mode AD" (2008).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

from matcalc.algebra.contraction import Label, contract
from matcalc.core.dims import Shape
from matcalc.core.errors import DiffError
from matcalc.core.expr import Expr
from matcalc.ops import axes
from matcalc.ops import construct as c
from matcalc.ops.constants import PI
from matcalc.ops.functions import derivative_of


@dataclass
class Ctx:
    """The batch (the differentiated function's axes) and fresh index labels."""

    batch_shape: Shape
    _fresh: count[int] = field(default_factory=count)
    batch: tuple[Label, ...] = ()

    def __post_init__(self) -> None:
        self.batch = self.labels(self.batch_shape)

    def labels(self, shape: Shape) -> tuple[Label, ...]:
        """Fresh labels for the axes of ``shape``; a row's unit axis is ``None``."""
        if c.is_row(shape):
            return (None, f"a{next(self._fresh)}")
        return tuple(f"a{next(self._fresh)}" for _ in shape)

    def pull(self, arg: Expr, arg_labels: tuple[Label, ...],
             *operands: tuple[Expr, tuple[Label, ...]]) -> Expr:
        """``contract`` to the adjoint of ``arg``: batch axes, then ``arg_labels``."""
        return contract(self.batch + arg_labels, self.batch_shape + arg.shape, *operands)

    def elementwise(self, node: Expr, arg: Expr, G: Expr, factor: Expr) -> Expr:
        """Adjoint of ``arg`` through ``node = arg ⊙ factor`` (scalars broadcast)."""
        L = self.labels(node.shape)
        f_labels = L if factor.shape else ()
        if arg.shape:
            return self.pull(arg, L, (G, self.batch + L), (factor, f_labels))
        return self.pull(arg, (), (G, self.batch + L), (factor, f_labels))


Rule = Callable[[Expr, int, Expr, Ctx], Expr]
VJP: dict[str, Rule] = {}


RULE_NAMES: dict[str, str] = {}  # the rule's name in derivations, where it has one


def defvjp(*ops: str, name: str = "") -> Callable[[Rule], Rule]:
    """Register ``rule`` for the node kinds ``ops``; ``name`` is what derivations call it."""
    def register(rule: Rule) -> Rule:
        for op in ops:
            VJP[op] = rule
            if name:
                RULE_NAMES[op] = name
        return rule
    return register


def vjp(node: Expr, argnum: int, G: Expr, ctx: Ctx) -> Expr:
    rule = VJP.get(node.op)
    if rule is None:
        raise DiffError(f"no derivative rule for {node.op}")
    return rule(node, argnum, G, ctx)


# ----------------------------------------------------------------------------------------
# sums and products


@defvjp("add", name="sum rule")
def grad_add(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d(a + b) = da + db; a scalar term broadcast over an array sums the adjoint
    return ctx.elementwise(node, node.args[i], G, c.const(1))


@defvjp("mul")
def grad_mul(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # product rule: d(a ⊙ b) = da ⊙ b + a ⊙ db   (MC 37, elementwise)
    others = node.args[:i] + node.args[i + 1:]
    return ctx.elementwise(node, node.args[i], G, c.mul(*others))


@defvjp("pow")
def grad_pow(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    base, p = node.args
    if i == 0:  # d(x^p) = p x^(p-1) dx
        factor = c.mul(p, c.power(base, c.sub(p, c.const(1))))
    else:  # d(b^p) = log(b) b^p dp, for b > 0
        factor = _exponent_factor(node)
    return ctx.elementwise(node, node.args[i], G, factor)


def _exponent_factor(node: Expr) -> Expr:
    """``log(b) b^p``, the derivative of ``b^p`` by ``p``, read for a constant base.

    A zero base gives 0 (``0^p`` is constant for ``p > 0``; ``log(0) * 0^p``
    would be NaN); a negative constant base has no real power to differentiate.
    """
    base, p = node.args
    value = base.attrs[0] if base.op == "const" else (0 if base.op == "zeros" else None)
    if isinstance(value, int | float) or (value is not None and hasattr(value, "denominator")):
        if value == 0:
            return c.zeros(base.shape)
        if value < 0:
            raise DiffError(f"{node} is not a real function of its exponent (a negative "
                            f"base); differentiate |b|^p with a sign, or a positive base")
    return c.mul(c.fn("log", base), node)


@defvjp("fn")
def grad_fn(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # chain rule through an elementwise function: d f(u) = f'(u) ⊙ du
    return ctx.elementwise(node, node.args[0], G, derivative_of(node.attrs[0], node.args[0]))


@defvjp("broadcast", name="broadcast rule: a vector added to every row gets the sum of "
         "the rows")
def grad_broadcast(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # (1 b')_ij = b_j: the adjoint of b sums the adjoint over the rows, G' 1
    # (NumPy's broadcasting rule, as in Giles' treatment of broadcast sums)
    row, col = ctx.labels(node.shape)
    return ctx.pull(node.args[0], (col,), (G, ctx.batch + (row, col)))


# ----------------------------------------------------------------------------------------
# along one axis: axis 0 runs over the rows (index i), axis 1 over the columns (j)


@dataclass(frozen=True)
class _Along:
    """An operator along one axis of a matrix ``X_ij``: the labels of X's entry, the
    axis it runs along, and the label its result keeps (``j`` along axis 0)."""

    entry: tuple[str, str]
    axis: int

    @property
    def kept(self) -> str:
        return self.entry[1 - self.axis]

    @property
    def summed(self) -> str:
        return self.entry[self.axis]


def _along(node: Expr, ctx: Ctx) -> _Along:
    return _Along((f"a{next(ctx._fresh)}", f"a{next(ctx._fresh)}"),
                  0 if node.op.endswith("0") else 1)


def _spread(x: Expr, adjoint: Expr, a: _Along, ctx: Ctx, weight: Expr,
            entry: tuple[str, str] | None = None) -> Expr:
    """The shape every rule along an axis has: d r_k = sum along the axis of W ⊙ dX, so
    the adjoint (over the kept label) is repeated along the axis and weighted by W."""
    entry = entry or a.entry
    return ctx.pull(x, entry, (adjoint, ctx.batch + (a.kept,)), (weight, entry))


@defvjp(*axes.SUM_AXIS, name="sum along an axis: d sum(X, axis=k) = sum(dX, axis=k)")
def grad_sum_axis(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # each entry of the result sums one column (row): W is all ones, a vector of them
    x = node.args[0]
    a = _along(node, ctx)
    return ctx.pull(x, a.entry, (G, ctx.batch + (a.kept,)),
                    (c.ones((x.shape[a.axis],)), (a.summed,)))


@defvjp("max", name="max rule: d max(X) = dX_k at the (unique) largest entry")
def grad_max(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # the largest entry moves with itself where it is unique: gradient ismax(X)
    x = node.args[0]
    return _whole(node, G, ctx, x, c.ismax(x))


@defvjp(*axes.MAX_AXIS,
        name="max along an axis: d max(X, axis=k) = dX at each column's (row's) largest entry")
def grad_max_axis(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    x = node.args[0]
    a = _along(node, ctx)
    return _spread(x, G, a, ctx, axes.ismax_axis(x, a.axis))


@defvjp(*axes.LOGSUMEXP_AXIS,
        name="log-sum-exp along an axis: d logsumexp(Z, axis=1) = rowwise softmax(Z) * dZ")
def grad_logsumexp_axis(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    x = node.args[0]
    a = _along(node, ctx)
    return _spread(x, G, a, ctx, axes.softmax(x, a.axis))


@defvjp(*axes.SOFTMAX_AXIS,
        name="softmax along an axis: d softmax(z) = (diag(s) - s s') dz for each row (column)")
def grad_softmax_axis(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # for each row (column) s of S: the vector softmax rule, G ⊙ S - S ⊙ (the row sums
    # of G ⊙ S repeated along the row)
    x = node.args[0]
    a = _along(node, ctx)
    direct = ctx.pull(x, a.entry, (G, ctx.batch + a.entry), (node, a.entry))
    weights = contract(ctx.batch + (a.kept,), ctx.batch_shape + (x.shape[1 - a.axis],),
                       (G, ctx.batch + a.entry), (node, a.entry))
    other = list(a.entry)
    other[a.axis] = f"a{next(ctx._fresh)}"
    return c.sub(direct, _spread(x, weights, a, ctx, node, (other[0], other[1])))


# ----------------------------------------------------------------------------------------
# matrix products and transposes


def chain_labels(factors: tuple[Expr, ...], ctx: Ctx
                 ) -> tuple[list[tuple[Label, ...]], tuple[Label, ...]]:
    """Index labels of each factor of ``F1 @ F2 @ ...`` and of the product."""
    labels: list[tuple[Label, ...]] = []
    acc_shape = factors[0].shape
    first = ctx.labels(acc_shape)
    labels.append(first)
    acc: tuple[Label, ...] = first
    for f in factors[1:]:
        fl = ctx.labels(f.shape)
        if len(acc_shape) == 1 and c.is_row(f.shape) and acc_shape[0] != 1:
            acc = (acc[0], fl[1])  # column times row: outer product
        else:
            fl = (acc[-1],) + fl[1:]
            acc = acc[:-1] + fl[1:]
            if len(acc) == 1 and acc[0] is None:
                acc = ()  # row times column: a scalar
        labels.append(fl)
        acc_shape = c.matmul_shape(acc_shape, f.shape, f, f)
    return labels, acc


@defvjp("matmul", name="matrix product rule: d(AB) = dA B + A dB (Matrix Cookbook eq. 37)")
def grad_matmul(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d(A B) = dA B + A dB: the adjoints are G B' and A' G   (MC 37; Giles 3.2)
    labels, out = chain_labels(node.args, ctx)
    operands = [(G, ctx.batch + out)]
    operands += [(f, lab) for k, (f, lab) in enumerate(zip(node.args, labels, strict=True))
                 if k != i]
    return ctx.pull(node.args[i], labels[i], *operands)


@defvjp("transpose", name="transpose rule: d(X') = (dX)'")
def grad_transpose(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d(X') = (dX')
    a = node.args[0]
    la = ctx.labels(a.shape)
    if a.ndim == 1:
        ln: tuple[Label, ...] = (None, la[0])
    elif c.is_row(a.shape):
        ln = (la[1],)
    else:
        ln = (la[1], la[0])
    return ctx.pull(a, la, (G, ctx.batch + ln))


@defvjp("einsum", name="contraction rule (linear in each operand)")
def grad_einsum(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # a contraction is linear in each operand: contract the adjoint with the others
    terms, out = node.attrs[0].split("->")
    term_list = terms.split(",")
    names: dict[str, str] = {}

    def lab(ch: str) -> str:
        if ch not in names:
            names[ch] = f"e{next(ctx._fresh)}"
        return names[ch]

    operands = [(G, ctx.batch + tuple(lab(ch) for ch in out))]
    for k, (t, e) in enumerate(zip(term_list, node.args, strict=True)):
        if k != i:
            operands.append((e, tuple(lab(ch) for ch in t)))
    target: list[str] = []
    for ch in term_list[i]:  # a repeated index (diagonal) needs a Kronecker delta
        name = lab(ch)
        if name in target:
            extra = f"e{next(ctx._fresh)}"
            d = node.args[i].shape[len(target)]
            operands.append((c.eye(d), (name, extra)))
            name = extra
        target.append(name)
    return ctx.pull(node.args[i], tuple(target), *operands)


# ----------------------------------------------------------------------------------------
# reductions and matrix functions


def _whole(node: Expr, G: Expr, ctx: Ctx, arg: Expr, dfdx: Expr) -> Expr:
    """Adjoint of ``arg`` for a scalar-valued node with gradient ``dfdx`` (arg's shape)."""
    L = ctx.labels(arg.shape)
    return ctx.pull(arg, L, (G, ctx.batch), (dfdx, L))


@defvjp("sum", name="sum of entries: d sum(X) = sum(dX)")
def grad_sum(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d sum(X) = sum(dX): gradient ones
    return _whole(node, G, ctx, node.args[0], c.ones(node.args[0].shape))


@defvjp("mean", name="mean rule: d mean(X) = sum(dX) / size(X)")
def grad_mean(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d mean(X) = sum(dX) / N for X with N entries: gradient ones / N
    x = node.args[0]
    return _whole(node, G, ctx, x, c.div(c.ones(x.shape), _entries(x.shape)))


def _entries(shape: Shape) -> Expr:
    """The number of entries of ``shape``, as a product of its sizes (``m * n``)."""
    return c.mul(*(c.dim(d) for d in shape))


@defvjp("norm", name="norm rule: d||x|| = x' dx / ||x|| (Matrix Cookbook eq. 129)")
def grad_norm(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d ||x|| = x' dx / ||x||   (MC 129; Frobenius: d||X||_F = tr(X' dX)/||X||_F, MC 125)
    x = node.args[0]
    return _whole(node, G, ctx, x, c.div(x, node))


@defvjp("norm1", name="1-norm rule: d||x||_1 = sign(x)' dx")
def grad_norm1(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d ||x||_1 = sign(x)' dx where no entry is zero
    x = node.args[0]
    return _whole(node, G, ctx, x, c.fn("sign", x))


@defvjp("norminf", name="max-norm rule: d||x||_inf = sign(x_k) dx_k at the largest |x_k|")
def grad_norminf(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d max|x_i| = sign(x_k) dx_k at the (unique) largest |x_k|
    x = node.args[0]
    return _whole(node, G, ctx, x, c.mul(c.fn("sign", x), c.ismax(c.fn("abs", x))))


@defvjp("tr", name="trace rule: d tr(X) = tr(dX) (Matrix Cookbook eq. 100)")
def grad_tr(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d tr(X) = tr(dX): gradient I   (MC 100)
    x = node.args[0]
    return _whole(node, G, ctx, x, c.eye(x.shape[0]))


@defvjp("det", name="determinant rule: d det(X) = det(X) tr(inv(X) dX) (Matrix Cookbook eq. 49)")
def grad_det(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d det(X) = det(X) tr(inv(X) dX): gradient det(X) inv(X)'   (MC 49)
    x = node.args[0]
    return _whole(node, G, ctx, x, c.mul(node, c.transpose(c.inv(x))))


@defvjp("logdet",
         name="log-determinant rule: d log|det(X)| = tr(inv(X) dX) (Matrix Cookbook eq. 57)")
def grad_logdet(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d log|det X| = tr(inv(X) dX): gradient inv(X)'   (MC 57)
    x = node.args[0]
    return _whole(node, G, ctx, x, c.transpose(c.inv(x)))


@defvjp("logsumexp", name="log-sum-exp rule: d logsumexp(x) = softmax(x)' dx")
def grad_logsumexp(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d logsumexp(x) = softmax(x)' dx
    x = node.args[0]
    return _whole(node, G, ctx, x, c.softmax(x))


@defvjp("inv", name="inverse rule: d inv(X) = -inv(X) dX inv(X) (Matrix Cookbook eq. 59)")
def grad_inv(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d inv(X) = -inv(X) dX inv(X): adjoint -inv(X)' G inv(X)'   (MC 59; Giles 3.1)
    x = node.args[0]
    a, b, k, l_ = (f"a{next(ctx._fresh)}" for _ in range(4))
    return c.neg(ctx.pull(x, (k, l_), (G, ctx.batch + (a, b)), (node, (a, k)), (node, (l_, b))))


@defvjp("diag", name="diag rule: d diag(v) = diag(dv)")
def grad_diag(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # diag(v)_ij = δ_ij v_i: the adjoint of v is the diagonal of G
    j = f"a{next(ctx._fresh)}"
    return ctx.pull(node.args[0], (j,), (G, ctx.batch + (j, j)))


@defvjp("diagpart", name="diagonal rule: d diag(X) = diag(dX)")
def grad_diagpart(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # diag(X)_i = X_ii: the adjoint of X is diag(G)
    x = node.args[0]
    j, k = f"a{next(ctx._fresh)}", f"a{next(ctx._fresh)}"
    return ctx.pull(x, (j, k), (G, ctx.batch + (j,)), (c.eye(x.shape[0]), (j, k)))


@defvjp("softmax", name="softmax rule: d softmax(x) = (diag(s) - s s') dx")
def grad_softmax(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # d softmax(x) = (diag(s) - s s') dx with s = softmax(x)
    x = node.args[0]
    j, k = f"a{next(ctx._fresh)}", f"a{next(ctx._fresh)}"
    direct = ctx.pull(x, (j,), (G, ctx.batch + (j,)), (node, (j,)))
    cross = ctx.pull(x, (k,), (G, ctx.batch + (j,)), (node, (j,)), (node, (k,)))
    return c.sub(direct, cross)


@defvjp("ismax", *axes.ISMAX_AXIS, "zeros", "ones", "eye", "const", "dim", PI,
        "commutation", name="piecewise constant")
def grad_zero(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # piecewise constant: derivative zero where it is defined
    return c.zeros(ctx.batch_shape + node.args[i].shape)


def _swap_last_two(G: Expr, shape: Shape, ctx: Ctx) -> Expr:
    """G with its last two axes exchanged (batch axes first)."""
    i, j = f"a{next(ctx._fresh)}", f"a{next(ctx._fresh)}"
    batch = ctx.batch
    return contract(batch + (j, i), ctx.batch_shape + (shape[1], shape[0]), (G, batch + (i, j)))


@defvjp("reshape", name="reshape rule")
def grad_reshape(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # reshaping is a permutation-free rearrangement: reshape the adjoint back
    # (row-major order, so leading batch axes are untouched)
    return c.reshape(G, ctx.batch_shape + node.args[0].shape)


@defvjp("vec", name="vec rule: d vec(X) = vec(dX)")
def grad_vec(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # vec(X) = reshape(X.T, m*n): its adjoint is reshape(G, n, m).T
    m, n = node.args[0].shape
    if not ctx.batch_shape:
        return c.unvec(G, m, n)
    return _swap_last_two(c.reshape(G, ctx.batch_shape + (n, m)), (n, m), ctx)


@defvjp("unvec", name="unvec rule")
def grad_unvec(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # the adjoint of unvec is vec
    if not ctx.batch_shape:
        return c.vec(G)
    m, n = node.shape
    return c.reshape(_swap_last_two(G, (m, n), ctx), ctx.batch_shape + node.args[0].shape)


@defvjp("kron", name="Kronecker product rule: d(A ⊗ B) = dA ⊗ B + A ⊗ dB")
def grad_kron(node: Expr, i: int, G: Expr, ctx: Ctx) -> Expr:
    # kron(A, B)[(i,k),(j,l)] = A_ij B_kl (MC 506): reshape the adjoint to (m, p, n, q)
    # and contract it with the other factor
    A, B = node.args
    if A.ndim == 1:
        (m,), (p,) = A.shape, B.shape
        G4 = c.reshape(G, ctx.batch_shape + (m, p))
        a, k = f"a{next(ctx._fresh)}", f"a{next(ctx._fresh)}"
        if i == 0:
            return ctx.pull(A, (a,), (G4, ctx.batch + (a, k)), (B, (k,)))
        return ctx.pull(B, (k,), (G4, ctx.batch + (a, k)), (A, (a,)))
    (m, n), (p, q) = A.shape, B.shape
    G4 = c.reshape(G, ctx.batch_shape + (m, p, n, q))
    a, k, j, l_ = (f"a{next(ctx._fresh)}" for _ in range(4))
    if i == 0:
        return ctx.pull(A, (a, j), (G4, ctx.batch + (a, k, j, l_)), (B, (k, l_)))
    return ctx.pull(B, (k, l_), (G4, ctx.batch + (a, k, j, l_)), (A, (a, j)))
