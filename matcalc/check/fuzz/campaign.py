"""Fuzz campaigns: many examples (in worker processes), their figures, minimal failures.

Example ``i`` of the campaign with seed ``s`` is :func:`matcalc.check.fuzz.sample`
``(s, i)``, independent of the others, so a campaign splits into ranges
(:func:`run_range`) run in any order and merged (:class:`Campaign`), and any
example can be replayed.  Each example has a time limit; a fraction of those
that pass is also cross-checked with SymPy.  :func:`minimise` shrinks the first
example of each distinct failure.
"""

from __future__ import annotations

import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from matcalc.check.fuzz.generator import sample
from matcalc.check.fuzz.oracle import FAILURE_KINDS, Outcome, check, cross_check, failure_signature
from matcalc.check.fuzz.shrink import shrink
from matcalc.check.fuzz.tree import Sample


@dataclass
class Campaign:
    """The figures of a campaign."""

    seed: int
    tried: int = 0
    passed: int = 0
    inconclusive: int = 0
    derivatives: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    signatures: Counter[str] = field(default_factory=Counter)
    # signature -> (index, text, detail) of its first example
    examples: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    inconclusive_examples: list[tuple[int, str, str]] = field(default_factory=list)
    seconds: float = 0.0
    sympy_checked: int = 0
    sympy_timeouts: int = 0
    failed_indices: list[int] = field(default_factory=list)  # the first 500, for --replay

    def add(self, index: int, s: Sample, o: Outcome) -> None:
        self.tried += 1
        self.derivatives += o.derivatives
        if o.kind == "pass":
            self.passed += 1
        elif o.kind == "inconclusive":
            self.inconclusive += 1
            if len(self.inconclusive_examples) < 5:
                self.inconclusive_examples.append((index, s.describe(), o.detail))
        else:
            self.failures[o.kind] += 1
            self.signatures[o.signature] += 1
            self.examples.setdefault(o.signature, (index, s.describe(), o.detail))
            if len(self.failed_indices) < 500:
                self.failed_indices.append(index)

    def merge(self, other: Campaign) -> None:
        self.tried += other.tried
        self.passed += other.passed
        self.inconclusive += other.inconclusive
        self.derivatives += other.derivatives
        self.sympy_checked += other.sympy_checked
        self.sympy_timeouts += other.sympy_timeouts
        self.failures.update(other.failures)
        self.signatures.update(other.signatures)
        for k, v in other.examples.items():
            if k not in self.examples or v[0] < self.examples[k][0]:
                self.examples[k] = v
        self.inconclusive_examples = (self.inconclusive_examples
                                      + other.inconclusive_examples)[:5]
        self.failed_indices = sorted(self.failed_indices + other.failed_indices)[:500]

    def report(self, minimal: dict[str, tuple[str, str]] | None = None) -> str:
        lines = [f"fuzz campaign: seed {self.seed}, {self.tried} expressions in "
                 f"{self.seconds:.0f} s",
                 f"  passed        {self.passed}",
                 f"  inconclusive  {self.inconclusive}  (no point found where f and its "
                 "derivatives are finite and smooth)",
                 f"  failed        {sum(self.failures.values())}",
                 f"  derivatives checked: {self.derivatives}",
                 f"  cross-checked with SymPy: {self.sympy_checked}"
                 + (f" ({self.sympy_timeouts} more gave up: SymPy too slow)"
                    if self.sympy_timeouts else "")]
        if self.failures:
            lines.append("failures by kind:")
            for kind, n in self.failures.most_common():
                lines.append(f"  {kind:12s} {n:6d}   {FAILURE_KINDS.get(kind, '')}")
            lines.append("distinct failures (first example; minimal example when shrunk):")
            for sig, n in self.signatures.most_common():
                index, text, detail = self.examples[sig]
                lines.append(f"- [{n}x] {sig}")
                lines.append(f"    example {index}: {text}")
                if minimal and sig in minimal:
                    mtext, mdetail = minimal[sig]
                    lines.append(f"    minimal:    {mtext}")
                    lines.append("      " + mdetail.strip().replace("\n", "\n      ")[:1500])
                else:
                    lines.append("      " + detail.strip().replace("\n", "\n      ")[:1500])
        if self.failed_indices:
            lines.append("failing examples (--replay N): "
                         + " ".join(map(str, self.failed_indices)))
        if self.inconclusive_examples:
            lines.append("inconclusive examples:")
            for index, text, detail in self.inconclusive_examples:
                lines.append(f"  {index}: {text}\n      {detail[:300]}")
        return "\n".join(lines)


class _Slow(BaseException):  # not an Exception: check() must not catch it
    pass


