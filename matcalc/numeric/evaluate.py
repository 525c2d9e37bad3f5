"""Numbers: ``evaluate`` and ``to_numpy`` (SPEC section 4).

Dimensions are read off the arrays given for the variables and checked against
the declared shapes (:mod:`matcalc.numeric.binding`); the graph is evaluated
bottom-up, each distinct node once, along the plan of
:mod:`matcalc.numeric.lowering`: matrix chains in the order of their schedule
(the one generated code follows), ``diag(v)`` in products as a scaling,
identities never built, einsums along a contraction path found once per shape
(:mod:`matcalc.numeric.executor`); ``log(sigmoid(z))`` and its family in the
softplus forms of :mod:`matcalc.numeric.stable`, as in generated code.  Nodes
without a recipe use the op-by-op rules of :mod:`matcalc.numeric.reference`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from matcalc.core.errors import EvaluationError, MatcalcError, ShapeError
from matcalc.core.expr import Expr
from matcalc.numeric.binding import bind, concrete
from matcalc.numeric.executor import run_recipe
from matcalc.numeric.lowering import Lowering
from matcalc.numeric.reference import apply_op, leaf_value, out_of_memory
from matcalc.numeric.stable import stable

__all__ = ["evaluate", "to_numpy"]

Array = Any


def evaluate(expr: Expr, values: Mapping[str, Any]) -> Array:
    """The value of ``expr`` as a NumPy array (or NumPy scalar) of its concrete shape."""
    if not isinstance(values, Mapping):
        raise ShapeError("values must be a dict from variable name to array")
    return _compile(expr)(values)  # not through **values: keys need not be names


def to_numpy(expr: Expr) -> Callable[..., Array]:
    """A function of the variables (keyword arguments) computing ``expr`` with NumPy."""
    compute = _compile(expr)

    def run(**values: Any) -> Array:
        return compute(values)

    run.__doc__ = f"NumPy value of {expr}"
    return run


def _compile(expr: Expr) -> Callable[[Mapping[str, Any]], Array]:
    if not isinstance(expr, Expr):
        raise MatcalcError(f"evaluate and to_numpy need an expression, not "
                           f"{type(expr).__name__}; parse the text first (matcalc.parse)")
    # the log-sigmoid family in softplus form, as generated code computes it:
    # log(sigmoid(-1000)) is -1000, not -inf (equal values, the same variables)
    stable_expr = stable(expr)
    low = Lowering([stable_expr])
    order = low.order([stable_expr])
    index = {id(n): i for i, n in enumerate(order)}
    plan = [(n, [index[id(a)] for a in low.lower(n)], low.recipe.get(id(n))) for n in order]

    def compute(values: Mapping[str, Any]) -> Array:
        arrays, sizes = bind(expr, values)
        try:
            return _run(arrays, sizes)
        except MemoryError:
            raise EvaluationError(out_of_memory(sizes)) from None

    def _run(arrays: dict[str, Array], sizes: dict[str, int]) -> Array:
        results: list[Array] = []
        with np.errstate(all="ignore"):
            for node, arg_ids, recipe in plan:
                if not arg_ids and recipe is None:
                    results.append(leaf_value(node, arrays, sizes))
                    continue
                args = [results[i] for i in arg_ids]
                try:
                    if recipe is None:
                        results.append(apply_op(node, args, sizes))
                    else:
                        results.append(run_recipe(node, recipe, args, sizes))
                except np.linalg.LinAlgError as e:  # inv of a singular matrix
                    raise EvaluationError(f"cannot evaluate {node}: {e}") from None
        out = results[-1]
        want = concrete(expr.shape, sizes)
        out = np.asarray(out, dtype=float)
        if out.shape != want:
            out = np.broadcast_to(out, want).copy()
        return out[()] if out.ndim == 0 else out

    return compute
