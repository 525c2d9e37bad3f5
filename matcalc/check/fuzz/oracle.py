"""The fuzzer's oracle: every check on one generated example, and what failed.

:func:`check` runs, for one expression:

* it parses (with ``shapes=`` or a ``where`` clause) and ``parse(str(f)) is f``;
* for every variable ``x``: ``diff(f, x)`` succeeds, has shape
  ``f.shape + x.shape``, prints so that ``parse(str(d), shapes=...) is d``
  (shapes from the variables of ``f``, structures as kind strings), and
  :func:`matcalc.verify` passes; for some scalar ``f`` also the Hessian;
* ``evaluate`` agrees with the operator-by-operator values verify used.

:func:`cross_check` adds the SymPy second opinion.  A failure is an
:class:`Outcome` of one of the :data:`FAILURE_KINDS`, with a signature (the kind
and the gist of its message) by which the same failure is recognised.
"""

from __future__ import annotations

import random
import re
import traceback
from dataclasses import dataclass
from typing import Any

from matcalc.check.fuzz.tree import Sample, shapes_of
from matcalc.check.verify import Plan


@dataclass
class Outcome:
    """What :func:`check` found: ``kind`` is ``"pass"``, ``"inconclusive"`` or a failure kind."""

    kind: str
    detail: str = ""
    wrt: str = ""
    derivatives: int = 0
    signature: str = ""

    @property
    def failed(self) -> bool:
        return self.kind not in ("pass", "inconclusive")


FAILURE_KINDS = {
    "parse": "the generated well-typed text did not parse (or a fuzzer bug)",
    "roundtrip-f": "parse(str(f)) is not f",
    "diff-error": "diff raised a MatcalcError on a well-typed expression",
    "crash": "an exception that is not a MatcalcError (parse, diff, print or evaluate)",
    "shape": "the derivative's shape is not f.shape + x.shape",
    "roundtrip": "parse(str(d), shapes=...) is not d for a derivative d",
    "wrong": "verify found the derivative wrong (confirmed with a second seed)",
    "flaky": "verify failed with one seed and passed with another",
    "sympy": "SymPy's entry-by-entry derivative disagrees with matcalc's",
    "slow": "one example took more than a minute (a hang in diff, simplify or SymPy)",
    "evaluate": "evaluate (the lowered NumPy plan) disagrees with the operator-by-operator value",
    "jax": "jax.jacobian of the text, interpreted with JAX, disagrees with matcalc's derivative",
}


def failure_signature(kind: str, text: str) -> str:
    """The kind and the gist of a message, without the expressions it quotes."""
    first = text.strip().splitlines()[-1] if text.strip() else ""
    words = [w for w in first.split() if re.fullmatch(r"[A-Za-z][a-z]{2,}:?|[A-Z]\w+Error:", w)]
    return f"{kind}: {' '.join(words)[:100]}"


