"""``diff``, ``gradient``, ``jacobian``, ``hessian`` and ``subs`` (SPEC section 3).

Reverse mode over the hash-consed DAG: the adjoint of the output is the
identity tensor over its axes; nodes are visited once, operands after the
nodes that use them, each pushing its adjoint to its operands through the
rules of :mod:`matcalc.rules`.  The work and the result are linear in the size
of the graph.  The result has shape ``f.shape + x.shape`` (as ``jax.jacobian``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, overload

from matcalc.algebra.contraction import contract
from matcalc.algebra.identities import rewrite
from matcalc.algebra.simplify import remake, simplify
from matcalc.calculus.forward import differential
from matcalc.calculus.rules import Ctx, vjp
from matcalc.core.dims import Shape, product_dim
from matcalc.core.errors import DiffError, ShapeError
from matcalc.core.expr import (
    Expr,
    depends_on,
    postorder,
    rebuild,
    related_variables,
    remember_derivative,
    remember_form,
    remember_variables,
)
from matcalc.core.names import inherit_names
from matcalc.lang.habits import warn_absent_variable
from matcalc.lang.parser import normal_name
from matcalc.ops import construct as c

if TYPE_CHECKING:  # steps imports the printers; diff loads it only when steps=True
    from matcalc.calculus.steps import Derivation

LAYOUTS = ("denominator", "numerator")
FORMS = ("array", "differential", "vec")


def _variable(f: Expr, wrt: object) -> Expr | None:
    # wrt is checked here, not trusted to its annotation: callers pass user input
    if isinstance(wrt, Expr):
        if wrt.op != "var":
            raise DiffError(f"can only differentiate by a variable, not {wrt}")
        wrt = wrt.name
    wrt = normal_name(wrt) if isinstance(wrt, str) else wrt  # as the parser reads names
    if not isinstance(wrt, str) or not wrt.isidentifier():
        raise DiffError(f"can only differentiate by a variable name, not {wrt!r}")
    found = f.variables().get(wrt)
    if found is None:
        declared = related_variables(f).get(wrt)
        if declared is not None:
            return declared
        for node in postorder(f):
            if node.op == "dim" and node.attrs[0] == wrt:
                raise DiffError(f"{wrt} is a dimension (a size), not a variable")
            if any(isinstance(d, str) and wrt in d.split("*") for d in node.shape):
                raise DiffError(f"{wrt} is a dimension (a size), not a variable")
        warn_absent_variable(wrt, list(f.variables()))
    return found


def _seed(shape: Shape) -> Expr:
    """The identity tensor ∂f/∂f of shape ``shape + shape``."""
    if not shape:
        return c.const(1)
    ctx = Ctx(())
    a = ctx.labels(shape)
    b = ctx.labels(shape)
    operands = [(c.eye(d), (x, y)) for d, x, y in zip(shape, a, b, strict=True)
                if x is not None]
    return contract(a + b, shape + shape, *operands)


def derivative(f: Expr, x: Expr, trace: list[tuple[Expr, int, Expr]] | None = None) -> Expr:
    """∂f/∂x for a variable node ``x``, unsimplified, shape ``f.shape + x.shape``.

    With ``trace``, each rule application is recorded as (node, operand index,
    the operand's share of the adjoint), in the order they are applied.
    """
    ctx = Ctx(f.shape)
    live = depends_on(f, {x.name})
    if id(x) not in live:  # declared but not used: the derivative is zero
        return c.zeros(f.shape + x.shape)
    if id(f) not in live:
        return c.zeros(f.shape + x.shape)
    adjoints: dict[int, list[Expr]] = {id(f): [_seed(f.shape)]}
    order = [n for n in postorder(f) if id(n) in live]
    for node in reversed(order):
        parts = adjoints.pop(id(node), None)
        if parts is None:
            continue
        G = c.add(*parts) if len(parts) > 1 else parts[0]
        if node is x:
            return _symmetrize(G, x, f.ndim) if x.structure else G
        for i, arg in enumerate(node.args):
            if id(arg) in live:
                share = vjp(node, i, G, ctx)
                adjoints.setdefault(id(arg), []).append(share)
                if trace is not None:
                    trace.append((node, i, share))
    return c.zeros(f.shape + x.shape)


def _symmetrize(G: Expr, x: Expr, batch: int) -> Expr:
    """Symmetric variables move only along symmetric directions: G → (G + G')/2."""
    ctx = Ctx(G.shape[:batch])
    i, j = ctx.labels(x.shape)
    swapped = ctx.pull(x, (i, j), (G, ctx.batch + (j, i)))
    return c.mul(c.const(c.number("0.5")), c.add(G, swapped))


@overload
def diff(f: Expr, wrt: str | Expr, *, layout: str = ..., form: str = ...,
         steps: Literal[False] = ...) -> Expr: ...
@overload
def diff(f: Expr, wrt: str | Expr, *, layout: str = ..., form: str = ...,
         steps: Literal[True]) -> Derivation: ...
@overload
def diff(f: Expr, wrt: str | Expr, *, layout: str = ..., form: str = ...,
         steps: bool) -> Expr | Derivation: ...


def diff(f: Expr, wrt: str | Expr, *, layout: str = "denominator", form: str = "array",
         steps: bool = False) -> Expr | Derivation:
    """The derivative of ``f`` by the variable ``wrt`` (SPEC section 3).

    ``form`` presents it: ``"array"`` (shape ``f.shape + x.shape``),
    ``"differential"`` (``df`` in the direction variable ``d`` + x's name) or
    ``"vec"`` (the Jacobian ``d vec(f) / d vec(x)'``, Magnus & Neudecker).
    With ``steps=True``, a :class:`~matcalc.calculus.steps.Derivation` holding the
    result and the rules applied; otherwise the derivative itself.
    """
    if not isinstance(f, Expr):
        raise DiffError("diff needs an expression; parse the text first (matcalc.parse)")
    if layout not in LAYOUTS:
        raise DiffError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if form not in FORMS:
        raise DiffError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    x = _variable(f, wrt)
    if form != "array":
        if steps:
            raise DiffError("steps=True shows the array form; leave out form= for the steps")
        return _presented(f, x, form, x.name if x is not None else str(wrt))
    trace: list[tuple[Expr, int, Expr]] | None = [] if steps else None
    if x is None:  # a name that does not occur: the derivative is zero (x taken scalar)
        result = c.zeros(f.shape)
    else:  # textbook identities first: d tr(kron(X, X)) = 2 tr(X) tr(dX), not einsums
        result = simplify(derivative(f if steps else rewrite(f), x, trace))
    if layout == "numerator" and f.ndim == 0 and result.ndim == 1:
        result = _as_row(result)
    remember_variables(result, f)
    remember_derivative(result, f, x.name if x is not None else str(wrt))
    inherit_names(result, f)
    if steps:
        from matcalc.calculus.steps import Derivation

        return Derivation.from_trace(f, str(wrt), result, trace or [])
    return result


def _as_row(g: Expr) -> Expr:
    """A gradient as a row, as the notes write it: (A' (A x - y))' is (A x - y)' A."""
    if g.op == "matmul" and all(f.ndim <= 2 for f in g.args):
        return c.matmul(*(c.transpose(f) for f in reversed(g.args)))
    return c.transpose(g)


def _presented(f: Expr, x: Expr | None, form: str, wrt: str) -> Expr:
    """The differential or the vec form of ∂f/∂x (SPEC section 3, "Presenting a derivative")."""
    if x is None:  # a name that does not occur: taken a scalar, the derivative is zero
        result = c.zeros(f.shape if form == "differential" or f.ndim < 2
                         else (product_dim(f.shape),))
    elif form == "differential":  # the textbook identities first, as for the array form
        result = simplify(differential(rewrite(f), x))
    else:
        from matcalc.calculus.vec_form import vec_jacobian

        result = simplify(vec_jacobian(rewrite(f), x))
    remember_variables(result, f)
    remember_form(result, f, wrt, form)
    inherit_names(result, f)
    return result


def gradient(f: Expr, wrt: str | Expr, *, layout: str = "denominator") -> Expr:
    """∂f/∂x for a scalar ``f``: the shape of ``x`` (a row with numerator layout)."""
    if isinstance(f, Expr) and f.shape:
        raise DiffError(f"gradient needs a scalar function, but f has shape {f.shape}; "
                        "use jacobian or diff")
    return diff(f, wrt, layout=layout)


def jacobian(f: Expr, wrt: str | Expr) -> Expr:
    """∂f/∂x for a vector (or scalar) ``f`` and a vector (or scalar) ``x``: shape (m, n)."""
    if isinstance(f, Expr) and f.ndim > 1:
        raise DiffError(f"jacobian needs a vector function, but f has shape {f.shape}; "
                        "use diff for tensors")
    result = diff(f, wrt)
    x = _variable(f, wrt)
    if x is not None and x.ndim > 1:
        raise DiffError(f"jacobian needs a vector variable, but {x.name} is a matrix; "
                        "use diff for tensors")
    return result


def hessian(f: Expr, wrt: str | Expr) -> Expr:
    """∂²f/∂x² for a scalar ``f``: (n, n) for a vector, (m, n, m, n) for a matrix."""
    if isinstance(f, Expr) and f.shape:
        raise DiffError(f"hessian needs a scalar function, but f has shape {f.shape}")
    return diff(diff(f, wrt), wrt)


def subs(expr: Expr, replacements: Mapping[str, Expr]) -> Expr:
    """Replace variables by expressions of the same shape."""
    if not isinstance(expr, Expr):
        raise ShapeError("subs needs an expression; parse the text first (matcalc.parse)")
    if not isinstance(replacements, Mapping):
        raise ShapeError("subs takes a dict from variable name to expression, as in "
                         f"subs(e, {{'x': y}}), not {type(replacements).__name__}")
    table: dict[str, Expr] = {}
    for name, value in replacements.items():
        if isinstance(name, Expr) and name.op == "var":
            name = name.name
        if not isinstance(name, str):
            raise ShapeError(f"subs replaces variables given by name, not {name!r}")
        if not isinstance(value, Expr):
            raise ShapeError(f"the replacement for {name} must be an expression")
        table[normal_name(name)] = value  # as the parser reads names
    variables = expr.variables()
    for name, value in table.items():
        old = variables.get(name)
        if old is not None and old.shape != value.shape:
            raise ShapeError(f"cannot replace {name} ({old.shape}) by {value} ({value.shape}): "
                             "shapes differ")
    return rebuild(expr, lambda node, args: table[node.name] if node.op == "var" and
                   node.name in table else (node if args == node.args else remake(node, args)))
