"""Elementwise functions: one :class:`Function` record each, and the ``fn`` node.

A record gives the value (NumPy), the derivative ``f'(u)`` as an expression,
the LaTeX name, the NumPy code for generated modules, the SymPy form (for the
second opinion and the scalar simplifier) and what sampling must respect.
Users add their own with :func:`matcalc.register_function`.
"""

from __future__ import annotations

import numpy as np

from matcalc.core.errors import DiffError, ParseError
from matcalc.core.expr import Expr, make
from matcalc.ops import arith, reductions
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.kernels import KERNELS
from matcalc.ops.leaves import const, zeros
from matcalc.ops.record import FUNCTIONS, Function, Op, register, register_function_record


def fn(name: str, a: Expr) -> Expr:
    if name not in FUNCTIONS:
        raise ParseError(f"unknown function {name!r}")
    if name == "abs" and a.op == "fn" and a.attrs[0] in ("abs", "exp"):
        return a
    if name == "log" and a.op == "fn" and a.attrs[0] == "exp":
        return a.args[0]
    if name == "log" and a.op == reductions.SOFTMAX:
        return arith.sub(a.args[0], reductions.logsumexp(a.args[0]))
    if name == "log" and a.op in reductions.LOG_CANONICAL:  # softmax along an axis
        return reductions.LOG_CANONICAL[a.op](a)
    if name in ("sign", "step") and a.op == "const":
        v = a.attrs[0]
        return const((v > 0) - (v < 0) if name == "sign" else int(v > 0))
    if a.op == "const":
        if a.attrs[0] == 0 and name in ("sin", "tan", "tanh", "sinh", "sqrt", "abs", "relu"):
            return a
        if a.attrs[0] == 0 and name in ("exp", "cos", "cosh"):
            return const(1)
        if a.attrs[0] == 1 and name in ("log",):
            return const(0)
        if a.attrs[0] == 1 and name in ("sqrt", "abs", "relu"):
            return a
    return make("fn", (a,), (name,), a.shape)


def derivative_of(name: str, u: Expr) -> Expr:
    """``f'(u)`` for the function ``name``; an error that says how to add one if unknown."""
    entry = FUNCTIONS.get(name)
    if entry is None or entry.derivative is None:
        raise DiffError(f"function {name} has no derivative: register one with "
                        "matcalc.register_function")
    return entry.derivative(u)


def _zero_like(u: Expr) -> Expr:
    return zeros(u.shape)


def _sigmoid_of(u: Expr) -> Expr:
    return fn("sigmoid", u)


_one, _two = const(1), const(2)

_sp = sa.function  # a SymPy function by name, imported when the second opinion applies it

for _record in (
    Function("exp", np.exp, lambda u: fn("exp", u), r"\exp", code="np.exp", sympy=_sp("exp"),
             sympy_head="exp", fuzz=1),
    Function("log", np.log, lambda u: arith.power(u, const(-1)), r"\log", code="np.log",
             sympy=_sp("log"), sympy_head="log", domain="positive", kink="sign"),
    Function("sin", np.sin, lambda u: fn("cos", u), r"\sin", code="np.sin", sympy=_sp("sin"),
             sympy_head="sin", periodic=True, fuzz=1),
    Function("cos", np.cos, lambda u: arith.neg(fn("sin", u)), r"\cos", code="np.cos",
             sympy=_sp("cos"), sympy_head="cos", periodic=True, fuzz=1),
    Function("tan", np.tan, lambda u: arith.add(_one, arith.power(fn("tan", u), _two)),
             r"\tan", code="np.tan", sympy=_sp("tan"), sympy_head="tan", domain="unit",
             kink="tan", periodic=True, fuzz=1),
    Function("tanh", np.tanh, lambda u: arith.sub(_one, arith.power(fn("tanh", u), _two)),
             r"\tanh", code="np.tanh", sympy=_sp("tanh"), sympy_head="tanh", fuzz=1),
    Function("sinh", np.sinh, lambda u: fn("cosh", u), r"\sinh", code="np.sinh",
             sympy=_sp("sinh"), sympy_head="sinh", fuzz=1),
    Function("cosh", np.cosh, lambda u: fn("sinh", u), r"\cosh", code="np.cosh",
             sympy=_sp("cosh"), sympy_head="cosh", fuzz=1),
    Function("sqrt", np.sqrt, lambda u: arith.div(_one, arith.mul(_two, fn("sqrt", u))),
             r"\sqrt", code="np.sqrt", sympy=_sp("sqrt"), sympy_head="sqrt",
             domain="positive", kink="sign"),
    # abs, sign and step stay opaque to the scalar simplifier (SymPy's rewrites of
    # them assume real arguments it cannot see); user derivatives may still use them
    Function("abs", np.abs, lambda u: fn("sign", u), r"\operatorname{abs}", code="np.abs",
             sympy=_sp("Abs"), sympy_head="Abs", opaque=True, kink="sign", fuzz=1),
    Function("sigmoid", KERNELS["_sigmoid"],
             lambda u: arith.mul(_sigmoid_of(u), arith.sub(_one, _sigmoid_of(u))), r"\sigma",
             code="_sigmoid", helpers=("_sigmoid",),
             sympy=sa.formula(lambda sp, x: 1 / (1 + sp.exp(-x))), fuzz=1),
    Function("softplus", KERNELS["_softplus"], _sigmoid_of, r"\operatorname{softplus}",
             code="_softplus", helpers=("_softplus",),
             sympy=sa.formula(lambda sp, x: sp.log(1 + sp.exp(x))), fuzz=1),
    Function("relu", KERNELS["_relu"], lambda u: fn("step", u), r"\operatorname{relu}",
             code="_relu", helpers=("_relu",),
             sympy=sa.formula(lambda sp, x: sp.Piecewise((x, x > 0), (0, True))),
             kink="sign", fuzz=1),
    Function("sign", KERNELS["_sign"], _zero_like, r"\operatorname{sign}", code="_sign",
             helpers=("_sign",), sympy=_sp("sign"), sympy_head="sign", opaque=True,
             kink="sign", fuzz=1),
    Function("step", KERNELS["_step"], _zero_like, r"\operatorname{step}", code="_step",
             helpers=("_step",),
             sympy=sa.formula(lambda sp, x: sp.Piecewise((1, x > 0), (0, True))),
             sympy_head="Heaviside", opaque=True, kink="sign", fuzz=1),
):
    register_function_record(_record)

def _sympy_value(node: Expr, a: list[sa.Obj], ctx: sa.Context) -> sa.Obj:
    """A function's SymPy form applied to every entry of its argument."""
    record = FUNCTIONS.get(node.attrs[0])
    if record is None or record.sympy is None:
        raise sa.Unsupported(f"no SymPy form of the function {node.attrs[0]}")
    return sa.map_entries(record.sympy, a[0])


# fn nodes: the function's name is the node's parameter, its record in FUNCTIONS
register(Op("fn", 1, rebuild=lambda node, args: fn(node.attrs[0], args[0]), stem="f",
            sympy=_sympy_value))
