"""Side-by-side timing: every implementation of a case runs in the same rounds.

Each round takes one sample of every implementation, in a new random order, so
that drifts of the machine (frequency, other load) hit them alike and none
always runs right after the same neighbour (whose work leaves the caches
cold); a sample of a fast implementation is the mean of as many consecutive
calls as make a millisecond.  The figure is the median of the samples.

An implementation whose first (warm-up, compiling) call takes longer
than ``slow_s`` is timed once and marked, and the caller may drop it for larger
sizes.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Timing:
    median_s: float | None
    rounds: int
    note: str = ""


def side_by_side(impls: dict[str, Callable[[], Any]], budget_s: float = 0.8,
                 min_rounds: int = 5, max_rounds: int = 60, slow_s: float = 5.0
                 ) -> dict[str, Timing]:
    results: dict[str, Timing] = {}
    first: dict[str, float] = {}
    live: dict[str, Callable[[], Any]] = {}
    for name, fn in impls.items():  # warm-up: compilation, path search, caches
        try:
            t0 = time.perf_counter()
            fn()
            first[name] = time.perf_counter() - t0
        except MemoryError:
            results[name] = Timing(None, 0, "out of memory")
            continue
        except Exception as exc:  # noqa: BLE001 - a failing framework is a result
            results[name] = Timing(None, 0, f"failed: {type(exc).__name__}")
            continue
        if first[name] > slow_s:
            results[name] = Timing(first[name], 1, "one call (slow)")
        else:
            live[name] = fn
    if not live:
        return results
    loops: dict[str, int] = {}  # calls per sample: at least a millisecond of work
    per_round = 0.0
    for name, fn in live.items():
        t0 = time.perf_counter()
        fn()
        t = time.perf_counter() - t0
        loops[name] = max(1, min(1000, int(1e-3 / max(t, 1e-7))))
        per_round += t * loops[name]
    floor = min_rounds if per_round < 1.0 else 3
    rounds = int(min(max_rounds, max(floor, budget_s / max(per_round, 1e-9))))
    samples: dict[str, list[float]] = {name: [] for name in live}
    order = list(live.items())
    shuffle = random.Random(0)
    for _ in range(rounds):  # a new order each round
        shuffle.shuffle(order)
        for name, fn in order:
            k = loops[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            samples[name].append((time.perf_counter() - t0) / k)
    for name in live:
        results[name] = Timing(statistics.median(samples[name]), rounds)
    return {name: results[name] for name in impls if name in results}


def fmt_time(t: float | None) -> str:
    if t is None:
        return "–"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"
