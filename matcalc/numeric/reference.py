"""The op-by-op reference evaluator: every node's value from its operands' values.

No lowering, no reordering: each node of the expression is computed from the
values of its own operands by the operator's NumPy rule (its record's ``numpy``)
or, for the few operators whose value depends on their operands' symbolic
shapes, by the rules below.  It is what :func:`evaluate`'s
optimised plan is checked against, and what :mod:`matcalc.check.verify` reads
inner values (branches, conditioning) from.

    plan = ReferencePlan(expr)
    values_of_nodes = plan.run({"A": A, "x": x})   # aligned with plan.nodes
    node_values(expr, {"A": A, "x": x})[-1]        # the value of expr
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from matcalc.core.dims import Shape
from matcalc.core.errors import EvaluationError
from matcalc.core.expr import Expr, postorder
from matcalc.numeric.binding import bind, concrete, number_value
from matcalc.ops.record import function as lookup
from matcalc.ops.record import op as op_record

__all__ = ["ReferencePlan", "apply_op", "bind", "leaf_value", "node_values"]

Array = Any


# Rows and columns are told apart by the symbolic shapes, not the arrays: a row is
# (1, n) with a literal 1, while an (m, n) matrix may well have m == 1 at run time.


def _is_row(shape: Shape) -> bool:
    return len(shape) == 2 and shape[0] == 1


def _matmul2(a: Array, b: Array, sa: Shape, sb: Shape) -> tuple[Array, Shape]:
    """``a @ b`` and its symbolic shape, given the operands' symbolic shapes."""
    if len(sa) == 1 and _is_row(sb) and sa[0] != 1:  # column times row: outer product
        return np.multiply.outer(a, b[0]), (sa[0], sb[1])
    if _is_row(sa) and len(sb) == 1:  # row times column: a scalar
        return (a @ b)[0], ()
    return a @ b, sa[:-1] + sb[1:]


def _matmul(shapes: list[Shape], xs: list[Array]) -> Array:
    out, shape = xs[0], shapes[0]
    for x, s in zip(xs[1:], shapes[1:], strict=True):
        out, shape = _matmul2(out, x, shape, s)
    return out


def _transpose(shape: Shape, a: Array) -> Array:
    if len(shape) == 1:
        return a.reshape(1, -1)
    if _is_row(shape):
        return a.reshape(-1)
    return a.T


def _fn(name: str) -> Callable[[Array], Array]:
    entry = lookup(name)
    assert entry is not None
    return entry.numpy


def leaf_value(node: Expr, arrays: Mapping[str, Array], sizes: dict[str, int]) -> Array:
    """The value of a node without operands, given :func:`bind`'s arrays and sizes."""
    op = node.op
    if op == "const":
        return np.float64(number_value(node.attrs[0]))
    if op == "var":
        return arrays[node.attrs[0]]
    if op == "dim":
        return np.float64(sizes[node.attrs[0]])
    if op == "zeros":
        return np.zeros(concrete(node.shape, sizes))
    if op == "ones":
        return np.ones(concrete(node.shape, sizes))
    if op == "eye":
        return np.eye(concrete(node.shape, sizes)[0])
    record = op_record(op)
    if record.leaf and record.numpy is not None:  # a leaf of dimensions (commutation)
        return record.numpy(*concrete(node.attrs, sizes))
    raise TypeError(f"no leaf rule for {op}")


def apply_op(node: Expr, args: list[Array], sizes: dict[str, int]) -> Array:
    """The value of ``node`` from the values of its operands ``node.args``."""
    op = node.op
    if op == "fn":
        with np.errstate(all="ignore"):
            return _fn(node.attrs[0])(args[0])
    if op == "einsum":
        return np.einsum(node.attrs[0], *args, optimize=len(args) > 2)
    if op == "matmul":
        return _matmul([a.shape for a in node.args], args)
    if op == "transpose":
        return _transpose(node.args[0].shape, args[0])
    record = op_record(op)
    if record.numpy is None:
        raise TypeError(f"no NumPy rule for {op}")
    if record.shaped:  # unvec, reshape: the result's shape is not the operands'
        return record.numpy(*args, shape=concrete(node.shape, sizes))
    return record.numpy(*args)


class ReferencePlan:
    """Every distinct node of ``expr`` (:attr:`nodes`, operands first), evaluated op by op."""

    def __init__(self, expr: Expr):
        self.expr = expr
        self.nodes: list[Expr] = list(postorder(expr))
        index = {id(n): i for i, n in enumerate(self.nodes)}
        self._steps = [(n, [index[id(a)] for a in n.args]) for n in self.nodes]

    def run(self, values: Mapping[str, Any]) -> list[Array]:
        """The value of each of :attr:`nodes`, in that order; the last is ``expr``'s.

        Raises :class:`~matcalc.core.errors.ShapeError` for values that do not fit
        the declared shapes (see :func:`bind`); floating-point warnings are silenced
        (a singular ``inv`` still raises ``numpy.linalg.LinAlgError``).
        """
        arrays, sizes = bind(self.expr, values)
        results: list[Array] = []
        with np.errstate(all="ignore"):
            try:
                for node, arg_ids in self._steps:
                    if arg_ids:
                        results.append(apply_op(node, [results[i] for i in arg_ids], sizes))
                    else:
                        results.append(leaf_value(node, arrays, sizes))
            except MemoryError:
                raise EvaluationError(out_of_memory(sizes)) from None
        return results


def out_of_memory(sizes: dict[str, int]) -> str:
    """The message for an evaluation that ran out of memory."""
    given = ", ".join(f"{k} = {v}" for k, v in sizes.items())
    return (f"not enough memory to evaluate with these sizes ({given}); use smaller "
            "sizes, or a form of the expression with smaller intermediate arrays")


def node_values(expr: Expr, values: Mapping[str, Any]) -> list[tuple[Expr, Array]]:
    """Each distinct node of ``expr`` with its value, operands first; the last is ``expr``."""
    plan = ReferencePlan(expr)
    return list(zip(plan.nodes, plan.run(values), strict=True))
