"""Where derivatives are checked: sizes for the dimensions and points inside the domain.

:func:`choose_sizes` gives every symbolic dimension a small size, distinct from
the others (so that a transposed or mis-ordered axis cannot go unnoticed).
:func:`draw_inputs` draws values that respect the declarations (spd and
symmetric matrices) and the domains of its operators and functions
(:func:`domain_tags`, from the records' ``domain`` and ``periodic`` fields).
:func:`kink` says, for the non-smooth ones, how their branch at a point is
read (the records' ``kink``), so that a finite difference that crosses a kink
or a pole can be told apart.  The stage keeps no per-operator table.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcalc.core.dims import dim_value
from matcalc.core.errors import ShapeError
from matcalc.core.expr import Expr, postorder
from matcalc.ops.record import OPS, Function, Op, function

SIZES = (3, 4, 5, 2, 6, 7, 8, 9)  # distinct small sizes for symbolic dimensions

# ----------------------------------------------------------------------------------------
# domains and kinks, read from the operator and function records
#
# what an operator or function needs of its (first) argument (``domain``):
#   positive    entries > 0 (log, sqrt; ``pow`` unless the exponent is an integer constant)
#   unit        small entries, away from the poles (tan)
#   invertible  a well-conditioned square matrix with positive determinant
#   periodic    not huge: sin(1e20) is rounding noise, not a function value
# how the branch of a non-smooth operator or function is read off its argument (``kink``):
#   sign     the signs of the entries (abs, relu, ...; log and sqrt: the edge of the domain)
#   tan      which period, floor(a / pi + 1/2): a pole lies between two periods
#   absmax   the position of the largest |entry| (norminf)
#   argmax   the position of the largest entry (ismax)
#   detsign  the sign of the determinant (a singular matrix lies between)


def _record(node: Expr) -> Op | Function | None:
    """The record that says ``node``'s domain and kink (a function's, for an ``fn`` node)."""
    if node.op == "fn":
        return function(str(node.attrs[0]))
    return OPS.get(node.op)


def _integer_exponent(node: Expr, natural: bool) -> bool:
    p = node.args[1]
    return (p.op == "const" and isinstance(p.attrs[0], int)
            and (not natural or p.attrs[0] >= 0))


def domain_tags(node: Expr) -> tuple[str, ...]:
    """What ``node`` needs of its argument (an integer power needs nothing)."""
    # a power's base is positive and watched only for a fractional exponent: the
    # record says positive, the exception is the exponent's, read off the node
    if node.op == "pow" and _integer_exponent(node, natural=False):
        return ()
    record = _record(node) if node.args else None
    if record is None:
        return ()
    periodic = ("periodic",) if isinstance(record, Function) and record.periodic else ()
    return ((record.domain,) if record.domain else ()) + periodic


def kink(node: Expr) -> str:
    """How ``node``'s branch is read off its argument ('' for a smooth node)."""
    if node.op == "pow" and _integer_exponent(node, natural=True):
        return ""
    record = _record(node) if node.args else None
    return record.kink if record is not None else ""


# ----------------------------------------------------------------------------------------
# sizes


def dimension_names(expr: Expr) -> list[str]:
    """The named dimensions of ``expr`` (shapes and dimension-valued scalars), in order."""
    names: list[str] = []
    for node in postorder(expr):
        for d in node.shape:
            if isinstance(d, str):
                for part in d.split("*"):
                    if not part.isdigit() and part not in names:
                        names.append(part)
        if node.op == "dim":  # a size as a scalar, maybe a product (tr(eye(m*n)))
            for part in str(node.attrs[0]).split("*"):
                if not part.isdigit() and part not in names:
                    names.append(part)
    return names


def choose_sizes(expr: Expr, dims: dict[str, int] | None, more: Sequence[Expr] = (),
                 candidates: Sequence[int] = SIZES, fallback: int = 3) -> dict[str, int]:
    """Sizes for the dimensions of ``expr`` (and ``more``): ``dims``, else small distinct ones.

    The free sizes are taken in turn from ``candidates`` (skipping those ``dims``
    uses), then ``fallback`` when they run out.
    """
    given = dict(dims or {})
    for k, v in given.items():
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ShapeError(f"size of dimension {k} must be a positive integer, not {v!r}")
    names = dimension_names(expr)
    for e in more:
        names += [n for n in dimension_names(e) if n not in names]
    free = iter(s for s in candidates if s not in given.values())
    return {name: int(given[name]) if name in given else next(free, fallback)
            for name in names}


MAX_ASSIGNMENTS = 4  # size assignments verify tries when a point is degenerate