class _time_limit:  # noqa: N801 - a context manager, used like a function
    """Raise :class:`_Slow` in the block after ``seconds`` (main thread, Unix; else no limit)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> None:
        import signal
        import threading

        if (self.seconds and hasattr(signal, "setitimer")
                and threading.current_thread() is threading.main_thread()):
            def alarm(signum: int, frame: Any) -> None:
                raise _Slow()

            self.previous = signal.signal(signal.SIGALRM, alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True

    def __exit__(self, *exc: Any) -> None:
        if self.armed:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def run_range(seed: int, start: int, stop: int, depth: int = 3, exclude: Sequence[str] = (),
              deadline: float | None = None, sympy: float = 0.0,
              example_limit: float | None = 60.0, jax: float = 0.0,
              corners: bool = False) -> Campaign:
    """Examples ``start`` to ``stop``; a fraction ``sympy`` of those that pass is also
    cross-checked with the SymPy second opinion, a fraction ``jax`` with JAX's
    ``jacobian`` (:mod:`~matcalc.check.fuzz.jax_oracle`); ``corners`` adds the
    productions of :mod:`~matcalc.check.fuzz.einsums`.  All examples of a range run
    in this process, one after the other, so state leaking between parses shows."""
    import warnings

    camp = Campaign(seed)
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(start, stop):
            if deadline is not None and time.time() > deadline:
                break
            s = sample(seed, i, depth, exclude, corners)
            try:
                with _time_limit(example_limit):
                    o = check(s, seed=i)
            except _Slow:
                o = Outcome("slow", f"more than {example_limit:g} s", signature="slow")
            except Exception:  # pragma: no cover
                tb = traceback.format_exc()
                o = Outcome("crash", tb, signature=failure_signature("crash", tb))
            if o.kind == "pass" and random.Random(f"sympy:{seed}:{i}").random() < sympy:
                try:  # SymPy's exact arithmetic can take long (a huge rational to a power 0.7):
                    with _time_limit(example_limit):  # then it has no opinion, no failure
                        so = cross_check(s, seed=i)
                    camp.sympy_checked += 1
                    if so.failed:
                        o = so
                except _Slow:
                    camp.sympy_timeouts += 1
            if o.kind == "pass" and random.Random(f"jax:{seed}:{i}").random() < jax:
                o = _jax(s, i, example_limit) or o
            camp.add(i, s, o)
    camp.seconds = time.monotonic() - t0
    return camp


def _jax(s: Sample, i: int, limit: float | None) -> Outcome | None:
    """The JAX oracle's failure on ``s`` (None when it agrees or has no opinion)."""
    from matcalc.check.fuzz.jax_oracle import jax_check

    try:
        with _time_limit(limit):
            o = jax_check(s, seed=i)
    except _Slow:
        return None
    except Exception:
        tb = traceback.format_exc()
        return Outcome("crash", f"jax oracle\n{tb}", signature=failure_signature("crash", tb))
    return o if o.failed else None


def _worker(args: tuple[Any, ...]) -> Campaign:
    return run_range(*args)


def campaign(examples: int, seed: int = 0, jobs: int = 1, depth: int = 3,
             exclude: Sequence[str] = (), time_limit: float | None = None,
             progress: Callable[[Campaign], None] | None = None,
             sympy: float = 0.0, jax: float = 0.0, corners: bool = False) -> Campaign:
    """Run ``examples`` examples (in ``jobs`` processes), stopping after ``time_limit`` s."""
    deadline = time.time() + time_limit if time_limit else None
    total = Campaign(seed)
    t0 = time.monotonic()
    chunk = 50
    tasks = [(seed, i, min(i + chunk, examples), depth, tuple(exclude), deadline, sympy, 60.0,
              jax, corners) for i in range(0, examples, chunk)]
    if jobs <= 1:
        for t in tasks:
            total.merge(_worker(t))
            total.seconds = time.monotonic() - t0
            if progress:
                progress(total)
            if deadline is not None and time.time() > deadline:
                break
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
        with ctx.Pool(jobs) as pool:  # leaving the block terminates stragglers
            for part in pool.imap_unordered(_worker, tasks):
                total.merge(part)
                total.seconds = time.monotonic() - t0
                if progress:
                    progress(total)
                if deadline is not None and time.time() > deadline + 90:
                    break
    total.seconds = time.monotonic() - t0
    return total


def minimise(camp: Campaign, depth: int = 3, exclude: Sequence[str] = (),
             budget: float = 60.0) -> dict[str, tuple[str, str]]:
    """The minimal example of each distinct failure of ``camp``."""
    out: dict[str, tuple[str, str]] = {}
    for sig, (index, _, _) in camp.examples.items():
        s = sample(camp.seed, index, depth, exclude)
        o = check(s, seed=index)
        if not o.failed:
            continue
        small, so = shrink(s, o, seed=index, budget=budget)
        out[sig] = (small.describe(), so.detail)
    return out
