"""``codegen``: a standalone module (NumPy, JAX, PyTorch, Dask) for a value and its derivatives.

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
evaluates anything: the output is text, and the generated module uses its
backend's library only.

The package: :mod:`.module` writes the module (inputs, names, text),
:mod:`.render` one node's code, :mod:`.syntax` precedence and parentheses,
:mod:`.layout` the order of the returned tuple, :mod:`.helpers` the names
generated modules reserve, :mod:`.backend` and one module per backend the
array libraries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matcalc.core.errors import DiffError, MatcalcError
from matcalc.core.expr import Expr
from matcalc.lang.parser import normal_name
from matcalc.numeric.codegen.backends import backend as get_backend
from matcalc.numeric.codegen.layout import hessian_blocks, hessian_label
from matcalc.numeric.codegen.module import Module, module_text
from matcalc.numeric.stable import stable

__all__ = ["codegen"]


HESSIAN_LAYOUTS = ("blocks", "matrix")


def codegen(f: Expr, wrt: Iterable[Any] = (), order: int = 1, *, backend: str = "numpy",
            hessian: str = "blocks", hvp: bool = False) -> str:
    """The source of a module computing ``f`` and its derivatives (SPEC section 4).

    The module defines ``value_and_derivatives(**values)``, which returns the value,
    then ``diff(f, w)`` for each ``w`` in ``wrt`` (``grad_w``, or ``jac_w`` for an
    array ``f``).  With ``order=2`` the Hessian follows: with ``hessian="blocks"``
    first the Hessian by each variable in ``wrt`` order (``hess_w``, ``hess_b``:
    SPEC's layout), then the mixed blocks ``d2f/dwi dwj``, ``wi != wj``, row by
    row in ``wrt`` order (``hess_w_b, hess_b_w``), each of shape
    ``wi.shape + wj.shape`` (:mod:`.layout`); with
    ``hessian="matrix"`` one matrix ``hessian`` of shape (N, N) over the
    variables raveled (C order) and concatenated in ``wrt`` order, for Newton
    solvers.  ``hvp=True`` adds ``hessian_vector_product(v, /, **values)``: the
    Hessian times ``v`` (an array of a variable's shape, or a tuple of them, one
    per variable of ``wrt``), returned as a tuple per variable, never forming
    the Hessian.

    ``backend`` is the array library the module uses, and the only one it
    imports: ``"numpy"``, ``"jax"`` (``jax.numpy``, compiles with ``jax.jit``),
    ``"torch"`` (tensors on any device) or ``"dask"`` (chunked arrays: sums over
    the rows of a data matrix computed chunk by chunk).  Values are computed in
    the floating dtype of the inputs, on every backend.
    """
    from matcalc.calculus.differentiate import diff
    from matcalc.calculus.hvp import hvp_many

    if not isinstance(f, Expr):
        raise MatcalcError("codegen needs an expression; parse the text first (matcalc.parse)")
    chosen = get_backend(backend)
    if hessian not in HESSIAN_LAYOUTS:
        raise MatcalcError(f"hessian={hessian!r}: choose 'blocks' (every block d2f/dwi dwj) "
                           "or 'matrix' (one matrix over the concatenated variables)")
    if isinstance(wrt, str | Expr):
        wrt = [wrt]
    names = [w.name if isinstance(w, Expr) and w.op == "var" else w for w in wrt]
    names = [normal_name(w) if isinstance(w, str) else w for w in names]  # as parse reads them
    if order not in (1, 2):
        raise DiffError(f"codegen computes first or second derivatives, not order {order!r}")
    if (order == 2 or hvp) and f.shape:
        raise DiffError(f"a Hessian needs a scalar function, but f has shape {f.shape}")
    if hvp and not names:
        raise DiffError("hvp=True needs the variables of the Hessian: give wrt")
    g = stable(f)  # log(sigmoid(z)) and its family in softplus form: finite everywhere
    outputs: list[tuple[str, Expr]] = [("value", g)]
    first = "grad" if not f.shape else "jac"
    grads = [diff(g, w) for w in names]
    outputs += [(f"{first}_{w}", d) for w, d in zip(names, grads, strict=True)]
    if order == 2:  # the diagonal blocks (SPEC's prefix), then the mixed ones
        for i, j in hessian_blocks(len(names)):
            outputs.append((hessian_label(names, i, j), diff(grads[i], names[j])))
    joined = len(names) if order == 2 and hessian == "matrix" else 0
    main = Module(g, outputs, names, order, chosen, joined=joined)
    main.title = f
    others = []
    if hvp:
        from matcalc.calculus.hvp import inner
        from matcalc.ops import construct as c

        variables = g.variables()
        xs, vs = [], []
        for w, d in zip(names, grads, strict=True):
            name = f"v_{w}"
            while name in variables:
                name += "_"
            x = variables.get(w) or c.var(w, d.shape)
            xs.append(x)
            vs.append(c.var(name, d.shape, x.structure))
        products = hvp_many(g, xs, vs)
        s = c.add(*(inner(d, v) for d, v in zip(grads, vs, strict=True)))
        others.append(Module(s, [(f"hvp_{w}", p) for w, p in zip(names, products, strict=True)],
                             names, order, chosen, name="hessian_vector_product",
                             directions=tuple(v.name for v in vs)))
    return module_text(main, others)
