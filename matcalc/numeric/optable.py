"""The per-operator tables of the numeric stage, in one place.

Each table maps a node kind (or an elementwise function's name) to what this
stage needs of it: its NumPy value (:data:`NUMPY`), the call written for it in
generated code (:data:`TEMPLATES`, :data:`FUNCTIONS`) and the stem of the
temporaries that hold it (:data:`STEMS`).  They are plain dicts so that one edit
can swap each for a lookup in the operator registry of :mod:`matcalc.ops`.

Operators whose value or code depends on more than their operands' values
(shapes, lowering recipes, precedence) keep their rule in the evaluator or the
renderer: ``const``, ``var``, ``dim``, ``zeros``, ``ones``, ``eye``, ``add``,
``mul``, ``pow``, ``matmul``, ``transpose``, ``einsum``, ``fn``, ``vec``,
``unvec``, ``reshape``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Array = Any


def _softmax(x: Array) -> Array:
    z = np.exp(x - np.max(x))
    return z / np.sum(z)


def _logsumexp(x: Array) -> Array:
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _ismax(x: Array) -> Array:
    out = np.zeros_like(x, dtype=float)
    out.flat[int(np.argmax(x))] = 1.0
    return out


def _mul(*xs: Array) -> Array:
    out = xs[0]
    for x in xs[1:]:
        out = out * x
    return out


def _add(*xs: Array) -> Array:
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def _power(b: Array, p: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(b, p)


# the value of a node from its operands' values
NUMPY: dict[str, Callable[..., Array]] = {
    "add": _add,
    "mul": _mul,
    "pow": _power,
    "sum": np.sum,
    "norm": lambda a: np.linalg.norm(a.reshape(-1)),
    "norm1": lambda a: np.sum(np.abs(a)),
    "norminf": lambda a: np.max(np.abs(a)),
    "tr": np.trace,
    "det": np.linalg.det,
    "logdet": lambda a: np.linalg.slogdet(a)[1],
    "inv": np.linalg.inv,
    "diag": np.diag,
    "diagpart": lambda a: np.diag(a).copy(),
    "softmax": _softmax,
    "logsumexp": _logsumexp,
    "ismax": _ismax,
    "kron": np.kron,
    "vec": lambda a: a.reshape(-1, order="F"),
}

# generated code: a call of the operands' code ({0}, {1}); a leading "_" names a helper
# function of the generated module (see matcalc.numeric.codegen.helpers)
TEMPLATES: dict[str, str] = {
    "sum": "np.sum({0})", "norm": "np.linalg.norm({0})",
    "norm1": "np.sum(np.abs({0}))", "norminf": "np.max(np.abs({0}))",
    "tr": "np.trace({0})", "det": "np.linalg.det({0})",
    "logdet": "np.linalg.slogdet({0})[1]", "inv": "np.linalg.inv({0})",
    "diag": "np.diag({0})", "diagpart": "np.diagonal({0}).copy()",
    "softmax": "_softmax({0})", "logsumexp": "_logsumexp({0})", "ismax": "_ismax({0})",
    "kron": "np.kron({0}, {1})",
}

# generated code: the function called for an elementwise function (a leading "_": a helper).
# The stable sigmoid helper repeats matcalc.ops.elementwise's _sigmoid (the generated
# module may not import matcalc); the registry is to hold both.
FUNCTIONS: dict[str, str] = {
    "exp": "np.exp", "log": "np.log", "sin": "np.sin", "cos": "np.cos", "tan": "np.tan",
    "tanh": "np.tanh", "sinh": "np.sinh", "cosh": "np.cosh", "sqrt": "np.sqrt",
    "abs": "np.abs", "sign": "np.sign", "sigmoid": "_sigmoid", "softplus": "_softplus",
    "relu": "_relu", "step": "_step",
}

# generated code: the stem of a temporary's name (fn nodes are named by their function)
STEMS: dict[str, str] = {
    "add": "s", "mul": "p", "matmul": "mm", "pow": "pw", "einsum": "tensor", "inv": "inv",
    "det": "det", "logdet": "logdet", "tr": "trace", "sum": "total", "norm": "norm",
    "norm1": "norm1", "norminf": "norminf", "diag": "D", "diagpart": "dg",
    "softmax": "softmax", "logsumexp": "lse", "ismax": "ismax", "transpose": "t",
    "kron": "kron", "vec": "vec", "unvec": "mat", "zeros": "zeros", "ones": "ones",
    "eye": "eye", "reshape": "r",
}