def check(s: Sample, seed: int = 0, hessian: bool | None = None) -> Outcome:
    """Every check of the module doc on one example; the first failure found is returned."""
    import matcalc as mc
    from matcalc.core.errors import MatcalcError

    text = s.text()
    try:
        f = mc.parse(text, shapes=s.shapes())
    except MatcalcError as e:
        return Outcome("parse", f"{text}\n{e}", signature=failure_signature("parse", str(e)))
    except Exception:
        tb = traceback.format_exc()
        return Outcome("crash", f"parse({text!r})\n{tb}", signature=failure_signature("crash", tb))
    shapes = shapes_of(f)
    try:
        printed = str(f)
        again = mc.parse(printed, shapes=shapes)
    except Exception as e:
        return Outcome("roundtrip-f", f"{printed!r}: {type(e).__name__}: {e}",
                       signature=failure_signature("roundtrip-f", f"{type(e).__name__}: {e}"))
    if again is not f:
        return Outcome("roundtrip-f", f"{printed!r} re-parses as {str(again)!r}",
                       signature="roundtrip-f")
    rnd = random.Random(f"hessian:{seed}:{text}")
    if hessian is None:
        hessian = not f.shape and rnd.random() < 0.3
    names = list(f.variables())
    plan = [(name, 1) for name in names]
    if hessian and names:
        plan.append((rnd.choice(names), 2))
    inconclusive = ""
    count = 0
    for name, order in plan:
        x = f.variables()[name]
        try:
            d = mc.diff(f, name)
            if order == 2:
                base = d
                d = mc.diff(d, name)
            else:
                base = f
        except MatcalcError as e:
            return Outcome("diff-error", f"diff by {name} (order {order}): {e}", name,
                           signature=failure_signature("diff-error", f"{type(e).__name__}: {e}"))
        except Exception:
            tb = traceback.format_exc()
            return Outcome("crash", f"diff by {name} (order {order})\n{tb}", name,
                           signature=failure_signature("crash", tb))
        count += 1
        want = tuple(map(str, base.shape + x.shape))
        if tuple(map(str, d.shape)) != want:
            return Outcome("shape", f"d/d{name} (order {order}) has shape {d.shape}, "
                           f"expected {want}: {d}", name, signature="shape")
        try:
            printed = str(d)
            back = mc.parse(printed, shapes=shapes)
        except Exception as e:
            return Outcome("roundtrip", f"d/d{name} (order {order}) printed {printed!r}: "
                           f"{type(e).__name__}: {e}", name,
                           signature=failure_signature("roundtrip", f"{type(e).__name__}: {e}"))
        if back is not d:
            return Outcome("roundtrip", f"d/d{name} (order {order}) printed {printed!r}, "
                           f"re-parses as {str(back)!r}", name, signature="roundtrip")
        try:
            report = mc.verify(f, name, seed=seed, order=order)
        except Exception:
            tb = traceback.format_exc()
            return Outcome("crash", f"verify by {name} (order {order})\n{tb}", name,
                           signature=failure_signature("crash", tb))
        if report.inconclusive:
            inconclusive = inconclusive or f"d/d{name} (order {order}): {report.message}"
            continue
        if report.ok:
            problem = _evaluation_agrees(f, d, report.point)
            if problem:
                return Outcome("evaluate", f"d/d{name} (order {order}) = {d}: {problem}", name,
                               signature=failure_signature("evaluate", problem.splitlines()[0]))
        if not report.ok:
            second = mc.verify(f, name, seed=seed + 7919, order=order)
            detail = (f"d/d{name} (order {order}) = {d}\n  {report}")
            detail += "\n  " + _sympy_says(f, name, order)
            if second.ok:
                return Outcome("flaky", detail + f"\n  seed {seed + 7919}: {second}", name,
                               signature="flaky")
            return Outcome("wrong", detail, name, signature=f"wrong (order {order})")
    if inconclusive:
        return Outcome("inconclusive", inconclusive, derivatives=count)
    return Outcome("pass", derivatives=count)


def _evaluation_agrees(f: Any, d: Any, point: dict[str, Any]) -> str:
    """'' when ``evaluate`` agrees with the operator-by-operator values verify used."""
    import numpy as np

    import matcalc as mc

    for e in (f, d):
        try:
            mine = np.asarray(Plan(e).run(point)[0], dtype=float)
            theirs = np.asarray(mc.evaluate(e, point), dtype=float)
        except Exception as ex:
            return f"evaluate({e}) raised {type(ex).__name__}: {ex}"
        if mine.shape != theirs.shape:
            mine = np.broadcast_to(mine, theirs.shape) if mine.ndim == 0 else mine
        scale = float(np.max(np.abs(mine))) if mine.size else 0.0
        if mine.shape != theirs.shape or not np.allclose(theirs, mine, rtol=1e-8,
                                                         atol=1e-10 * max(scale, 1.0)):
            return (f"evaluate({e}) gives {np.array2string(theirs, precision=6)}, "
                    f"operator by operator {np.array2string(mine, precision=6)}")
    return ""


def _sympy_says(f: Any, name: str, order: int) -> str:
    """SymPy's verdict at a rational point (a second opinion on a failure)."""
    from matcalc.check.second_opinion import second_opinion

    try:
        r = second_opinion(f, name, order=order, mode="point")
    except Exception as e:  # the second opinion cannot expand everything
        return f"SymPy: no opinion ({type(e).__name__}: {e})"
    return "SymPy: " + str(r).replace("\n", "\n  ")



def cross_check(s: Sample, seed: int = 0) -> Outcome:
    """The SymPy second opinion on every first derivative of an example (small sizes)."""
    import matcalc as mc
    from matcalc.check.second_opinion import Unsupported, second_opinion

    f = mc.parse(s.text(), shapes=s.shapes())
    count = 0
    for name in f.variables():
        try:
            r = second_opinion(f, name, seed=seed, mode="point")
        except (Unsupported, ZeroDivisionError):
            return Outcome("inconclusive", f"d/d{name}: SymPy cannot expand it")
        except Exception:
            tb = traceback.format_exc()
            return Outcome("crash", f"second opinion on d/d{name}\n{tb}", name,
                           signature=failure_signature("crash", tb))
        if r.message:
            return Outcome("inconclusive", f"d/d{name}: {r.message}", derivatives=count)
        count += 1
        if not r.ok:
            return Outcome("sympy", f"d/d{name} = {mc.diff(f, name)}\n  {r}", name,
                           signature="sympy")
    return Outcome("pass", derivatives=count)
