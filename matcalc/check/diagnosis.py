"""What went wrong in a claimed derivative: the claim's values against the true derivative's.

:func:`diagnose` takes the values of a claim and of the derivative at several
points (:class:`Sample`) and tests the claim against transformations of the
derivative, in the order a person most often makes the mistake:

- the derivative itself, times a constant ``c`` (``c = 1``: right; ``c = -1``:
  ``sign``; otherwise ``factor``, named as a fraction, or as a dimension size
  when it changes with the sizes: ``n``, ``1/n``, ``2*m*n`` ...);
- its axes permuted (``transposed``; for tensors it says which axes), or the
  function's axes and the variable's exchanged (``layout``: a Jacobian in the
  other convention), or reshaped into a row (``layout``: the numerator
  convention where the column is meant); each may carry a factor too;
- for a symmetric variable, the gradient that ignores the symmetry ``H`` or
  the Matrix Cookbook's ``H + H' - diag(diag(H))`` where ``(H + H')/2`` is right
  (``symmetric``);
- else ``differs``.

The finding carries a ``correction``: the text of an expression in the claim
(``{claim}`` in it stands for the claim) that would be right, so each
diagnosis can itself be checked.  Points are drawn at two sets of sizes, so a
factor that depends on a dimension is told from a constant.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Finding", "Sample", "close", "diagnose", "difference"]

RTOL = 1e-7  # both sides are evaluated exactly (no finite differences): rounding only
ATOL = 1e-10
LETTERS = "abcdefghijklmnopqrstuvwxyz"
CITATION = ('Srinivasan and Panda, "What is the gradient of a scalar function of a '
            'symmetric matrix?" (2019)')


@dataclass
class Sample:
    """The values at one point: the derivative, the claim, and (symmetric variables) ``H``."""

    expected: np.ndarray
    claim: np.ndarray
    sizes: dict[str, int]
    general: np.ndarray | None = None  # the gradient that ignores the variable's symmetry
    point: dict[str, Any] = field(default_factory=dict, repr=False)  # the variables' values


@dataclass
class Finding:
    """A verdict on one claim: its ``kind`` (one of the words of SPEC section 4) and a sentence."""

    kind: str  # right, transposed, layout, factor, sign, symmetric, differs
    sentence: str
    correction: str = ""  # an expression right where the claim is wrong ({claim}: the claim)
    factor: str = ""  # the constant factor, as text: "2", "1/2", "1/n"
    axes: tuple[int, ...] = ()  # transposed: the derivative's axes in the claim's order (1-based)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind == "right"


def close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to rounding (relative to the larger of the two)."""
    if a.shape != b.shape:
        return False
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    if a.size == 0:
        return True
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    return float(np.max(np.abs(a - b))) <= ATOL + RTOL * scale


def difference(samples: Sequence[Sample]) -> tuple[float, float]:
    """The largest absolute and relative differences of the claim from the derivative.

    Arrays of different shapes but as many entries are compared entry by entry
    in storage order; arrays with different numbers of entries differ infinitely.
    """
    worst_abs = worst_rel = 0.0
    for s in samples:
        e, c = s.expected, s.claim
        if e.shape != c.shape:
            if e.size != c.size:
                return math.inf, math.inf
            e, c = e.ravel(), c.ravel()
        if e.size == 0:
            continue
        with np.errstate(all="ignore"):
            a = float(np.max(np.abs(c - e)))
        scale = float(np.max(np.abs(e)))
        worst_abs = max(worst_abs, a if math.isfinite(a) else math.inf)
        worst_rel = max(worst_rel, a / scale if scale > 0 else (0.0 if a == 0 else math.inf))
    return worst_abs, worst_rel


# ----------------------------------------------------------------------------------------
# factors


def _fit(claims: Sequence[np.ndarray], candidates: Sequence[np.ndarray]) -> list[float] | None:
    """The constants ``c`` with ``claim = c · candidate`` at each point (None if there are none)."""
    out: list[float] = []
    for cl, k in zip(claims, candidates, strict=True):
        if cl.shape != k.shape or not np.all(np.isfinite(cl)):
            return None
        kk = float(np.vdot(k, k))
        if kk == 0.0:
            if not close(cl, k):
                return None
            continue  # nothing to learn about c at a point where both vanish
        c = float(np.vdot(cl, k)) / kk
        if c == 0.0 or not close(cl, c * k):
            return None
        out.append(c)
    return out or None


