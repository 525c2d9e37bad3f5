"""The order in which a matrix chain is multiplied: one scheduler for every backend.

:class:`~matcalc.numeric.lowering.Lowering` turns a matrix product into
:class:`Factor` s; :func:`schedule_chain` decides how they are multiplied, as a
small tree of :class:`Step` s that :mod:`matcalc.numeric.executor` runs on
arrays and :mod:`matcalc.numeric.codegen` writes out as Python.  So evaluate,
to_numpy and generated code multiply in the same order:

* a vector followed by a matrix or vector is NumPy's 1-D left operand; a chain
  ending in a vector is multiplied right to left (``A.T @ (A @ x)``), one
  starting with a row left to right; a column followed by a row is an outer
  product;
* ``diag(v) @ M`` is ``v[:, None] * M``, ``M @ diag(v)`` is ``M * v`` and
  ``diag(v) @ x`` is ``v * x``;
* three matrices in the cheaper of ``(AB)C`` and ``A(BC)`` (:func:`left_first`;
  decided from the actual sizes, or by generated code from the symbolic sizes
  where they decide), four or more with ``np.linalg.multi_dot``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from matcalc.core.dims import Dim
from matcalc.core.expr import Expr


@dataclass
class Factor:
    """One factor of a matrix chain.

    ``kind`` is ``mat``; ``scalar`` (a reused inner product); ``scaling``
    (``node`` is the vector v of the diagonal matrix diag(v)); ``col`` (a
    vector); ``row`` (``node`` is the vector u of the row u.T) or ``row2`` (a
    row array of shape (1, n)).
    """

    kind: str
    node: Expr
    row_sums: bool = False  # a col factor M @ ones(n), written M.sum(axis=1)


def kind_of(e: Expr) -> str:
    if e.ndim == 0:  # a reused inner product inside a chain (x @ y.T @ z)
        return "scalar"
    if e.ndim == 1:
        return "col"
    if e.ndim == 2 and e.shape[0] == 1:
        return "row"
    return "mat"


@dataclass(frozen=True, slots=True)
class Step:
    """One operation of a chain's schedule; ``args`` are the steps it combines.

    ``kind`` is one of:

    * ``factor``: the value of ``factors[index]`` — a ``row2`` as a 1-D row, a
      ``row_sums`` factor as its row sums, a ``scaling`` as its vector; ``atom``
      asks generated code to parenthesise it unless it is a name or call;
    * ``matmul`` ``a @ b``; ``mul`` ``a * b`` (a scaling); ``product`` the
      product of all its arguments (scalars and at most one array, last);
    * ``outer`` ``np.outer(u, w)``; ``asrow`` a vector as a (1, n) row;
    * ``rowscale`` ``(d1 * ... * dk)[:, None] * M`` (``M`` last), ``diagonal``
      ``np.diag(d1 * ... * dk)`` (a chain of diagonal matrices only);
    * ``chain3`` ``(AB)C`` or ``A(BC)`` by :func:`left_first`, with ``dims`` the
      symbolic sizes ``(p0, p1, p2, p3)`` of A (p0×p1), B (p1×p2), C (p2×p3);
    * ``multidot`` ``np.linalg.multi_dot(args)``.
    """

    kind: str
    args: tuple[Step, ...] = ()
    index: int = -1
    atom: bool = False
    dims: tuple[Dim, ...] = ()


@dataclass
class ChainPlan:
    """A lowered matrix product: its factors and the schedule that multiplies them."""

    factors: list[Factor]
    schedule: Step


def left_first(p0: int, p1: int, p2: int, p3: int) -> bool:
    """Whether ``(AB)C`` costs no more than ``A(BC)`` for A p0×p1, B p1×p2, C p2×p3."""
    return p0 * p2 * (p1 + p3) <= p1 * p3 * (p0 + p2)


@dataclass
class _Item:
    kind: str  # mat, scaling, row, col (a row2 is a row here)
    step: Step
    node: Expr | None  # the factor's node; None for a partial product


def schedule_chain(node: Expr, factors: list[Factor]) -> Step:
    """How to multiply ``factors`` (the lowered operands of the matmul ``node``)."""
    scalars = [Step("factor", index=k) for k, f in enumerate(factors) if f.kind == "scalar"]
    items = [_Item("row" if f.kind == "row2" else f.kind, Step("factor", index=k), f.node)
             for k, f in enumerate(factors) if f.kind != "scalar"]
    heads: list[Step] = []  # inner products met along the way: scalars of what follows
    while True:  # a vector followed by a vector or a matrix: NumPy's 1-D left operand
        k = next((i for i in range(len(items) - 1)
                  if items[i].kind == "col" and items[i + 1].kind != "row"), None)
        if k is None:
            break
        step, kind = _product(items[:k + 1])
        if kind == "scalar":
            heads.append(step)
            items = items[k + 1:]
        else:
            items = [_Item("row", step, None), *items[k + 1:]]
    body, kind = _product(items)
    if kind == "vec" and kind_of(node) == "row":
        body = Step("asrow", (body,))
    for head in reversed(heads):
        body = Step("mul", (head, body))
    if scalars:
        body = Step("product", (*scalars, body))
    return body


def _product(items: list[_Item]) -> tuple[Step, str]:
    """A chain whose vectors are only at its ends or in outer products: (step, kind)."""
    segments: list[list[_Item]] = [[]]
    for k, item in enumerate(items):  # a column followed by a row: an outer product
        if k and item.kind == "row" and items[k - 1].kind == "col":
            segments.append([])
        segments[-1].append(item)
    parts = [_segment(seg) for seg in segments]
    if len(parts) == 1:
        return parts[0]
    ends = (parts[0], parts[-1])
    vectors = [s for s, kind in ends if kind == "vec"]
    scalars = [s for s, _ in parts[1:-1]] + [s for s, kind in ends if kind == "scalar"]
    if len(vectors) == 2:
        w = Step("product", (*scalars, vectors[1])) if scalars else vectors[1]
        return Step("outer", (vectors[0], w)), "mat"
    if vectors:
        return (Step("product", (*scalars, vectors[0])) if scalars else vectors[0]), "vec"
    return Step("product", tuple(scalars)), "scalar"


def _segment(seg: list[_Item]) -> tuple[Step, str]:
    """One part of a chain: (step, 'vec' | 'scalar' | 'mat')."""
    vectors = ("row", "col")
    left = seg[0] if seg[0].kind in vectors and len(seg) > 1 else None
    right = seg[-1] if seg[-1].kind == "col" and seg[-1] is not left else None
    if len(seg) == 1 and seg[0].kind in vectors:
        right = seg[0]
    middle = seg[(1 if left else 0):(len(seg) - 1 if right else len(seg))]
    if right is not None:  # right to left: matrix-vector products
        step = right.step
        for item in reversed(middle):
            step = Step("mul" if item.kind == "scaling" else "matmul", (item.step, step))
        if left is not None:
            return Step("matmul", (left.step, step)), "scalar"
        return step, "vec"
    if left is not None:  # left to right: vector-matrix products
        step = left.step
        for item in middle:
            step = Step("mul" if item.kind == "scaling" else "matmul", (step, item.step))
        return step, "vec"
    return _matrices(middle), "mat"


def _atom(step: Step) -> Step:
    return Step(step.kind, step.args, step.index, True, step.dims)


def _matrices(seg: list[_Item]) -> Step:
    """A chain of matrices and diagonal matrices (no vectors at its ends)."""
    mats: list[tuple[Step, Any]] = []  # step, the symbolic shape of the matrix
    pending: list[Step] = []  # diagonals waiting for the next matrix
    for k, item in enumerate(seg):
        if item.kind == "scaling":
            next_is_matrix = k + 1 < len(seg) and seg[k + 1].kind == "mat"
            if mats and not next_is_matrix and not pending:  # M @ diag(v) = M * v
                mats[-1] = (Step("mul", (mats[-1][0], item.step)), mats[-1][1])
            else:
                pending.append(_atom(item.step))
            continue
        step = _atom(item.step)
        if pending:  # diag(v) @ M = v[:, None] * M
            step = Step("rowscale", (*pending, step))
            pending = []
        mats.append((step, item.node.shape if item.node is not None else None))
    if pending:  # only diagonal matrices
        return Step("diagonal", tuple(pending))
    if len(mats) == 1:
        return mats[0][0]
    if len(mats) == 2:
        return Step("matmul", (mats[0][0], mats[1][0]))
    shapes = [shape for _, shape in mats]
    if len(mats) == 3 and all(s is not None and len(s) == 2 for s in shapes):
        dims = (shapes[0][0], shapes[0][1], shapes[1][1], shapes[2][1])
        return Step("chain3", tuple(s for s, _ in mats), dims=dims)
    return Step("multidot", tuple(s for s, _ in mats))


def step_ndim(step: Step, args: list[int], factors: list[Factor]) -> int:
    """The number of axes of a step's result (0 a scalar, 1 a vector, 2 a matrix), given
    those of its ``args`` (to fold along the schedule with :func:`fold_schedule`)."""
    kind = step.kind
    if kind == "factor":
        f = factors[step.index]
        return 1 if f.kind == "row2" or f.row_sums else f.node.ndim
    if kind == "matmul":
        return max(args[0] + args[1] - 2, 0)
    if kind in ("mul", "product"):  # a scaling, or scalars times at most one array
        return max(args)
    return 2  # outer, asrow, rowscale, diagonal, chain3, multidot: matrices


T = TypeVar("T")


def fold_schedule(plan: ChainPlan, step: Callable[[Step, list[T]], T]) -> T:
    """``step`` applied bottom-up along a chain's schedule: its value, or its code.

    An explicit stack, since chains may be long; the executor folds arrays and the
    code generator text, so both follow the same schedule.
    """
    done: dict[int, T] = {}
    stack: list[tuple[Step, bool]] = [(plan.schedule, False)]
    while stack:
        node, expanded = stack.pop()
        if not expanded:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args)
            continue
        done[id(node)] = step(node, [done[id(s)] for s in node.args])
    return done[id(plan.schedule)]
