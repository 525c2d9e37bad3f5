"""Generated JAX, PyTorch and Dask modules against each library's own autodiff.

    python -m benchmarks.backends              # the three tables (markdown on stdout)
    python -m benchmarks.backends --quick      # smaller sizes

* backends: generated JAX (jitted) against ``jax.jit(jax.grad)`` /
  ``jax.jit(jax.hessian)`` of the same loss written in ``jax.numpy``, and
  generated torch against ``torch.func.grad`` / ``torch.func.hessian``;
* HVP: the generated ``hessian_vector_product`` (jitted) against
  ``jax.jvp`` of ``jax.grad`` for least squares with n variables;
* Dask: the logistic-regression gradient over a data matrix that a function
  generates chunk by chunk (``da.map_blocks``; never held in memory), with the
  process's peak resident memory, against the NumPy module on an in-memory
  matrix of the size that is comfortable here.

CPU only (the GPU is not available to this run); float64 throughout.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import matcalc as mc
from benchmarks.timing import fmt_time, side_by_side


def load(source: str) -> Any:
    import importlib.util

    path = Path(tempfile.mkdtemp()) / "generated_bench.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"gen_{id(source)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOGISTIC = "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n"
LSQ = "0.5*norm(y - A@x)^2"
LAYER = "0.5*norm(y - tanh(A@x + b))^2"


def cases(quick: bool) -> list[tuple[str, str, dict[str, Any], str, int, dict[str, Any]]]:
    rng = np.random.default_rng(0)
    n, d = (2000, 50) if quick else (20000, 200)
    m, k = (300, 200) if quick else (1000, 800)
    logistic = {"X": rng.normal(size=(n, d)), "y": (rng.uniform(size=n) > 0.5) * 1.0,
                "w": rng.normal(size=d) * 0.1, "b": 0.1}
    lsq = {"A": rng.normal(size=(m, k)), "y": rng.normal(size=m), "x": rng.normal(size=k)}
    layer = {"A": rng.normal(size=(m, k)) * 0.05, "b": rng.normal(size=m),
             "x": rng.normal(size=k), "y": rng.normal(size=m)}
    return [
        (f"logistic regression n={n} d={d}", LOGISTIC, {"X": "matrix(n, d)", "b": ()}, "w", 1,
         logistic),
        (f"logistic regression Hessian n={n} d={d}", LOGISTIC, {"X": "matrix(n, d)", "b": ()},
         "w", 2, logistic),
        (f"least squares Hessian m={m} n={k}", LSQ, {}, "x", 2, lsq),
        (f"single layer loss by A m={m} n={k}", LAYER, {}, "A", 1, layer),
    ]


def jax_loss(text: str) -> Any:
    import jax
    import jax.numpy as jnp

    if text == LOGISTIC:
        def f(X: Any, y: Any, w: Any, b: Any) -> Any:
            z = X @ w + b
            return -jnp.sum(y * jax.nn.log_sigmoid(z) + (1 - y) * jax.nn.log_sigmoid(-z)) / len(y)
    elif text == LSQ:
        def f(A: Any, y: Any, x: Any) -> Any:  # type: ignore[misc]
            return 0.5 * jnp.sum((y - A @ x) ** 2)
    else:
        def f(A: Any, b: Any, x: Any, y: Any) -> Any:  # type: ignore[misc]
            return 0.5 * jnp.sum((y - jnp.tanh(A @ x + b)) ** 2)
    return f


def torch_loss(text: str) -> Any:
    import torch

    if text == LOGISTIC:
        def f(X: Any, y: Any, w: Any, b: Any) -> Any:
            z = X @ w + b
            return -torch.sum(y * torch.nn.functional.logsigmoid(z)
                              + (1 - y) * torch.nn.functional.logsigmoid(-z)) / len(y)
    elif text == LSQ:
        def f(A: Any, y: Any, x: Any) -> Any:  # type: ignore[misc]
            return 0.5 * torch.sum((y - A @ x) ** 2)
    else:
        def f(A: Any, b: Any, x: Any, y: Any) -> Any:  # type: ignore[misc]
            return 0.5 * torch.sum((y - torch.tanh(A @ x + b)) ** 2)
    return f


def backend_table(quick: bool) -> list[str]:
    import jax
    import torch
    import torch.func

    jax.config.update("jax_enable_x64", True)
    rows = ["| case | generated JAX (jit) | jax.jit(jax.grad/hessian) | ratio "
            "| generated torch | torch.func | ratio |", "|---|---|---|---|---|---|---|"]
    for label, text, shapes, w, order, values in cases(quick):
        f = mc.parse(text, shapes=shapes)
        jmod = load(mc.codegen(f, [w], order, backend="jax"))
        tmod = load(mc.codegen(f, [w], order, backend="torch"))
        gen_jax = jax.jit(jmod.value_and_derivatives)
        loss = jax_loss(text)
        names = list(loss.__code__.co_varnames[:loss.__code__.co_argcount])
        argnum = names.index(w)
        auto = jax.grad if order == 1 else jax.hessian
        ref_jax = jax.jit(auto(loss, argnums=argnum))
        jv = {k: jax.numpy.asarray(v) for k, v in values.items()}
        tv = {k: torch.as_tensor(np.asarray(v)) for k, v in values.items()}
        tloss = torch_loss(text)
        tauto = torch.func.grad if order == 1 else torch.func.hessian
        ref_torch = tauto(tloss, argnums=argnum)
        t = side_by_side({
            "gj": lambda: jax.block_until_ready(gen_jax(**jv)),  # noqa: B023 - called in this iteration
            "aj": lambda: jax.block_until_ready(ref_jax(*[jv[k] for k in names])),  # noqa: B023 - called in this iteration
            "gt": lambda: tmod.value_and_derivatives(**tv),  # noqa: B023 - called in this iteration
            "at": lambda: ref_torch(*[tv[k] for k in names]),  # noqa: B023 - called in this iteration
        })
        med = {k: v.median_s for k, v in t.items()}
        slow = {k for k, v in t.items() if v.note}  # one first call, compilation included

        def ratio(a: str, b: str) -> str:
            x, y = med[a], med[b]  # noqa: B023 - called in this iteration
            return f"{x / y:.2f}×" if x and y else "-"
        shown = {k: fmt_time(v) + (" *" if k in slow else "") for k, v in med.items()}
        rows.append(f"| {label} | {shown['gj']} | {shown['aj']} | "
                    f"{ratio('gj', 'aj')} | {shown['gt']} | {shown['at']} | "
                    f"{ratio('gt', 'at')} |")
        print(rows[-1], file=sys.stderr)
    return rows


def hvp_table(quick: bool) -> list[str]:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    f = mc.parse(LSQ)
    mod = load(mc.codegen(f, ["x"], 1, backend="jax", hvp=True))
    gen = jax.jit(mod.hessian_vector_product)
    rows = ["| n (A is 10×n) | generated hessian_vector_product (jit) | jax.jvp(jax.grad) (jit) "
            "| ratio |", "|---|---|---|---|"]
    for n in ([10**5] if quick else [10**5, 10**6]):
        rng = np.random.default_rng(1)
        A, y = jnp.asarray(rng.normal(size=(10, n))), jnp.asarray(rng.normal(size=10))
        x, v = jnp.asarray(rng.normal(size=n)), jnp.asarray(rng.normal(size=n))

        def loss(x: Any) -> Any:
            return 0.5 * jnp.sum((y - A @ x) ** 2)  # noqa: B023 - called in this iteration

        ref = jax.jit(lambda x, v: jax.jvp(jax.grad(loss), (x,), (v,))[1])
        t = side_by_side({"g": lambda: jax.block_until_ready(gen(v, A=A, y=y, x=x)),  # noqa: B023 - called in this iteration
                          "r": lambda: jax.block_until_ready(ref(x, v))})  # noqa: B023 - called in this iteration
        g, r = t["g"].median_s, t["r"].median_s
        star = {k: " *" if t[k].note else "" for k in t}  # one first call, compilation included
        rows.append(f"| {n:.0e} | {fmt_time(g)}{star['g']} | {fmt_time(r)}{star['r']} | "
                    f"{g / r:.2f}× |" if g and r else f"| {n} | - | - | - |")
        print(rows[-1], file=sys.stderr)
    return rows


def _rows(block: Any, block_info: Any = None) -> Any:
    """One chunk of the data matrix, made from its position (never stored)."""
    start = block_info[None]["array-location"][0][0]
    rng = np.random.default_rng(start)
    return rng.normal(size=block.shape)


def dask_table(quick: bool) -> list[str]:
    import dask
    import dask.array as da

    f = mc.parse(LOGISTIC, shapes={"X": "matrix(n, d)", "b": ()})
    dmod = load(mc.codegen(f, ["w", "b"], 1, backend="dask"))
    nmod = load(mc.codegen(f, ["w", "b"], 1))
    d = 20
    rows = ["| rows × 20 (float64) | data size | backend | time | peak RSS of the process |",
            "|---|---|---|---|---|"]
    w = np.full(d, 0.01)
    small = 2 * 10**5 if quick else 10**6
    rng = np.random.default_rng(0)
    X = rng.normal(size=(small, d))
    y = (rng.uniform(size=small) > 0.5) * 1.0
    t0 = time.perf_counter()
    nmod.value_and_derivatives(X=X, y=y, w=w, b=0.0)
    rows.append(f"| {small:.0e} | {X.nbytes / 1e9:.2f} GB | NumPy (in memory) | "
                f"{time.perf_counter() - t0:.2f} s | {_peak_gb():.2f} GB |")
    del X, y
    for n in ([small, 4 * 10**6] if quick else [small, 2 * 10**7]):
        chunk = 10**5
        Xd = da.map_blocks(_rows, da.empty((n, d), chunks=(chunk, d)), dtype=float)
        yd = (da.random.default_rng(1).uniform(size=n, chunks=chunk) > 0.5) * 1.0
        t0 = time.perf_counter()
        with dask.config.set(scheduler="threads"):
            dmod.value_and_derivatives(X=Xd, y=yd, w=w, b=0.0)
        rows.append(f"| {n:.0e} | {n * d * 8 / 1e9:.2f} GB (generated) | Dask, chunks of "
                    f"{chunk:.0e} rows | {time.perf_counter() - t0:.1f} s | {_peak_gb():.2f} GB |")
        print(rows[-1], file=sys.stderr)
    return rows


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.backends")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", choices=("backends", "hvp", "dask"), action="append")
    args = p.parse_args(argv)
    tables = {"backends": backend_table, "hvp": hvp_table, "dask": dask_table}
    for name in args.only or list(tables):
        print(f"\n### {name}\n")
        print("\n".join(tables[name](args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
