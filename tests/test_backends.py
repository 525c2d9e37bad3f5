"""Generated modules for JAX, PyTorch and Dask (SPEC section 4, ``codegen(..., backend=)``).

Every codegen test case of tests/test_codegen.py is written for each backend,
imported, run (JAX jitted, torch on CPU tensors, Dask on chunked arrays) and
compared with the NumPy module and with central differences of the backend's
own value.  Modules are compiled once per case and backend (``_module``), so the
suite stays fast.  Also: float32 stays float32, the whole Hessian and the
Hessian-vector product, finite values at |z| = 800, and a chunked data matrix.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import jax
import numpy as np
import pytest
import torch
from dask.callbacks import Callback

import matcalc as mc

from generated import load
from test_codegen import EXAMPLES, MORE, contract, draw

jax.config.update("jax_enable_x64", True)  # compare in float64; float32 is tested below
dask.config.set(scheduler="synchronous")  # tiny arrays: threads would only add overhead

BACKENDS = ("jax", "torch", "dask")


@functools.cache
def _module(text: str, shapes: tuple[tuple[str, Any], ...], wrt: tuple[str, ...], order: int,
            backend: str, hessian: str = "blocks", hvp: bool = False) -> Any:
    import tempfile

    f = mc.parse(text, shapes=dict(shapes))
    source = mc.codegen(f, wrt=list(wrt), order=order, backend=backend, hessian=hessian,
                        hvp=hvp)
    return load(source, Path(tempfile.mkdtemp()))


def module(f_text: str, shapes: dict[str, Any], wrt: list[str], order: int, backend: str,
           **options: Any) -> Any:
    return _module(f_text, tuple(sorted(shapes.items())), tuple(wrt), order, backend,
                   **options)


@functools.cache
def _jitted(mod: Any, name: str) -> Any:
    return jax.jit(getattr(mod, name))


def to_backend(values: dict[str, Any], backend: str) -> dict[str, Any]:
    if backend == "torch":
        return {k: torch.as_tensor(np.asarray(v)) for k, v in values.items()}
    if backend == "dask":  # every array in two chunks along its first axis
        return {k: da.from_array(np.asarray(v), chunks=(-(-len(v) // 2),) + np.shape(v)[1:])
                if np.ndim(v) else v for k, v in values.items()}
    return values


def run(mod: Any, backend: str, values: dict[str, Any], name: str = "value_and_derivatives",
        *args: Any) -> list[np.ndarray]:
    """The module's outputs as NumPy arrays (JAX jitted)."""
    fn = _jitted(mod, name) if backend == "jax" else getattr(mod, name)
    out = fn(*args, **to_backend(values, backend))
    return [np.asarray(o.cpu() if isinstance(o, torch.Tensor) else o) for o in out]


TOL = {"jax": 1e-7, "torch": 1e-10, "dask": 1e-10}  # XLA's jitted CPU code rounds differently


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("label,text,shapes,wrt,order,hints", EXAMPLES,
                         ids=[e[0] for e in EXAMPLES])