def size_assignments(expr: Expr, dims: dict[str, int] | None,
                     more: Sequence[Expr] = ()) -> Iterator[dict[str, int]]:
    """:func:`choose_sizes`, then (at most :data:`MAX_ASSIGNMENTS` in all) other orders of
    the same sizes among the free dimensions, the reversed order first.

    Ranks follow from the sizes: ``X' @ X`` with ``X`` 3×4 is singular for every
    value, while with ``X`` 4×3 it is not; a verify that finds no usable point
    tries the next assignment before it calls the check inconclusive.
    """
    sizes = choose_sizes(expr, dims, more)
    yield sizes
    free = [name for name in sizes if name not in (dims or {})]
    if len(free) < 2:
        return
    values = [sizes[name] for name in free]
    seen = {tuple(values)}
    orders = itertools.chain([values[::-1]], (list(p) for p in itertools.permutations(values)))
    for order in orders:
        if len(seen) >= MAX_ASSIGNMENTS:
            return
        if tuple(order) in seen:
            continue
        seen.add(tuple(order))
        yield {**sizes, **dict(zip(free, order, strict=True))}


# ----------------------------------------------------------------------------------------
# drawing inputs


@dataclass
class Domain:
    """The variables whose values must respect a domain (read off by :func:`read_domain`)."""

    positive: set[str] = field(default_factory=set)  # variables under log, sqrt, x^0.5 ...
    invertible: set[str] = field(default_factory=set)  # square variables under inv, det ...
    unit: set[str] = field(default_factory=set)  # variables under tan: keep small


def read_domain(exprs: Sequence[Expr]) -> Domain:
    """Which variables of ``exprs`` sit under an operator that restricts its argument."""
    dom = Domain()
    for expr in exprs:
        for node in postorder(expr):
            tags = domain_tags(node)
            if not tags:
                continue
            under = node.args[0]
            if "positive" in tags:
                dom.positive.update(under.variables())
            if "unit" in tags:
                dom.unit.update(under.variables())
            if "invertible" in tags:
                dom.invertible.update(n for n, v in under.variables().items()
                                      if v.ndim == 2 and v.shape[0] == v.shape[1])
    return dom


def sample_spd(n: int, rng: np.random.Generator, spread: float = 0.5) -> np.ndarray:
    """A random symmetric positive definite n×n matrix, its eigenvalues about 0.5 to 2."""
    B = rng.normal(size=(n, n))
    return spread * B @ B.T / n + np.eye(n) * (0.5 + rng.uniform(0.5, 1.5))


def sample_symmetric(shape: tuple[int, ...], rng: np.random.Generator,
                     scale: float = 1.0) -> np.ndarray:
    """A random symmetric matrix with normal entries times ``scale``."""
    B = rng.normal(size=shape) * scale
    return (B + B.T) / 2


def draw_value(v: Expr, shape: tuple[int, ...], dom: Domain, rng: np.random.Generator,
               attempt: int) -> Any:
    """One variable's value; the first attempt follows the heuristics, later ones vary them."""
    name = v.name
    scale = 0.85 ** (attempt // 2)
    style = 0 if attempt == 0 else int(rng.integers(0, 4))
    if v.structure == "spd":
        return sample_spd(shape[0], rng, (0.5, 1.0, 0.3, 2.0)[style])
    if v.structure == "symmetric":
        out = sample_symmetric(shape, rng, scale)
        if name in dom.invertible or name in dom.positive:
            out = out * 0.3 + np.eye(shape[0]) * (1.5 if style != 3 else -1.5)
        return out
    square = len(shape) == 2 and shape[0] == shape[1]
    if name in dom.invertible and square and style != 3:
        n = shape[0]
        out = np.eye(n) * 1.5 + rng.normal(size=shape) * 0.3 * scale / np.sqrt(n)
        return np.abs(out) if name in dom.positive else out
    if name in dom.positive and style != 2:
        low, high = ((0.5, 1.5), (0.5, 1.5), (0.2, 0.8), (1.0, 3.0))[style]
        return rng.uniform(low, high, size=shape)
    if style == 1:
        return rng.uniform(0.5, 1.5, size=shape) * scale
    if name in dom.unit:
        return rng.uniform(-0.6, 0.6, size=shape) * scale
    return rng.normal(size=shape) * scale


def draw_inputs(expr: Expr, sizes: dict[str, int], rng: np.random.Generator,
                attempt: int = 0, domain_of: Sequence[Expr] = ()) -> dict[str, Any]:
    """Random values for the variables of ``expr`` (and the sizes of its dimensions).

    ``domain_of`` are further expressions (the derivative) whose domains the
    values must respect too.
    """
    dom = read_domain([expr, *domain_of])
    values: dict[str, Any] = {}
    for name, v in expr.variables().items():
        shape = tuple(dim_value(d, sizes) or 1 for d in v.shape)
        value = np.asarray(draw_value(v, shape, dom, rng, attempt), dtype=float)
        values[name] = float(value) if value.ndim == 0 else value
    for name, size in sizes.items():
        values.setdefault(name, size)
    return values
