"""Table 2: generated NumPy code against automatic differentiation and closed forms.

Each case is one function written once for NumPy-like modules (JAX, HIPS
autograd) and once for PyTorch, its matcalc expression, and a closed form a
person would write by hand with NumPy.  Every implementation computes the same
outputs as the generated module (value and derivatives; for Hessians and
Jacobians the frameworks compute only the Hessian or Jacobian, which favours
them).  Results are checked against the generated module before timing.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import matcalc as mc

from .timing import Timing, side_by_side

FRAMEWORKS = ("jax", "torch.func", "autograd")


@dataclass
class Case:
    name: str
    text: str
    wrt: list[str]
    kind: str  # "grad", "hess" (order 2) or "jac" (the derivative of a non-scalar)
    sizes: list[int]
    make: Callable[[int, np.random.Generator], dict[str, np.ndarray]]
    f: Callable[..., Any]  # f(ops, **values) for jax.numpy, autograd.numpy and torch
    hand: Callable[..., tuple]  # the closed form: the generated module's outputs
    shapes: dict[str, Any] = field(default_factory=dict)
    skip: dict[str, int] = field(default_factory=dict)  # framework -> largest size to run


# ----------------------------------------------------------------------------------------
# the cases


def _sigmoid_np(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def ls_make(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"A": rng.normal(size=(n, n)) / np.sqrt(n), "x": rng.normal(size=n),
            "y": rng.normal(size=n)}


def ls_f(ops: Any, A: Any, x: Any, y: Any) -> Any:
    r = y - A @ x
    return 0.5 * ops.sum(r * r)


def ls_grad(A, x, y):  # noqa: ANN001, ANN201
    r = A @ x - y
    return 0.5 * (r @ r), A.T @ r


def ls_hess(A, x, y):  # noqa: ANN001, ANN201
    r = A @ x - y
    return 0.5 * (r @ r), A.T @ r, A.T @ A


def logreg_make(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    d = max(n // 2, 2)
    return {"X": rng.normal(size=(n, d)) / np.sqrt(d), "w": rng.normal(size=d),
            "b": np.float64(0.1), "y": (rng.uniform(size=n) > 0.5).astype(float)}


def logreg_f(ops: Any, X: Any, w: Any, b: Any, y: Any) -> Any:
    p = ops.sigmoid(X @ w + b)
    return -ops.sum(y * ops.log(p) + (1 - y) * ops.log(1 - p)) / y.shape[0]


def logreg_grad(X, w, b, y):  # noqa: ANN001, ANN201
    n = y.shape[0]
    p = _sigmoid_np(X @ w + b)
    value = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / n
    return value, X.T @ (p - y) / n


def logreg_hess(X, w, b, y):  # noqa: ANN001, ANN201
    n = y.shape[0]
    p = _sigmoid_np(X @ w + b)
    value = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / n
    return value, X.T @ (p - y) / n, X.T @ (X * (p * (1 - p))[:, None]) / n


def gauss_make(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    M = rng.normal(size=(n, n)) / np.sqrt(n)
    return {"S": M @ M.T + np.eye(n), "x": rng.normal(size=n), "mu": rng.normal(size=n)}


def gauss_f(ops: Any, S: Any, x: Any, mu: Any) -> Any:
    r = x - mu
    return 0.5 * ops.logdet(S) + 0.5 * (r @ (ops.inv(S) @ r))


def gauss_grad(S, x, mu):  # noqa: ANN001, ANN201
    r = x - mu
    Si = np.linalg.inv(S)
    z = Si @ r
    return 0.5 * np.linalg.slogdet(S)[1] + 0.5 * (r @ z), -z, 0.5 * (Si - np.outer(z, z))


def net_make(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"W1": rng.normal(size=(n, n)) / np.sqrt(n), "W2": rng.normal(size=(n, n)) / np.sqrt(n),
            "x": rng.normal(size=n), "b1": rng.normal(size=n), "b2": rng.normal(size=n),
            "y": rng.normal(size=n)}


def net_f(ops: Any, W1: Any, W2: Any, x: Any, b1: Any, b2: Any, y: Any) -> Any:
    r = y - W2 @ ops.tanh(W1 @ x + b1) - b2
    return 0.5 * ops.sum(r * r)


def net_grad(W1, W2, x, b1, b2, y):  # noqa: ANN001, ANN201
    h = np.tanh(W1 @ x + b1)
    r = W2 @ h + b2 - y
    return 0.5 * (r @ r), np.outer((W2.T @ r) * (1 - h * h), x), np.outer(r, h)


def quad_make(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"A": rng.normal(size=(n, n)), "x": rng.normal(size=n)}


def quad_f(ops: Any, A: Any, x: Any) -> Any:
    return x @ (A @ x)


def quad_grad(A, x):  # noqa: ANN001, ANN201
    H = A + A.T
    return x @ (A @ x), H @ x


def quad_hess(A, x):  # noqa: ANN001, ANN201
    H = A + A.T
    return x @ (A @ x), H @ x, H


def ax_make(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"A": rng.normal(size=(n, n)), "x": rng.normal(size=n)}


def ax_f(ops: Any, A: Any, x: Any) -> Any:
    return A @ x


def ax_jac(A, x):  # noqa: ANN001, ANN201
    m, n = A.shape
    J = np.zeros((m, m, n))
    J[np.arange(m), np.arange(m)] = x
    return A @ x, J


GRAD_SIZES = [100, 300, 1000, 3000]
HESS_SIZES = [100, 300, 1000]

CASES = [
    Case("least squares ∇x", "0.5*norm(y - A@x)^2", ["x"], "grad", GRAD_SIZES, ls_make,
         ls_f, ls_grad),
    Case("least squares ∇²x", "0.5*norm(y - A@x)^2", ["x"], "hess", HESS_SIZES, ls_make,
         ls_f, ls_hess, skip={"autograd": 300}),
    Case("logistic regression ∇w", "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - "
         "sigmoid(X@w + b)))/n", ["w"], "grad", GRAD_SIZES, logreg_make, logreg_f,
         logreg_grad, {"X": "matrix(n, d)", "b": ()}),
    Case("logistic regression ∇²w", "-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - "
         "sigmoid(X@w + b)))/n", ["w"], "hess", HESS_SIZES, logreg_make, logreg_f,
         logreg_hess, {"X": "matrix(n, d)", "b": ()}, skip={"autograd": 300}),
    Case("Gaussian NLL ∇μ, ∇S", "0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu)",
         ["mu", "S"], "grad", [100, 300, 1000], gauss_make, gauss_f, gauss_grad,
         {"S": "spd(n)"}),
    Case("two-layer network ∇W1, ∇W2", "0.5*norm(y - W2@tanh(W1@x + b1) - b2)^2",
         ["W1", "W2"], "grad", GRAD_SIZES, net_make, net_f, net_grad),
    Case("x'Ax ∇x", "x' @ A @ x", ["x"], "grad", GRAD_SIZES, quad_make, quad_f, quad_grad),
    Case("x'Ax ∇²x", "x' @ A @ x", ["x"], "hess", HESS_SIZES + [3000], quad_make, quad_f,
         quad_hess, skip={"autograd": 300, "torch.func": 1000, "jax": 1000}),
    Case("d(A@x)/dA", "A @ x", ["A"], "jac", [100, 200, 300], ax_make, ax_f, ax_jac,
         skip={"autograd": 200}),
]


# ----------------------------------------------------------------------------------------
# the frameworks


class _NumpyLike:
    """What the cases call on ``ops``, for jax.numpy or autograd.numpy."""

    def __init__(self, xnp: Any):
        self.xnp = xnp

    def __getattr__(self, name: str) -> Any:
        return getattr(self.xnp, name)

    def sigmoid(self, z: Any) -> Any:
        return 1.0 / (1.0 + self.xnp.exp(-z))

    def logdet(self, S: Any) -> Any:
        return self.xnp.linalg.slogdet(S)[1]

    def inv(self, S: Any) -> Any:
        return self.xnp.linalg.inv(S)


class _TorchOps:
    def __init__(self, torch: Any):
        self.t = torch

    def __getattr__(self, name: str) -> Any:
        return getattr(self.t, name)

    def logdet(self, S: Any) -> Any:
        return self.t.linalg.slogdet(S)[1]

    def inv(self, S: Any) -> Any:
        return self.t.linalg.inv(S)


def framework_versions() -> dict[str, str]:
    out = {"numpy": np.__version__}
    for mod in ("jax", "torch", "autograd", "sympy"):
        try:
            m = __import__(mod)
            out[mod] = getattr(m, "__version__", "installed")
        except ImportError:
            out[mod] = "not installed"
    return out


def _implementations(case: Case, values: dict[str, np.ndarray], n: int
                     ) -> dict[str, Callable[[], Any]]:
    names = list(values)
    wrt_idx = [names.index(w) for w in case.wrt]
    impls: dict[str, Callable[[], Any]] = {}

    def split(args: tuple) -> tuple[tuple, Callable[[tuple], tuple]]:
        """The variables to differentiate by (a tuple), and a function refilling them."""
        def fill(p: tuple) -> tuple:
            full = list(args)
            for k, i in enumerate(wrt_idx):
                full[i] = p[k]
            return tuple(full)
        return tuple(args[i] for i in wrt_idx), fill

    def too_big(fw: str) -> bool:
        return fw in case.skip and n > case.skip[fw]

    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        if not too_big("jax"):
            ops = _NumpyLike(jnp)
            args = tuple(jnp.asarray(values[k]) for k in names)
            params, fill = split(args)

            def fj(p: tuple) -> Any:
                return case.f(ops, *fill(p))

            if case.kind == "grad":
                g = jax.jit(jax.value_and_grad(fj))
                impls["jax"] = lambda: jax.block_until_ready(g(params))
            else:
                single = params[0]

                def f1(p: Any) -> Any:
                    return fj((p,))

                op = jax.hessian if case.kind == "hess" else jax.jacrev
                h = jax.jit(op(f1))
                impls["jax"] = lambda: jax.block_until_ready(h(single))
    except ImportError:
        pass
    try:
        import torch
        import torch.func

        if not too_big("torch.func"):
            tops = _TorchOps(torch)
            targs = tuple(torch.as_tensor(np.asarray(values[k], dtype=float)) for k in names)
            params_t, fill_t = split(targs)

            def ft(p: tuple) -> Any:
                a = fill_t(p)
                if case.name.startswith("logistic"):  # torch has sigmoid built in
                    X, w, b, y = a
                    p_ = torch.sigmoid(X @ w + b)
                    return -torch.sum(y * torch.log(p_) + (1 - y) * torch.log(1 - p_)) / y.shape[0]
                return case.f(tops, *a)

            if case.kind == "grad":
                gt = torch.func.grad_and_value(ft)
                impls["torch.func"] = lambda: gt(params_t)
            else:
                single_t = params_t[0]
                op_t = torch.func.hessian if case.kind == "hess" else torch.func.jacrev
                ht = op_t(lambda p: ft((p,)))
                impls["torch.func"] = lambda: ht(single_t)
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        if not too_big("autograd"):
            aops = _NumpyLike(anp)
            aargs = tuple(np.asarray(values[k], dtype=float) for k in names)
            params_a, fill_a = split(aargs)

            def fa(p: tuple) -> Any:
                return case.f(aops, *fill_a(p))

            if case.kind == "grad":
                ga = autograd.value_and_grad(fa)
                impls["autograd"] = lambda: ga(params_a)
            else:
                op_a = autograd.hessian if case.kind == "hess" else autograd.jacobian
                ha = op_a(lambda p: fa((p,)))
                single_a = params_a[0]
                impls["autograd"] = lambda: ha(single_a)
    except ImportError:
        pass
    return impls


def _load_generated(case: Case, folder: Path) -> Any:
    f = mc.parse(case.text, shapes=case.shapes)
    source = mc.codegen(f, wrt=case.wrt, order=2 if case.kind == "hess" else 1)
    name = "gen_" + "".join(ch if ch.isalnum() else "_" for ch in case.name)
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Row:
    case: str
    n: int
    timings: dict[str, Timing]
    check: str


def run(max_seconds: float = 420.0, sizes_cap: int | None = None,
        log: Callable[[str], None] = print) -> list[Row]:
    import time

    start = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            module = _load_generated(case, Path(tmp))
            for n in case.sizes:
                if sizes_cap is not None and n > sizes_cap:
                    continue
                if time.perf_counter() - start > max_seconds:
                    log(f"  time budget spent: skipping {case.name} n={n}")
                    continue
                rng = np.random.default_rng(n)
                values = case.make(n, rng)
                gen = module.value_and_derivatives
                ours = gen(**values)
                hand = case.hand(**values)
                ok = all(np.allclose(a, b, rtol=1e-8, atol=1e-10) for a, b in
                         zip(ours, hand, strict=True))
                impls: dict[str, Callable[[], Any]] = {
                    "matcalc": lambda g=gen, v=values: g(**v),
                    "hand-written": lambda h=case.hand, v=values: h(**v),
                }
                impls.update(_implementations(case, values, n))
                timings = side_by_side(impls)
                rows.append(Row(case.name, n, timings, "ok" if ok else "MISMATCH"))
                log(f"  {case.name} n={n}: " + ", ".join(
                    f"{k} {v.median_s and v.median_s * 1e3:.3g} ms" if v.median_s else
                    f"{k} {v.note}" for k, v in timings.items()))
    return rows
