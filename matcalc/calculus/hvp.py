"""``hvp(f, x, v)``: the Hessian-vector product as an expression (SPEC section 3).

For a scalar ``f`` the product of its Hessian by ``x`` with a direction ``v``
of ``x``'s shape is the gradient of the directional derivative
``<grad f, v>``: ``H v = grad_x <grad_x f, v>`` (Pearlmutter, "Fast exact
multiplication by the Hessian", 1994).  Differentiating that scalar keeps every
product a matrix-vector product, so for least squares the result is
``A.T @ (A @ v)``: the Hessian (n×n, or (m, n, m, n) for a matrix ``x``) is
never formed, and Newton-CG scales to millions of variables.
"""

from __future__ import annotations

from matcalc.calculus.differentiate import diff
from matcalc.core.errors import DiffError
from matcalc.core.expr import Expr
from matcalc.lang.parser import normal_name
from matcalc.ops import construct as c


def inner(a: Expr, b: Expr) -> Expr:
    """``<a, b>``, the sum of the entrywise products, as a scalar expression."""
    if not a.shape:
        return c.mul(a, b)
    if a.ndim == 1:
        return c.dot(a, b)
    return c.sum_(c.mul(a, b))


def direction(f: Expr, x: Expr, v: str | Expr) -> Expr:
    """The direction variable ``v`` for ``x``: ``x``'s shape and structure, a new name."""
    if isinstance(v, Expr):
        if v.op != "var":
            raise DiffError(f"the direction of hvp must be a variable, not {v}")
        if v.shape != x.shape:
            raise DiffError(f"the direction {v.name} has shape {v.shape} but {x.name} has "
                            f"shape {x.shape}: give v the shape of x")
        name = v.name
    else:
        name = normal_name(v) if isinstance(v, str) else v
        if not isinstance(name, str) or not name.isidentifier():
            raise DiffError(f"the direction of hvp must be a variable name, not {v!r}")
    if name in f.variables():
        raise DiffError(f"{name} already occurs in f: name the direction of hvp something "
                        f"else, e.g. hvp(f, {x.name!r}, 'v_{x.name}')")
    return c.var(name, x.shape, x.structure)


def hvp(f: Expr, x: str | Expr, v: str | Expr = "v") -> Expr:
    """The Hessian of the scalar ``f`` by ``x`` times a direction ``v`` of ``x``'s shape.

    ``v`` is a name (a new variable of ``x``'s shape and structure) or such a
    variable.  The result has the shape of ``x`` and is linear in ``v``:
    ``hvp(0.5*norm(y - A@x)^2, "x")`` is ``A.T @ (A @ v)``.
    """
    if not isinstance(f, Expr):
        raise DiffError("hvp needs an expression; parse the text first (matcalc.parse)")
    if f.shape:
        raise DiffError(f"hvp needs a scalar function, but f has shape {f.shape}")
    if isinstance(x, Expr) and x.op == "var":
        x = x.name
    name = normal_name(x) if isinstance(x, str) else x
    var = f.variables().get(name) if isinstance(name, str) else None
    if var is None:
        raise DiffError(f"hvp differentiates by a variable of f, and {x!r} is not one "
                        f"(variables: {', '.join(f.variables()) or 'none'})")
    return diff(inner(diff(f, var), direction(f, var, v)), var)


def hvp_many(f: Expr, xs: list[Expr], vs: list[Expr]) -> list[Expr]:
    """``H v`` for several variables at once: the part by each ``x`` of ``H @ (v_1, ...)``.

    The directional derivative ``sum_k <grad_k f, v_k>`` differentiated by each
    ``x``, so the mixed blocks of the Hessian act too, still never formed.
    """
    s = c.add(*(inner(diff(f, x), v) for x, v in zip(xs, vs, strict=True)))
    return [diff(s, x) for x in xs]
