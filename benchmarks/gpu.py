"""Generated JAX and PyTorch modules on a GPU, against jax.grad/jax.hessian and torch.func there.

    python -m benchmarks.gpu              # on a machine with a CUDA GPU (a few minutes)
    python -m benchmarks.gpu --float64    # the same in float64
    python -m benchmarks.gpu --dry-run    # small sizes on the CPU: checks the script runs

Prints the devices (names as JAX and PyTorch report them, library versions)
and one markdown table: per case, the generated module (``value_and_derivatives``,
JAX jitted) against that library's own autodiff of the same loss on the same
device, their ratio, and whether the derivatives agree.  float32 by default
(what GPUs are fast at).  The Hessian-vector product of least squares (the
generated ``hessian_vector_product`` against ``jax.jvp`` of ``jax.grad``) is
the last rows.  Without a GPU it says so and exits 1 (use ``--dry-run``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

import matcalc as mc
from benchmarks.backends import LSQ, cases_of_size, jax_loss, load, torch_loss
from benchmarks.timing import fmt_time, side_by_side


def devices(dry_run: bool) -> tuple[Any, str, str] | None:
    """(JAX device, torch device, a line naming both), or None without a GPU."""
    import jax
    import torch

    gpus = [d for d in jax.devices() if d.platform == "gpu"] if not dry_run else []
    if not dry_run and (not gpus or not torch.cuda.is_available()):
        return None
    jdev = gpus[0] if gpus else jax.devices("cpu")[0]
    tdev = "cuda" if not dry_run else "cpu"
    tname = torch.cuda.get_device_name(0) if tdev == "cuda" else "cpu"
    line = (f"JAX {jax.__version__} on {jdev.device_kind} ({jdev.platform}); "
            f"PyTorch {torch.__version__} on {tname} ({tdev})")
    return jdev, tdev, line


def agree(a: Any, b: Any, dtype: Any) -> str:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(float(np.max(np.abs(b))), 1e-30)
    err = float(np.max(np.abs(a - b))) / scale
    return "ok" if err < (1e-3 if dtype == np.float32 else 1e-9) else f"differs ({err:.1e})"


def table(dry_run: bool, dtype: Any) -> list[str] | None:
    import jax
    import torch
    import torch.func

    if dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    found = devices(dry_run)
    if found is None:
        return None
    jdev, tdev, line = found
    sizes = (2000, 50, 300, 200) if dry_run else (200_000, 500, 4000, 3000)
    rows = [line, "", f"dtype {np.dtype(dtype).name}; times are medians of repeated calls, "
            "the devices synchronised after each", "",
            "| case | generated JAX (jit) | jax.jit(jax.grad/hessian) | ratio | check "
            "| generated torch | torch.func | ratio | check |",
            "|---|---|---|---|---|---|---|---|---|"]

    def sync_torch(out: Any) -> Any:
        if tdev == "cuda":
            torch.cuda.synchronize()
        return out

    for label, text, shapes, w, order, values in cases_of_size(*sizes):
        f = mc.parse(text, shapes=shapes)
        gen_jax = jax.jit(load(mc.codegen(f, [w], order, backend="jax")).value_and_derivatives)
        tmod = load(mc.codegen(f, [w], order, backend="torch"))
        loss, tloss = jax_loss(text), torch_loss(text)
        names = list(loss.__code__.co_varnames[:loss.__code__.co_argcount])
        argnum = names.index(w)
        ref_jax = jax.jit((jax.grad if order == 1 else jax.hessian)(loss, argnums=argnum))
        ref_torch = (torch.func.grad if order == 1 else torch.func.hessian)(tloss,
                                                                            argnums=argnum)
        jv = {k: jax.device_put(np.asarray(v, dtype=dtype), jdev) for k, v in values.items()}
        tv = {k: torch.as_tensor(np.asarray(v, dtype=dtype), device=tdev)
              for k, v in values.items()}
        checks = [agree(gen_jax(**jv)[-1], ref_jax(*[jv[k] for k in names]), dtype),
                  agree(tmod.value_and_derivatives(**tv)[-1].cpu(),
                        ref_torch(*[tv[k] for k in names]).cpu(), dtype)]
        t = side_by_side({
            "gj": lambda: jax.block_until_ready(gen_jax(**jv)),  # noqa: B023 - called in this iteration
            "aj": lambda: jax.block_until_ready(ref_jax(*[jv[k] for k in names])),  # noqa: B023 - called in this iteration
            "gt": lambda: sync_torch(tmod.value_and_derivatives(**tv)),  # noqa: B023 - called in this iteration
            "at": lambda: sync_torch(ref_torch(*[tv[k] for k in names])),  # noqa: B023 - called in this iteration
        })
        med = {k: v.median_s for k, v in t.items()}
        shown = {k: fmt_time(v) + (" *" if t[k].note else "") for k, v in med.items()}

        def ratio(a: str, b: str) -> str:
            x, y = med.get(a), med.get(b)  # noqa: B023 - called in this iteration
            return f"{x / y:.2f}×" if x and y else "–"
        rows.append(f"| {label} | {shown['gj']} | {shown['aj']} | {ratio('gj', 'aj')} | "
                    f"{checks[0]} | {shown['gt']} | {shown['at']} | {ratio('gt', 'at')} | "
                    f"{checks[1]} |")
        print(rows[-1], file=sys.stderr)
    rows += ["", "| n (A is 10×n) | generated hessian_vector_product (jit) "
             "| jax.jvp(jax.grad) (jit) | ratio | check |", "|---|---|---|---|---|"]
    hvp = jax.jit(load(mc.codegen(mc.parse(LSQ), ["x"], 1, backend="jax",
                                  hvp=True)).hessian_vector_product)
    for n in ([10**5] if dry_run else [10**6, 10**7]):
        rng = np.random.default_rng(1)
        A, y, x, v = (jax.device_put(np.asarray(a, dtype=dtype), jdev) for a in
                      (rng.normal(size=(10, n)), rng.normal(size=10), rng.normal(size=n),
                       rng.normal(size=n)))

        def lsq(x: Any) -> Any:
            return 0.5 * jax.numpy.sum((y - A @ x) ** 2)  # noqa: B023 - called in this iteration

        ref = jax.jit(lambda x, v: jax.jvp(jax.grad(lsq), (x,), (v,))[1])  # noqa: B023 - called in this iteration
        check = agree(hvp(v, A=A, y=y, x=x)[0], ref(x, v), dtype)
        t = side_by_side({"g": lambda: jax.block_until_ready(hvp(v, A=A, y=y, x=x)),  # noqa: B023 - called in this iteration
                          "r": lambda: jax.block_until_ready(ref(x, v))})  # noqa: B023 - called in this iteration
        g, r = t["g"].median_s, t["r"].median_s
        rows.append(f"| {n:.0e} | {fmt_time(g)} | {fmt_time(r)} | "
                    f"{g / r:.2f}× | {check} |" if g and r else f"| {n:.0e} | – | – | – | – |")
        print(rows[-1], file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpu")
    p.add_argument("--dry-run", action="store_true", help="small sizes on the CPU")
    p.add_argument("--float64", action="store_true")
    args = p.parse_args(argv)
    rows = table(args.dry_run, np.float64 if args.float64 else np.float32)
    if rows is None:
        print("no CUDA GPU is visible to both JAX and PyTorch: run this on a machine with "
              "one (jax[cuda12] and a CUDA build of torch installed), or pass --dry-run",
              file=sys.stderr)
        return 1
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
