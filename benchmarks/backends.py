"""Generated JAX, PyTorch and Dask modules against each library's own autodiff.

    python -m benchmarks.backends              # the three tables (markdown on stdout)
    python -m benchmarks.backends --quick      # smaller sizes

* backends: generated JAX (jitted) against ``jax.jit(jax.grad)`` /
  ``jax.jit(jax.hessian)`` of the same loss written in ``jax.numpy``, and
  generated torch against ``torch.func.grad`` / ``torch.func.hessian``;
* HVP: the generated ``hessian_vector_product`` (jitted) against
  ``jax.jvp`` of ``jax.grad`` for least squares with n variables;
* Dask: :mod:`benchmarks.dask_memory` (the logistic-regression gradient over a
  20 GB data matrix generated chunk by chunk, with each run's peak memory,
  against NumPy in memory).

CPU, float64 throughout; the GPU figures are :mod:`benchmarks.gpu`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
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


Case = tuple[str, str, dict[str, Any], str, int, dict[str, Any]]


def cases(quick: bool) -> list[Case]:
    return cases_of_size(*((2000, 50, 300, 200) if quick else (20000, 200, 1000, 800)))


def cases_of_size(n: int, d: int, m: int, k: int) -> list[Case]:
    """(label, text, shapes, wrt, order, values): logistic regression over n x d data,
    least squares and a layer's loss with an m x k matrix."""
    rng = np.random.default_rng(0)
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
            "| jax.jit(jax.value_and_grad) | ratio | generated torch | torch.func | ratio |",
            "|---|---|---|---|---|---|---|---|---|"]
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
        both_jax = jax.jit(jax.value_and_grad(loss, argnums=argnum))  # what the module returns
        jv = {k: jax.numpy.asarray(v) for k, v in values.items()}
        tv = {k: torch.as_tensor(np.asarray(v)) for k, v in values.items()}
        tloss = torch_loss(text)
        tauto = torch.func.grad if order == 1 else torch.func.hessian
        ref_torch = tauto(tloss, argnums=argnum)
        impls = {
            "gj": lambda: jax.block_until_ready(gen_jax(**jv)),  # noqa: B023 - called in this iteration
            "aj": lambda: jax.block_until_ready(ref_jax(*[jv[k] for k in names])),  # noqa: B023 - called in this iteration
            "gt": lambda: tmod.value_and_derivatives(**tv),  # noqa: B023 - called in this iteration
            "at": lambda: ref_torch(*[tv[k] for k in names]),  # noqa: B023 - called in this iteration
        }
        if order == 1:
            impls["vj"] = lambda: jax.block_until_ready(both_jax(*[jv[k] for k in names]))  # noqa: B023 - called in this iteration
        t = side_by_side(impls)
        med = {k: v.median_s for k, v in t.items()}
        slow = {k for k, v in t.items() if v.note}  # one first call, compilation included

        def ratio(a: str, b: str) -> str:
            x, y = med.get(a), med.get(b)  # noqa: B023 - called in this iteration
            return f"{x / y:.2f}×" if x and y else "–"
        shown = {k: fmt_time(v) + (" *" if k in slow else "") for k, v in med.items()}
        rows.append(f"| {label} | {shown['gj']} | {shown['aj']} | {ratio('gj', 'aj')} | "
                    f"{shown.get('vj', '–')} | {ratio('gj', 'vj')} | {shown['gt']} | "
                    f"{shown['at']} | {ratio('gt', 'at')} |")
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


def dask_table(quick: bool) -> list[str]:
    from benchmarks.dask_memory import table

    return table(quick)


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