def _same(a: float, b: float, tol: float = 1e-6) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b))


def _fraction(x: float, limit: int = 24) -> Fraction | None:
    q = Fraction(x).limit_denominator(limit)
    return q if _same(float(q), x, 1e-9) else None


def _ratio_text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _scaled(r: Fraction, product: str, power: int, count: int) -> str:
    """``r * product`` (power 1) or ``r / product`` (power -1) as text the parser reads."""
    p, q = r.numerator, r.denominator
    if power == 1:
        head = {1: "", -1: "-"}.get(p, f"{p}*")
        return f"{head}{product}" if q == 1 else f"{head}{product}/{q}"
    den = product if q == 1 else f"{q}*{product}"
    return f"{p}/{den}" if q == 1 and count == 1 else f"{p}/({den})"


def _dimension_factor(per_sizes: list[tuple[dict[str, int], float]]) -> str | None:
    """``r * size`` or ``r / size`` (size: a dimension or a product of two) fitting every c."""
    names = sorted(per_sizes[0][0])
    bases = [(n,) for n in names] + list(itertools.combinations(names, 2))
    for base in bases:
        for power in (1, -1):
            ratios = []
            for sizes, c in per_sizes:
                size = math.prod(sizes[n] for n in base)
                ratios.append(c / size ** power)
            if not all(_same(r, ratios[0], 1e-9) for r in ratios):
                continue
            r = _fraction(ratios[0])
            if r is None:
                continue
            return _scaled(r, "*".join(base), power, len(base))
    return None


def _name_factor(samples: Sequence[Sample], cs: list[float]) -> str | None:
    """The factor as text (``2``, ``1/2``, ``n``, ``1/(m*n)``), or None if it is not constant."""
    groups: dict[tuple[tuple[str, int], ...], list[float]] = {}
    for s, c in zip(samples, cs, strict=False):
        groups.setdefault(tuple(sorted(s.sizes.items())), []).append(c)
    per_sizes: list[tuple[dict[str, int], float]] = []
    for key, values in groups.items():
        if not all(_same(v, values[0]) for v in values):
            return None  # varies with the point: not a constant factor
        per_sizes.append((dict(key), values[0]))
    first = per_sizes[0][1]
    if all(_same(c, first) for _, c in per_sizes):
        q = _fraction(first)
        return _ratio_text(q) if q is not None else f"{first:.12g}"
    return _dimension_factor(per_sizes)


# ----------------------------------------------------------------------------------------
# transformations of the derivative


@dataclass
class _Candidate:
    kind: str  # "" (the derivative itself), "transposed", "layout", "symmetric"
    arrays: list[np.ndarray]
    what: str  # how the claim relates, for the sentence
    correction: str  # from the claim back to the derivative ({claim})
    axes: tuple[int, ...] = ()


def _permute_text(inverse: Sequence[int]) -> str:
    """``{claim}'`` or an einsum putting the claim's axes back in the derivative's order."""
    n = len(inverse)
    if n == 2:
        return "({claim})'"
    src = LETTERS[:n]
    dst = "".join(src[i] for i in inverse)
    return f'einsum("{src}->{dst}", {{claim}})'


def _reshaped(want: tuple[int, ...], have: tuple[int, ...]) -> tuple[str, str]:
    """How a claim of shape ``have`` holds the entries of a derivative of shape ``want``."""
    if len(have) == 2 and have[0] == 1 and len(want) == 1:
        return ("a row where the gradient is a column: the numerator convention (right with "
                "layout numerator)", "({claim})'")
    if len(want) == 2 and want[0] == 1 and len(have) == 1:
        return "a column where numerator layout has a row", "({claim})'"
    if len(want) == 1 and len(have) == 2:
        return "a one-column matrix where the derivative is a vector", "vec({claim})"
    shown = "×".join(map(str, want)) or "a scalar"
    return f"shaped {'×'.join(map(str, have))} where the derivative is {shown}", ""


