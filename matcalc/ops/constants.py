"""Named numbers of the language: ``pi``.

``pi`` is the number π unless the text declares a variable of that name.  It is
not a ``const`` (those are exact rationals): it is a node of its own over the
number 1, so that every stage treats it as an operator whose value it knows —
the printers write ``pi`` and ``\\pi``, evaluation ``np.pi``, the second
opinion SymPy's ``pi`` — and its derivative is zero.
"""

from __future__ import annotations

import numpy as np

from matcalc.core.expr import Expr, make
from matcalc.ops import sympy_arrays as sa
from matcalc.ops.leaves import const
from matcalc.ops.record import Op, register

PI = "pi"


def pi() -> Expr:
    """The number π."""
    return make(PI, (const(1),), (), ())


def _sympy_pi(node: Expr, a: object, ctx: object) -> object:
    import sympy  # on first use: import matcalc does not load SymPy

    return sa.scalar(sympy.pi)


register(
    Op(PI, 1, rebuild=lambda node, args: pi(), numpy=lambda one: np.float64(np.pi),
       code="np.pi", stem="pi", sympy=_sympy_pi),
)
