"""The names generated modules use for themselves, never given to a variable or temporary.

The helper functions' sources are the backends' (:mod:`.backend`): NumPy's are
matcalc's own kernels (:mod:`matcalc.ops.kernels`), ``_einsum`` from
:mod:`matcalc.numeric.paths` and ``_structure`` from
:mod:`matcalc.numeric.binding`, carried by their source.
"""

from __future__ import annotations

from matcalc.numeric.codegen.backends import BACKENDS

_ALL = [make() for make in BACKENDS.values()]

RESERVED: frozenset[str] = frozenset({
    "values", "value_and_derivatives", "hessian_vector_product", "float", "int", "ValueError",
    *(h for b in _ALL for h in b.helpers), *(r for b in _ALL for r in b.reserved)})