def test_examples_match_numpy_and_finite_differences(
        backend: str, label: str, text: str, shapes: dict[str, Any], wrt: list[str],
        order: int, hints: dict[str, Any]) -> None:
    f = mc.parse(text, shapes=shapes)
    values = draw(f, np.random.default_rng(1), **hints)
    want = module(text, shapes, wrt, order, "numpy").value_and_derivatives(**values)
    mod = module(text, shapes, wrt, order, backend)
    got = run(mod, backend, values)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=TOL[backend], atol=1e-10)
    # each derivative against central differences of the backend's own value
    rng = np.random.default_rng(2)
    h = 1e-6
    value_only = module(text, shapes, [], 1, backend)
    for k, w in enumerate(wrt):
        v = rng.normal(size=np.shape(values[w]))
        if w in hints.get("spd", ()):
            v = v + v.T
        plus = run(value_only, backend, {**values, w: values[w] + h * v})[0]
        minus = run(value_only, backend, {**values, w: values[w] - h * v})[0]
        np.testing.assert_allclose(contract(got[1 + k], v, f.ndim), (plus - minus) / (2 * h),
                                   rtol=1e-5, atol=1e-6, err_msg=f"d/d{w}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("text", MORE)
def test_operators_match_numpy(backend: str, text: str) -> None:
    f = mc.parse(text)
    names = list(f.variables())
    wrt = [n for n in names if f.variables()[n].ndim <= 2][:2]
    spd = tuple(n for n in names if n == "X" and f.variables()[n].ndim == 2
                and f.variables()[n].shape[0] == f.variables()[n].shape[1])
    values = draw(f, np.random.default_rng(3), positive=("x",), spd=spd)
    want = module(text, {}, wrt, 1, "numpy").value_and_derivatives(**values)
    got = run(module(text, {}, wrt, 1, backend), backend, values)
    for g, w in zip(got, want, strict=True):
        assert g.shape == np.shape(w), text
        np.testing.assert_allclose(g, w, rtol=TOL[backend], atol=1e-10, err_msg=text)


def test_modules_import_only_their_library() -> None:
    f = mc.parse("0.5*norm(y - A@x)^2 + sum(sigmoid(x))")
    for backend, imports in [("numpy", {"numpy"}),
                             ("jax", {"jax", "jax.numpy", "jax.scipy.special"}),
                             ("torch", {"torch"}), ("dask", {"dask", "dask.array"})]:
        source = mc.codegen(f, ["x", "A"], 2, backend=backend)
        found = {line.split()[1] for line in source.splitlines()
                 if line.startswith(("import ", "from "))}
        assert found == imports, backend


LOGISTIC = ("-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n",
            {"X": "matrix(n, d)", "b": ()})


def logistic_values(rng: np.random.Generator, n: int = 40, d: int = 3) -> dict[str, Any]:
    return {"X": rng.normal(size=(n, d)), "y": (rng.uniform(size=n) > 0.5) * 1.0,
            "w": rng.normal(size=d), "b": 0.3}


@pytest.mark.parametrize("backend", ("numpy", *BACKENDS))
def test_float32_stays_float32(backend: str) -> None:
    text, shapes = LOGISTIC
    values = {k: np.asarray(v, dtype=np.float32) if np.ndim(v) else v
              for k, v in logistic_values(np.random.default_rng(4)).items()}
    mod = module(text, shapes, ["w", "b"], 2, backend)
    fn = _jitted(mod, "value_and_derivatives") if backend == "jax" else mod.value_and_derivatives
    out = fn(**to_backend(values, backend))
    for o in out:
        assert str(o.dtype).endswith("float32"), (backend, o.dtype)
    want = module(text, shapes, ["w", "b"], 2, "numpy").value_and_derivatives(
        **{k: np.float64(v) if not np.ndim(v) else v.astype(np.float64)
           for k, v in values.items()})
    for o, w in zip(out, want, strict=True):
        np.testing.assert_allclose(np.asarray(o), w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backend", ("numpy", *BACKENDS))
def test_float32_through_the_kernels(backend: str) -> None:
    text = "sum(relu(x)) + sum(abs(x)) + logsumexp(x) + softmax(x) @ x + ismax(x) @ x"
    values = {"x": np.array([0.3, -1.2, 2.0, 0.7], dtype=np.float32)}
    mod = module(text, {}, ["x"], 2, backend)
    fn = _jitted(mod, "value_and_derivatives") if backend == "jax" else mod.value_and_derivatives
    for o in fn(**to_backend(values, backend)):
        assert str(o.dtype).endswith("float32"), (backend, o.dtype)


@pytest.mark.parametrize("backend", ("numpy", *BACKENDS))
def test_done_when_every_hessian_block_finite_at_800(backend: str) -> None:
    """The issue's command: all four blocks match NumPy and stay finite at w = (800, 0, 0)."""
    text, shapes = LOGISTIC
    values = logistic_values(np.random.default_rng(5))
    want = module(text, shapes, ["w", "b"], 2, "numpy").value_and_derivatives(**values)
    got = run(module(text, shapes, ["w", "b"], 2, backend), backend, values)
    assert len(got) == 7  # value, grad_w, grad_b, hess_w, hess_b, hess_w_b, hess_b_w
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=TOL.get(backend, 1e-12), atol=1e-12)
    f = mc.parse(text, shapes=shapes)
    for k, (a, b) in enumerate([("w", "w"), ("b", "b"), ("w", "b"), ("b", "w")]):
        np.testing.assert_allclose(got[3 + k], mc.evaluate(mc.diff(mc.diff(f, a), b), values),
                                   rtol=1e-7, atol=1e-12)
    far = run(module(text, shapes, ["w", "b"], 2, backend), backend,
              {**values, "w": np.array([800.0, 0.0, 0.0])})
    assert all(np.all(np.isfinite(o)) for o in far)
    assert far[0] > 10  # separable points on the wrong side cost about 800 each


DONE_WHEN = ("-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n "
             "where X: matrix(n, d), b: scalar")


def _by_hand(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> list[Any]:
    """The logistic loss and its derivatives written out by hand, the stable way:
    f = mean(y softplus(-z) + (1 - y) softplus(z)), z = X w + b, s = sigmoid(z),
    grad_w = X'(s - y)/n, hess_w = X' diag(s (1 - s)) X / n, hess_w_b = X' s (1 - s) / n."""
    n = len(y)
    z = X @ w + b
    s = np.exp(-np.logaddexp(0.0, -z))
    c = s * (1 - s)
    value = np.sum(y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)) / n
    return [value, X.T @ (s - y) / n, np.sum(s - y) / n, X.T @ (c[:, None] * X) / n,
            np.sum(c) / n, X.T @ c / n, X.T @ c / n]


def test_done_when_command_jitted_matches_numpy_at_800(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 15's Done-when, as written: the command line's JAX module, jitted, against the
    NumPy module and the loss by hand, at ordinary points and at w = (800, 0, 0)."""
    from matcalc.cli import main

    modules = {}
    for backend in ("numpy", "jax"):
        assert main(["codegen", DONE_WHEN, "--wrt", "w", "--wrt", "b", "--order", "2",
                     "--backend", backend]) == 0
        modules[backend] = load(capsys.readouterr().out, tmp_path)
    jitted = jax.jit(modules["jax"].value_and_derivatives)
    values = logistic_values(np.random.default_rng(16))
    for w in (values["w"], np.array([800.0, 0.0, 0.0]), np.array([-800.0, 3.0, 0.0])):
        point = {**values, "w": w}
        # SPEC's prefix: the value, the gradients, the Hessian by each variable; then the
        # mixed blocks
        value, grad_w, grad_b, hess_w, hess_b, hess_w_b, hess_b_w = jitted(**point)
        got = [value, grad_w, grad_b, hess_w, hess_b, hess_w_b, hess_b_w]
        want = modules["numpy"].value_and_derivatives(**point)
        hand = _by_hand(point["X"], point["y"], w, point["b"])
        assert [np.shape(g) for g in got] == [(), (3,), (), (3, 3), (), (3,), (3,)]
        for g, n, h in zip(got, want, hand, strict=True):
            assert np.all(np.isfinite(np.asarray(g))), w
            np.testing.assert_allclose(np.asarray(g), n, rtol=1e-7, atol=1e-12)
            np.testing.assert_allclose(n, h, rtol=1e-9, atol=1e-12)
    assert float(jitted(**{**values, "w": np.array([800.0, 0.0, 0.0])})[0]) > 10


@pytest.mark.parametrize("backend", ("numpy", *BACKENDS))
def test_whole_hessian_as_one_matrix(backend: str) -> None:
    text, shapes = LOGISTIC
    values = logistic_values(np.random.default_rng(6))
    blocks = module(text, shapes, ["w", "b"], 2, "numpy").value_and_derivatives(**values)
    out = run(module(text, shapes, ["w", "b"], 2, backend, hessian="matrix"), backend, values)
    assert len(out) == 4
    H = out[3]
    d = values["w"].size
    assert H.shape == (d + 1, d + 1)
    np.testing.assert_allclose(H[:d, :d], blocks[3], rtol=1e-7, atol=1e-12)  # hess_w
    np.testing.assert_allclose(H[d, d], blocks[4], rtol=1e-7, atol=1e-12)  # hess_b
    np.testing.assert_allclose(H[:d, d], blocks[5], rtol=1e-7, atol=1e-12)  # hess_w_b
    np.testing.assert_allclose(H[d, :d], blocks[6], rtol=1e-7, atol=1e-12)  # hess_b_w
    np.testing.assert_allclose(H, H.T, rtol=1e-7, atol=1e-12)
    # a Newton step over (w, b) jointly, with the matrix the module gives
    step = np.linalg.solve(H, np.concatenate([out[1], [out[2]]]))
    assert np.all(np.isfinite(step))


@pytest.mark.parametrize("backend", ("numpy", *BACKENDS))
def test_hessian_vector_product_never_forms_the_hessian(backend: str) -> None:
    text, shapes = LOGISTIC
    values = logistic_values(np.random.default_rng(7))
    rng = np.random.default_rng(8)
    v = (rng.normal(size=3), 0.7)
    full = module(text, shapes, ["w", "b"], 2, "numpy", hessian="matrix")
    H = full.value_and_derivatives(**values)[3]
    mod = module(text, shapes, ["w", "b"], 1, backend, hvp=True)
    direction: Any = v
    if backend == "torch":
        direction = tuple(torch.as_tensor(np.asarray(x)) for x in v)
    got = run(mod, backend, values, "hessian_vector_product", direction)
    want = H @ np.concatenate([v[0], [v[1]]])
    np.testing.assert_allclose(np.concatenate([got[0], [got[1]]]), want, rtol=1e-7, atol=1e-12)
    source = mc.codegen(mc.parse(text, shapes=shapes), ["w", "b"], backend=backend, hvp=True)
    body = source[source.index("def hessian_vector_product"):]
    assert "hess" not in body.split('"""', 2)[2]  # no Hessian block computed on the way


def test_symbolic_hvp_of_least_squares() -> None:
    f = mc.parse("0.5*norm(y - A@x)^2")
    Hv = mc.hvp(f, "x")
    assert str(Hv) in ("A.T @ (A @ v)", "A.T @ A @ v")  # a chain, multiplied right to left:
    assert "A.T @ (A @ v)" in mc.codegen(Hv, [])  # never A.T @ A
    assert Hv.shape == f.variables()["x"].shape
    g = mc.parse("x' @ A @ x + sum(exp(B @ x))")
    values = draw(g, np.random.default_rng(9))
    values["u"] = np.random.default_rng(10).normal(size=values["x"].shape)
    np.testing.assert_allclose(mc.evaluate(mc.hvp(g, "x", "u"), values),
                               mc.evaluate(mc.hessian(g, "x"), values) @ values["u"])
    W = mc.parse("0.5*norm(Y - tanh(X @ W))^2")
    values = draw(W, np.random.default_rng(11))
    values["V"] = np.random.default_rng(12).normal(size=values["W"].shape)
    H = mc.evaluate(mc.hessian(W, "W"), values)
    np.testing.assert_allclose(mc.evaluate(mc.hvp(W, "W", "V"), values),
                               np.tensordot(H, values["V"], axes=2), rtol=1e-10, atol=1e-12)
    with pytest.raises(mc.DiffError, match="already occurs"):
        mc.hvp(f, "x", "y")
    with pytest.raises(mc.DiffError, match="scalar"):
        mc.hvp(mc.parse("A @ x"), "x")


STABLE = [  # (expression of a vector x, where the mathematical function is finite)
    "sum(log(sigmoid(x)))", "sum(log(1 - sigmoid(x)))", "sum(log(softmax(x)))",
    "logsumexp(x)", "sum(softplus(x))", "sum(sigmoid(x))", "sum(log(1 + exp(x)))",
    "sum(log(exp(x) + 1))", "log(sum(exp(x)))",
]


@pytest.mark.parametrize("backend", ("numpy", *BACKENDS))
@pytest.mark.parametrize("text", STABLE)
def test_finite_at_extreme_inputs(backend: str, text: str) -> None:
    values = {"x": np.array([800.0, -800.0, 0.5, -3.0])}
    got = run(module(text, {}, ["x"], 2, backend), backend, values)
    for o in got:
        assert np.all(np.isfinite(o)), (text, o)
    small = {"x": np.array([0.8, -0.8, 0.5, -3.0])}
    out = run(module(text, {}, ["x"], 2, backend), backend, small)
    f = mc.parse(text)
    for o, e in zip(out, [f, mc.diff(f, "x"), mc.hessian(f, "x")], strict=True):
        np.testing.assert_allclose(o, mc.evaluate(e, small), rtol=1e-7, atol=1e-12)


def test_dask_chunked_logistic_regression_matches_numpy() -> None:
    """A data matrix in row chunks: the gradient and Hessian reduce chunk by chunk."""
    text, shapes = LOGISTIC
    rng = np.random.default_rng(13)
    values = logistic_values(rng, n=1000, d=4)
    want = module(text, shapes, ["w", "b"], 2, "numpy").value_and_derivatives(**values)
    X = da.from_array(values["X"], chunks=(100, 4))
    y = da.from_array(values["y"], chunks=100)
    mod = module(text, shapes, ["w", "b"], 2, "dask")
    with dask.config.set(scheduler="synchronous"):
        got = mod.value_and_derivatives(X=X, y=y, w=values["w"], b=values["b"])
    for g, w in zip(got, want, strict=True):
        assert isinstance(g, np.ndarray | np.floating | float)
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


class _Largest(Callback):  # type: ignore[misc]
    """The largest task result (bytes) of the computations run while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.nbytes = 0
        self.key: object = None

    def _posttask(self, key: object, result: Any, dsk: Any, state: Any, id: Any) -> None:
        size = int(getattr(result, "nbytes", 0))
        if size > self.nbytes:
            self.nbytes, self.key = size, key


def _largest_intermediate(mod: Any, values: dict[str, Any]) -> tuple[int, object]:
    # no graph optimisation: every task is its own (blockwise and linear fusion would
    # hide a full-size array inside one fused task), so each intermediate is seen
    with dask.config.set(scheduler="synchronous", array_optimize=False), _Largest() as seen:
        mod.value_and_derivatives(**values)
    return seen.nbytes, seen.key


def test_dask_builds_nothing_of_the_data_size(tmp_path: Path) -> None:
    """The gradient and Hessian of logistic regression over X in 8 chunks of rows: no task
    of the computation returns more than one chunk of X (2,400 bytes of the 19,200), so
    nothing is gathered, rechunked into one piece or expanded into an n x n matrix."""
    text, shapes = LOGISTIC
    values = logistic_values(np.random.default_rng(18), n=800, d=3)
    data = {"X": da.from_array(values["X"], chunks=(100, 3)),
            "y": da.from_array(values["y"], chunks=100), "w": values["w"], "b": values["b"]}
    chunk = values["X"].nbytes // 8
    source = mc.codegen(mc.parse(text, shapes=shapes), ["w", "b"], 2, backend="dask")
    largest, key = _largest_intermediate(load(source, tmp_path), data)
    assert 0 < largest <= chunk, (largest, key)
    # the same measure sees what the module must not do: gather X, make it one chunk,
    # or build diag(s * (1 - s)) of size n x n
    line = "    X = _array(values, 'X', 2)\n"
    assert line in source
    for wrong in ["    X = da.asarray(_array(values, 'X', 2).compute())\n",
                  "    X = _array(values, 'X', 2).rechunk(-1)\n",
                  line + "    X = (da.diag(X[:, 0] * 0 + 1) @ X)\n"]:
        bad = load(source.replace(line, wrong), tmp_path)
        assert _largest_intermediate(bad, data)[0] >= values["X"].nbytes, wrong
    with dask.config.set(scheduler="synchronous"):
        got = load(source, tmp_path).value_and_derivatives(**data)
    want = module(text, shapes, ["w", "b"], 2, "numpy").value_and_derivatives(**values)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_torch_follows_the_device_of_its_inputs() -> None:
    text, shapes = LOGISTIC
    values = logistic_values(np.random.default_rng(14))
    mod = module(text, shapes, ["w", "b"], 2, "torch")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        out = mod.value_and_derivatives(**{k: torch.as_tensor(np.asarray(v), device=device)
                                           for k, v in values.items()})
        assert all(o.device.type == device for o in out)


def test_jax_module_traces_without_python_control_flow_on_values() -> None:
    f = mc.parse("0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu)", shapes={"S": "spd(n)"})
    mod = load(mc.codegen(f, ["mu", "S"], 2, backend="jax"), Path(__import__("tempfile").mkdtemp()))
    values = draw(f, np.random.default_rng(15), spd=("S",))
    jaxpr = jax.make_jaxpr(mod.value_and_derivatives)(**values)
    assert jaxpr is not None
    with pytest.raises(ValueError, match="not symmetric"):  # checked on concrete values
        mod.value_and_derivatives(**{**values, "S": values["S"] + np.triu(np.ones((4, 4)), 1)})


def test_jax_gradient_reads_the_data_matrix_without_transposing_it() -> None:
    """X.T @ r under jax.jit copies X into X.T on CPU (2x the logistic gradient's time);
    the module writes r @ X, and M @ ones(n) as row sums (no ones vector)."""
    text, shapes = LOGISTIC
    values = logistic_values(np.random.default_rng(17))
    mod = module(text, shapes, ["w", "b"], 1, "jax")
    jaxpr = str(jax.make_jaxpr(mod.value_and_derivatives)(**values))
    assert "transpose" not in jaxpr
    source = mc.codegen(mc.parse(text, shapes=shapes), ["w", "b"], 2, backend="jax")
    assert "X.T @" not in source and "ones(" not in source
    for backend in ("numpy", "torch", "dask"):  # BLAS and dask read X.T without a copy
        assert "X.T @" in mc.codegen(mc.parse(text, shapes=shapes), ["w"], backend=backend)


def test_unknown_backend_and_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(mc.MatcalcError, match="unknown codegen backend"):
        mc.codegen(mc.parse("sum(x)"), ["x"], backend="cupy")
    from matcalc.cli import main

    assert main(["codegen", LOGISTIC[0] + " where X: matrix(n, d), b: scalar", "--wrt", "w",
                 "--wrt", "b", "--order", "2", "--backend", "jax"]) == 0
    out = capsys.readouterr().out
    assert "import jax.numpy as jnp" in out and "hess_w_b" in out and "import numpy" not in out
