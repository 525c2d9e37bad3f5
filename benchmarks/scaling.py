"""Table 3: derivation time and result size against the depth K of a network.

The K-layer network ``0.5*norm(y - W_K @ tanh(W_{K-1} @ ... tanh(W_1 @ x)))^2``
is differentiated by the innermost weights ``W_1``, the derivative that goes
through every layer.  Reverse mode over the hash-consed DAG should make the
time and the number of distinct nodes of the result grow linearly in K.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import matcalc as mc
from matcalc.core.expr import count_nodes

DEPTHS = [1, 2, 3, 5, 10, 20, 30, 40, 50]


def network(k: int) -> str:
    inner = "x"
    for i in range(1, k):
        inner = f"tanh(W{i} @ {inner})"
    return f"0.5*norm(y - W{k} @ {inner})^2"


@dataclass
class ScaleRow:
    k: int
    parse_s: float
    diff_s: float
    codegen_s: float
    f_nodes: int
    result_nodes: int
    text_chars: int


def _median(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def run(log: Callable[[str], None] = print, depths: list[int] = DEPTHS) -> list[ScaleRow]:
    rows = []
    for k in depths:
        text = network(k)
        shapes = {"x": ("n",), "y": ("n",), **{f"W{i}": ("n", "n") for i in range(1, k + 1)}}
        rounds = 7 if k <= 20 else 3
        parse_s = _median(lambda t=text, s=shapes: mc.parse(t, shapes=s), rounds)
        f = mc.parse(text, shapes=shapes)
        diff_s = _median(lambda f=f: mc.diff(f, "W1"), rounds)
        g = mc.diff(f, "W1")
        codegen_s = _median(lambda f=f: mc.codegen(f, wrt=["W1"]), max(1, rounds // 2))
        rows.append(ScaleRow(k, parse_s, diff_s, codegen_s, count_nodes(f), count_nodes(g),
                             len(text)))
        log(f"  K={k}: parse {parse_s * 1e3:.1f} ms, diff {diff_s * 1e3:.1f} ms, "
            f"codegen {codegen_s * 1e3:.1f} ms, nodes f {count_nodes(f)} ∂f/∂W1 {count_nodes(g)}")
    return rows
