"""The generated Dask module over a data matrix larger than memory, against NumPy in memory.

    python -m benchmarks.dask_memory            # NumPy 8 GB; Dask 8 GB and 20 GB (minutes)
    python -m benchmarks.dask_memory --quick    # 0.16 GB and 0.4 GB

The logistic-regression value and gradient (by ``w`` and ``b``) over ``X`` of
``D`` columns, float64.  ``X`` and the labels ``y`` are made chunk by chunk
of ``CHUNK`` rows by a function of the chunk's first row (``da.map_blocks``,
one seeded generator per chunk): the Dask run never holds more than a few
chunks, and the NumPy run fills the very same values into one array in memory
(on this 24 GiB machine, shared with other jobs, 20 GB do not fit).  Every run
is a process of its own, so the peak resident memory it reports
(``ru_maxrss``) is its own; the results of runs over the same rows are
compared.  A third kind of run only generates the data and sums it, to show
how much of the Dask time is making the data rather than the gradient.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

D = 100
CHUNK = 50_000  # rows: 40 MB chunks
TEXT = "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n"


def rows_of(start: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows start .. start + count of X and y, the same whoever asks."""
    x = np.random.default_rng([0, start]).uniform(-1.0, 1.0, size=(count, D))
    y = (np.random.default_rng([1, start]).uniform(size=count) < 0.5) * 1.0
    return x, y


def _x_block(block: Any, block_info: Any = None) -> np.ndarray:
    start = block_info[None]["array-location"][0][0]
    return rows_of(start, block.shape[0])[0]


def _y_block(block: Any, block_info: Any = None) -> np.ndarray:
    start = block_info[None]["array-location"][0][0]
    return rows_of(start, block.shape[0])[1]


def _rss_gb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e9


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def one_run(kind: str, rows: int) -> dict[str, Any]:
    """One run in this process: ``numpy``, ``dask`` or ``generate`` (Dask, data only)."""
    import dask
    import dask.array as da

    import matcalc as mc
    from benchmarks.backends import load

    f = mc.parse(TEXT, shapes={"X": "matrix(n, d)", "b": ()})
    w, b = np.full(D, 0.01), 0.0
    before = _rss_gb()
    result: dict[str, Any] = {"kind": kind, "rows": rows, "before_gb": before}
    if kind == "numpy":
        mod = load(mc.codegen(f, ["w", "b"], 1))
        t0 = time.perf_counter()
        X, y = np.empty((rows, D)), np.empty(rows)
        for start in range(0, rows, CHUNK):
            X[start:start + CHUNK], y[start:start + CHUNK] = rows_of(start,
                                                                   min(CHUNK, rows - start))
        result["generate_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = mod.value_and_derivatives(X=X, y=y, w=w, b=b)
    else:
        Xd = da.map_blocks(_x_block, da.empty((rows, D), chunks=(CHUNK, D)), dtype=float)
        yd = da.map_blocks(_y_block, da.empty(rows, chunks=CHUNK), dtype=float)
        t0 = time.perf_counter()
        with dask.config.set(scheduler="threads", num_workers=2):
            if kind == "generate":
                out = dask.compute(Xd.sum(), yd.sum())
            else:
                mod = load(mc.codegen(f, ["w", "b"], 1, backend="dask"))
                out = mod.value_and_derivatives(X=Xd, y=yd, w=w, b=b)
    result["time_s"] = time.perf_counter() - t0
    result["peak_gb"] = _peak_gb()
    result["out"] = [np.asarray(o).tolist() for o in out]
    return result


def table(quick: bool) -> list[str]:
    """Each run in a fresh process; the markdown table."""
    small, large = (2 * 10**5, 5 * 10**5) if quick else (10**7, 25 * 10**6)
    plan = [("numpy", small), ("dask", small), ("dask", large), ("generate", large)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    root = Path(__file__).resolve().parent.parent
    runs = []
    for kind, rows in plan:
        done = subprocess.run([sys.executable, "-m", "benchmarks.dask_memory", "--run", kind,
                               str(rows)], capture_output=True, text=True, env=env,
                              cwd=root, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{kind} {rows}: {runs[-1]['time_s']:.1f} s, {runs[-1]['peak_gb']:.2f} GB",
              file=sys.stderr)
    reference = runs[0]["out"]

    def check(run: dict[str, Any]) -> str:
        if run["kind"] == "generate":
            return "–"
        if run["rows"] != small:
            return "finite" if np.all(np.isfinite(np.concatenate(
                [np.ravel(o) for o in run["out"]]))) else "not finite"
        agree = all(np.allclose(g, r, rtol=1e-9, atol=1e-12)
                    for g, r in zip(run["out"], reference, strict=True))
        return "= NumPy" if agree else "differs from NumPy"

    label = {"numpy": "NumPy module, X in memory", "dask": "Dask module, X generated by chunk",
             "generate": "Dask, only generating X and y (sum)"}
    lines = [f"| run | rows × {D} (float64) | size of X | time | peak RSS "
             "(process before the run) | result |", "|---|---|---|---|---|---|"]
    for run in runs:
        extra = (f" (+ {run['generate_s']:.1f} s to make X)" if "generate_s" in run else "")
        lines.append(f"| {label[run['kind']]} | {run['rows']:.2e} | "
                     f"{run['rows'] * D * 8 / 1e9:.1f} GB | {run['time_s']:.1f} s{extra} | "
                     f"{run['peak_gb']:.2f} GB ({run['before_gb']:.2f} GB) | {check(run)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.dask_memory")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--run", nargs=2, metavar=("KIND", "ROWS"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run:
        print(json.dumps(one_run(args.run[0], int(args.run[1]))))
        return 0
    print("\n".join(table(args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