def _candidates(samples: Sequence[Sample], split: int, var_ndim: int,
                structure: str) -> list[_Candidate]:
    first = samples[0]
    e, cl = first.expected, first.claim
    out = [_Candidate("", [s.expected for s in samples], "", "{claim}")]
    if e.shape != cl.shape and e.size == cl.size and \
            [d for d in e.shape if d != 1] == [d for d in cl.shape if d != 1]:
        what, fix = _reshaped(e.shape, cl.shape)
        out.append(_Candidate("layout", [s.expected.reshape(s.claim.shape) for s in samples],
                              what, fix))
    swap = tuple(range(split, e.ndim)) + tuple(range(split))
    block = 0 < split < e.ndim and var_ndim == e.ndim - split

    def simplest(perm: tuple[int, ...]) -> tuple[bool, int]:
        # where several orders give the same numbers (a Kronecker delta's axes), say the
        # other layout if it is one, else the order that moves the fewest axes
        return (not (block and perm == swap), sum(p != i for i, p in enumerate(perm)))

    for perm in sorted(itertools.permutations(range(e.ndim)), key=simplest):
        if list(perm) == sorted(perm) or tuple(e.shape[p] for p in perm) != cl.shape:
            continue
        inverse = tuple(int(i) for i in np.argsort(perm))
        block_swap = block and perm == swap
        axes = tuple(p + 1 for p in perm)
        if block_swap:
            what = ("the derivative with the variable's axes first and the function's after: "
                    "the other layout convention (matcalc's result has the shape of f "
                    "followed by the shape of the variable, as jax.jacobian)")
            kind = "layout"
        elif e.ndim == 2:
            what, kind = "the transpose of the derivative", "transposed"
        else:
            moved = [i + 1 for i, p in enumerate(perm) if p != i]
            pair = (f"axes {moved[0]} and {moved[1]} swapped" if len(moved) == 2
                    else f"its axes in the order ({', '.join(map(str, axes))})")
            what, kind = f"the derivative with {pair}", "transposed"
        out.append(_Candidate(kind, [np.transpose(s.expected, perm) for s in samples], what,
                              _permute_text(inverse), axes))
    if structure and all(s.general is not None for s in samples) and e.ndim == 2:
        hs = [np.asarray(s.general) for s in samples]
        out.append(_Candidate("symmetric", hs, "H",
                              "({claim} + ({claim})')/2"))
        out.append(_Candidate("symmetric", [h.T for h in hs],
                              "H'",
                              "({claim} + ({claim})')/2"))
        cookbook = [h + h.T - np.diag(np.diag(h)) for h in hs]
        out.append(_Candidate("symmetric", cookbook,
                              "the Matrix Cookbook's H + H' - diag(diag(H))",
                              "({claim} + diag(diag({claim})))/2"))
    return out


def diagnose(samples: Sequence[Sample], split: int, var_ndim: int, structure: str = "",
             wrt: str = "x") -> Finding:
    """The verdict on a claim from its values and the derivative's (see the module doc).

    ``split`` is the number of leading axes of the derivative that belong to the
    function, ``var_ndim`` the number that belong to the variable; ``structure``
    the variable's (``symmetric``/``spd``), for the ``symmetric`` diagnosis.
    """
    claims = [s.claim for s in samples]
    if all(close(s.claim, s.expected) for s in samples):  # also where both are zero
        return Finding("right", "right")
    for cand in _candidates(samples, split, var_ndim, structure):
        cs = _fit(claims, cand.arrays)
        if cs is None:
            continue
        name = _name_factor(samples, cs)
        if name is None:
            continue
        if cand.kind == "":
            if name == "1":
                return Finding("right", "right")
            if name == "-1":
                return Finding("sign", "sign: the claim is the derivative with the opposite "
                               "sign (a factor -1)", "-({claim})", "-1")
            return Finding("factor", f"factor: the claim is {name} times the derivative",
                           f"({{claim}})/({name})", name)
        if cand.kind == "symmetric":
            if name != "1":
                continue
            sentence = (f"symmetric: the claim is {cand.what}, H being the gradient by {wrt} "
                        f"taken as a general matrix; {wrt} is symmetric, so only symmetric "
                        f"perturbations d{wrt} exist and the gradient is the symmetric G with "
                        f"df = tr(G' d{wrt}), G = (H + H')/2 (see {CITATION})")
            return Finding("symmetric", sentence, cand.correction)
        fix = cand.correction
        sentence = f"{cand.kind}: the claim is {cand.what}"
        factor = ""
        if name != "1":
            factor = name
            fix = fix.replace("{claim}", f"({{claim}})/({name})")
            sentence += (", and has the opposite sign (a factor -1)" if name == "-1"
                         else f", times a factor {name}")
        return Finding(cand.kind, sentence, fix, factor, cand.axes)
    return Finding("differs", "differs: the claim is not the derivative, nor its transpose, "
                   "a multiple of it or another layout of it")
