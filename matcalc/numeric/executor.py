"""The executor of lowered nodes: chains along their schedule, einsums along their plan.

:func:`run_recipe` computes a node that :class:`~matcalc.numeric.lowering.Lowering`
gave a recipe, from the values of its lowered operands.  Matrix chains follow
the :class:`~matcalc.numeric.schedule.Step` tree that generated code writes out
too (:mod:`matcalc.numeric.codegen.render`), so both multiply in one order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcalc.core.expr import Expr
from matcalc.numeric.binding import concrete
from matcalc.numeric.lowering import ChainPlan, EinsumPlan
from matcalc.numeric.paths import einsum
from matcalc.numeric.schedule import Factor, Step, fold_schedule, left_first

Array = Any


def run_recipe(node: Expr, recipe: Any, args: list[Array], sizes: dict[str, int]) -> Array:
    """The value of ``node`` computed by its lowering ``recipe`` from ``args``."""
    if recipe == "alias":  # computed as an equal expression
        return args[0]
    if recipe == "trace_of_product":
        return np.einsum("ij,ji->", args[0], args[1])
    if recipe == "squared_norm":
        r = args[0].reshape(-1)
        return r @ r
    if isinstance(recipe, EinsumPlan):
        return run_einsum(node, recipe, args, sizes)
    assert isinstance(recipe, ChainPlan)
    out = run_chain(recipe, args)
    if node.ndim == 2 and np.ndim(out) == 1:  # a row (1, n); the schedule says so already
        out = out.reshape(1, -1)
    return out


def _factor(f: Factor, x: Array) -> Array:
    if f.kind == "row2":
        return x.reshape(-1)
    if f.row_sums:
        return x.sum(axis=1)
    return x


def run_chain(plan: ChainPlan, xs: list[Array]) -> Array:
    """A matrix chain's value along its schedule."""
    return fold_schedule(plan, lambda step, a: _step(step, a, plan.factors, xs))


def _step(step: Step, a: list[Array], factors: list[Factor], xs: list[Array]) -> Array:
    kind = step.kind
    if kind == "factor":
        return _factor(factors[step.index], xs[step.index])
    if kind == "matmul":
        return a[0] @ a[1]
    if kind in ("mul", "product"):
        out = a[0]
        for x in a[1:]:
            out = out * x
        return out
    if kind == "outer":
        return np.multiply.outer(a[0], a[1])
    if kind == "asrow":
        return a[0].reshape(1, -1)
    if kind in ("rowscale", "diagonal"):
        d = a[0]
        for x in a[1:-1] if kind == "rowscale" else a[1:]:
            d = d * x
        return d[:, None] * a[-1] if kind == "rowscale" else np.diag(d)
    if kind == "chain3":
        p, q, r = a
        if left_first(p.shape[0], p.shape[1], q.shape[1], r.shape[1]):
            return p @ q @ r
        return p @ (q @ r)
    if kind == "multidot":
        return np.linalg.multi_dot(a)  # the cheapest order for these sizes
    raise TypeError(f"no rule for the chain step {kind}")


def run_einsum(node: Expr, plan: EinsumPlan, args: list[Array], sizes: dict[str, int]) -> Array:
    """A lowered einsum: fused operands, deltas as sizes or a diagonal view's write."""
    terms, full, reduced = plan.specs()
    scale = 1
    for d in plan.scalars:
        scale *= concrete((d,), sizes)[0]
    present = set(terms) - {","}
    kept = "".join(ch for ch in reduced if ch in present)
    value: Array = einsum(f"{terms}->{kept}", *args) if args else np.float64(1.0)
    if scale != 1:
        value = scale * value
    if not plan.alias:
        return value
    if args and kept != reduced:  # broadcast over the output axes no operand has
        value = value[tuple(slice(None) if ch in present else None for ch in reduced)]
    out = np.zeros(concrete(node.shape, sizes))
    np.einsum(f"{full}->{reduced}", out)[...] = value  # a writable diagonal view
    return out
