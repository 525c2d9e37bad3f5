"""Binding: the arrays given for an expression's variables and the sizes of its dimensions.

Sizes are read off the arrays and checked against the declared shapes (SPEC
section 4); a dimension that no array fixes may be given by name in the values.
Shared by every evaluator of :mod:`matcalc.numeric`.

The limits of numbers (docs/limits.md) are kept here too: every dimension has
at least one entry (an array with an axis of length 0 is refused, as a size 0
is), no array of the expression may have more than :data:`MAX_ENTRIES`
entries (checked before anything is allocated), and an exact constant beyond
the floating-point range is an :class:`EvaluationError`, not an overflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from matcalc.core.dims import Shape, dim_value, format_shape
from matcalc.core.errors import EvaluationError, ShapeError
from matcalc.core.expr import Expr, postorder, related_variables
from matcalc.lang.parser import normal_name
from matcalc.ops.kernels import function_source

Array = Any

MAX_ENTRIES = 2**31  # entries of the largest array evaluation allocates (16 GiB of floats)
FLOAT_MAX = float(np.finfo(float).max)


def bind(expr: Expr, values: Mapping[str, Any]) -> tuple[dict[str, Array], dict[str, int]]:
    """Arrays for the variables of ``expr`` and the sizes of its named dimensions."""
    values = named_values(values)
    arrays: dict[str, Array] = {}
    sizes: dict[str, int] = {}
    seen_from: dict[str, str] = {}
    variables = expr.variables()
    for name, node in variables.items():
        if name not in values:
            raise ShapeError(f"no value given for variable {name} "
                             f"({format_shape(node.shape)})")
        a = _real_array(name, values[name])
        if 0 in a.shape:
            raise ShapeError(f"the value of {name} has shape {a.shape}, with no entries along "
                             "an axis; every dimension has a size of at least 1")
        if a.ndim != node.ndim:
            raise ShapeError(f"{name} should have shape {format_shape(node.shape)} "
                             f"but the array has shape {a.shape}")
        for d, n in zip(node.shape, a.shape, strict=True):
            if isinstance(d, int):
                if d != n:
                    raise ShapeError(f"{name} should have shape {format_shape(node.shape)} "
                                     f"but the array has shape {a.shape}")
            elif "*" not in d:
                if d in sizes and sizes[d] != n:
                    raise ShapeError(f"dimension {d} is {sizes[d]} for {seen_from[d]} but "
                                     f"{n} for {name}")
                sizes[d] = n
                seen_from.setdefault(d, name)
        check_structure(name, a, node.structure)
        arrays[name] = a
    for name, node in variables.items():  # product dimensions, once their factors are known
        for d, n in zip(node.shape, arrays[name].shape, strict=True):
            if isinstance(d, str) and "*" in d:
                want = dim_value(d, sizes)
                if want is not None and want != n:
                    raise ShapeError(f"{name} should have {d} = {want} entries along an axis, "
                                     f"not {n}")
    for name, node in related_variables(expr).items():  # variables the expression lost
        if name in variables or name not in values:
            continue
        try:
            shape = np.shape(values[name])
        except (TypeError, ValueError):
            continue
        if len(shape) == node.ndim:
            for d, n in zip(node.shape, shape, strict=True):
                if isinstance(d, str) and "*" not in d:
                    sizes.setdefault(d, n)
    for node in postorder(expr):  # dimensions that no variable fixes
        for d in node.shape:
            if isinstance(d, str):
                for part in d.split("*"):
                    if not part.isdigit() and part not in sizes and part in values:
                        sizes[part] = _size(part, values[part])
        if node.op == "dim" and node.attrs[0] not in sizes:
            name = node.attrs[0]
            for part in name.split("*") if "*" in name else ():
                if not part.isdigit() and part not in sizes and part in values:
                    sizes[part] = _size(part, values[part])
            product = dim_value(name, sizes) if "*" in name else None
            if product is not None:  # tr(eye(m*n)) is m*n: from its factors
                sizes[name] = product
            elif name in values:
                sizes[name] = _size(name, values[name])
            else:
                raise ShapeError(f"the size of dimension {name} is not known: no array "
                                 "has it; give it in the values")
    check_allocations(expr, sizes)
    return arrays, sizes


def named_values(values: Any) -> dict[str, Any]:
    """The values with their names read as the parser reads names (NFKC)."""
    if not isinstance(values, Mapping):
        raise ShapeError("values must be a dict from variable name to array, not "
                         f"{type(values).__name__}")
    # entries that name nothing are ignored (SPEC section 4), keys that are not text too
    return {normal_name(k): v for k, v in values.items() if isinstance(k, str)}


def magnitude(n: int) -> str:
    """``n`` for a message: exact when short, else its power of ten (no int-to-text limit)."""
    if n.bit_length() <= 64:
        return f"{n:,}"
    return f"about 10^{int(n.bit_length() * 0.30103)}"


def check_allocations(expr: Expr, sizes: Mapping[str, int]) -> None:
    """Refuse sizes that make an array of ``expr`` larger than :data:`MAX_ENTRIES`.

    Checked before evaluation allocates anything, so that ``ones(n)`` with
    ``n = 10**12`` is a clear error, not a ``MemoryError`` (or a machine that swaps).
    """
    for node in postorder(expr):
        entries = 1
        for d in node.shape:
            v = dim_value(d, dict(sizes)) if isinstance(d, str) else d
            entries *= v if v is not None else 1
        if entries > MAX_ENTRIES:
            raise EvaluationError(
                f"an array of shape {format_shape(node.shape)} would have "
                f"{magnitude(entries)} entries with these sizes "
                f"({', '.join(f'{k} = {magnitude(v)}' for k, v in sizes.items())}), more than "
                f"the {MAX_ENTRIES:,} that matcalc evaluates; use smaller sizes")


def number_value(v: Any) -> float:
    """An exact constant as a float; beyond the floating-point range an EvaluationError."""
    try:
        x = float(v)
    except OverflowError:
        x = float("inf")
    if abs(x) > FLOAT_MAX:
        text = str(v) if not isinstance(v, int) or v.bit_length() < 200 else magnitude(abs(v))
        raise EvaluationError(f"the number {text[:40]} is beyond the floating-point range "
                              f"(about {FLOAT_MAX:.3g}); NumPy cannot compute with it; "
                              "scale the expression so that its constants are smaller")
    return x




def _structure(a: Any, name: str, structure: str) -> Any:
    """``a``, refused (ValueError) if it breaks its declared structure.

    ``symmetric``: ``|A - A'|`` within 1e-8 of the largest entry; ``spd``: also
    positive definite (a Cholesky factorisation exists).  Formulas derived for a
    symmetric variable assume it, so a value that is not would give wrong numbers
    silently.  It uses only ``np``: generated modules carry its source, so that
    they check their inputs as :func:`check_structure` does.
    """
    if structure not in ("symmetric", "spd") or not np.all(np.isfinite(a)) or not a.size:
        return a  # not finite: the value is NaN anyway, no formula is trusted on it
    size = float(np.max(np.abs(a)))
    asym = float(np.max(np.abs(a - a.T)))
    if asym > 1e-8 * size:
        raise ValueError(f"{name} is declared {structure} but its value is not symmetric "
                         f"(largest |{name} - {name}'| is {asym:.3g}, largest entry "
                         f"{size:.3g}); give a symmetric array, e.g. ({name} + {name}.T) / 2")
    if structure == "spd":
        try:
            np.linalg.cholesky((a + a.T) / 2)
        except np.linalg.LinAlgError:
            raise ValueError(f"{name} is declared spd but its value is not positive "
                             "definite (its Cholesky factorisation fails); give a "
                             "symmetric matrix with positive eigenvalues") from None
    return a


def structure_source() -> str:
    """The source of the structure check, as a generated module writes it."""
    return function_source(_structure, "def _structure(a, name, structure):")


def check_structure(name: str, value: Any, structure: str) -> None:
    """Refuse a value that breaks its variable's declared structure (ShapeError).

    Every evaluator checks its inputs with this test (evaluate, ``to_numpy``, the
    reference plan, and generated code, which carries its source).
    """
    if structure not in ("symmetric", "spd"):
        return
    a = np.asarray(value, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"{name} is declared {structure}, so its value is a square matrix, "
                         f"not an array of shape {a.shape}")
    try:
        _structure(a, name, structure)
    except ValueError as e:
        raise ShapeError(str(e)) from None


def _size(name: str, value: Any) -> int:
    """A dimension's size given in the values: a positive integer."""
    whole = isinstance(value, int | np.integer) or (
        isinstance(value, float | np.floating) and float(value).is_integer())
    if isinstance(value, bool) or not whole or value < 1:
        shown = magnitude(int(value)) if whole and not isinstance(value, bool) else repr(value)
        raise ShapeError(f"the size of dimension {name} must be a positive integer, "
                         f"not {shown}")
    if value > MAX_ENTRIES:
        raise ShapeError(f"the size of dimension {name}, {magnitude(int(value))}, is more "
                         f"than the {MAX_ENTRIES:,} entries matcalc evaluates")
    return int(value)


def _real_array(name: str, value: Any) -> Array:
    """``value`` as an array of floats; strings, complex numbers and the like are refused."""
    try:
        a = np.asarray(value)
        if np.iscomplexobj(a):
            raise ShapeError(f"the value of {name} is complex; matcalc computes with real "
                             "numbers")
        if a.dtype.kind not in "biufO":
            raise TypeError
        return a.astype(float)
    except (TypeError, ValueError):
        raise ShapeError(f"the value of {name} is not an array of numbers") from None


def concrete(shape: Shape, sizes: dict[str, int]) -> tuple[int, ...]:
    """``shape`` in numbers, given the sizes of its named dimensions."""
    out = []
    for d in shape:
        v = dim_value(d, sizes)
        if v is None:
            raise ShapeError(f"the size of dimension {d} is not known: give it in the values")
        out.append(v)
    return tuple(out)
