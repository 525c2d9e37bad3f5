"""``codegen``: a standalone NumPy module for a value and its derivatives (SPEC section 4).

The value, each derivative and each Hessian are one hash-consed DAG, so a
subexpression they share is one node and becomes one assignment in the
generated function.  Before code is written the DAG is *lowered* for speed
(:mod:`matcalc.numeric.lowering`), and the plan is written the way a person
writes closed forms by hand:

* matrix products are chains in the order of :mod:`matcalc.numeric.schedule`
  (the evaluator's too): a chain ending in a vector is evaluated right to left
  (``A.T @ (A @ x)``), one starting with a row left to right, three matrices
  in the cheaper order for the actual sizes (decided at run time when the
  symbolic sizes cannot decide), four or more with ``np.linalg.multi_dot``;
  a contiguous part of a chain that the DAG computes anyway is reused;
* ``diag(v) @ M`` is ``v[:, None] * M``, ``M @ diag(v)`` is ``M * v``,
  ``diag(v) @ x`` is ``v * x``; identities in products vanish;
* an ``einsum`` node absorbs nested einsums used only by it (so no order-3 or
  order-4 intermediate is built for a smaller result), its Kronecker deltas
  become renamed indices or a write into a diagonal view of a zero tensor (an
  identity is never built), and it runs along a contraction path computed once
  per shape;
* ``tr(P @ Q)`` is ``einsum("ij,ji->", P, Q)`` and ``norm(r)^2`` is ``r @ r``.

Each node is one named temporary; nodes used once that read well inline
(``A @ x - y``) are written into their user's line instead.  Nothing here
evaluates anything: the output is text, and the generated module uses NumPy
only.

The package: :mod:`.module` writes the module (inputs, names, text),
:mod:`.render` one node's code, :mod:`.syntax` precedence and parentheses,
:mod:`.helpers` the helper functions' text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matcalc.core.errors import DiffError, MatcalcError
from matcalc.core.expr import Expr
from matcalc.lang.parser import normal_name
from matcalc.numeric.codegen.module import Module

__all__ = ["codegen"]


def codegen(f: Expr, wrt: Iterable[Any] = (), order: int = 1) -> str:
    """The source of a NumPy module computing ``f`` and its derivatives (SPEC section 4).

    The module defines ``value_and_derivatives(**values)``, which returns the value,
    then ``diff(f, w)`` for each ``w`` in ``wrt``, and with ``order=2`` then
    ``hessian(f, w)`` for each ``w``.
    """
    from matcalc.calculus.differentiate import diff, hessian

    if not isinstance(f, Expr):
        raise MatcalcError("codegen needs an expression; parse the text first (matcalc.parse)")
    if isinstance(wrt, str | Expr):
        wrt = [wrt]
    names = [w.name if isinstance(w, Expr) and w.op == "var" else w for w in wrt]
    names = [normal_name(w) if isinstance(w, str) else w for w in names]  # as parse reads them
    if order not in (1, 2):
        raise DiffError(f"codegen computes first or second derivatives, not order {order!r}")
    if order == 2 and f.shape:
        raise DiffError(f"a Hessian needs a scalar function, but f has shape {f.shape}")
    outputs: list[tuple[str, Expr]] = [("value", f)]
    first = "grad" if not f.shape else "jac"
    for w in names:
        outputs.append((f"{first}_{w}", diff(f, w)))
    if order == 2:
        for w in names:
            outputs.append((f"hess_{w}", hessian(f, w)))
    return Module(f, outputs, names, order).source()
