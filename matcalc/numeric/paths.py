"""Einsum along a cached contraction path: one implementation for evaluate and codegen.

:func:`einsum` is what :mod:`matcalc.numeric.executor` calls, and
:func:`einsum_source` its text, which :mod:`matcalc.numeric.codegen` writes into
generated modules (they import nothing but NumPy) as ``_einsum``, so both
contract in one order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matcalc.ops.kernels import function_source

Array = Any

_PATHS: dict[tuple[Any, ...], Any] = {}


def einsum(spec: str, *operands: Array) -> Array:
    """np.einsum along the best path (greedy beyond 6 operands), found once per spec."""
    if len(operands) < 2:
        return np.einsum(spec, *operands)
    key = (spec, *(o.shape for o in operands))
    path = _PATHS.get(key)
    if path is None:
        if len(_PATHS) > 4096:  # many distinct shapes: bound the memory the cache holds
            _PATHS.clear()
        path = _PATHS[key] = np.einsum_path(
            spec, *operands, optimize="optimal" if len(operands) <= 6 else "greedy")[0]
    return np.einsum(spec, *operands, optimize=path)


def einsum_source() -> str:
    """The text of :func:`einsum`, named ``_einsum``, and its cache, without annotations."""
    # the leading underscore keeps the name apart from the user's variables
    return "_PATHS = {}\n\n\n" + function_source(einsum, "def _einsum(spec, *operands):")
