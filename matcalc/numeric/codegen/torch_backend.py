"""The PyTorch backend: tensors on any device (CPU or CUDA).

Inputs become tensors with ``torch.as_tensor`` on the device of the first
array input (``_dev``); the constants a module builds are made on that device
in the inputs' dtype, so a CUDA float32 input gives CUDA float32 results.
"""

from __future__ import annotations

from matcalc.numeric.codegen.backend import SIZE_HELPER, Backend

HELPERS: dict[str, str] = {
    "_array": '''
def _array(values, name, ndim):
    """values[name] as a tensor with ndim axes; integers and booleans become float64."""
    if name not in values:
        raise ValueError(f"no value given for {name}")
    a = values[name]
    if not isinstance(a, torch.Tensor):
        a = torch.as_tensor(a, dtype=torch.float64 if isinstance(a, (int, float)) else None)
    if not (a.is_floating_point() or a.is_complex()):
        a = a.to(torch.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} should have {ndim} axes but has shape {tuple(a.shape)}")
    return a
''',
    "_size": SIZE_HELPER,
    "_dtype": '''
def _dtype(*arrays):
    """The dtype and device the module computes with: those of the array inputs."""
    shaped = [a for a in arrays if a.ndim] or list(arrays)
    if not shaped:
        return torch.float64, torch.device("cpu")
    dtype = shaped[0].dtype
    for a in shaped[1:]:
        dtype = torch.promote_types(dtype, a.dtype)
    return dtype, shaped[0].device
''',
    "_structure": '''
def _structure(a, name, structure):
    """a, refused (ValueError) if it breaks its declared structure."""
    if not bool(torch.all(torch.isfinite(a))) or not a.numel():
        return a
    size = float(torch.max(torch.abs(a)))
    asym = float(torch.max(torch.abs(a - a.T)))
    if asym > 1e-8 * size:
        raise ValueError(f"{name} is declared {structure} but its value is not symmetric "
                         f"(largest |{name} - {name}'| is {asym:.3g}, largest entry "
                         f"{size:.3g}); give a symmetric array, e.g. ({name} + {name}.T) / 2")
    if structure == "spd" and int(torch.linalg.cholesky_ex((a + a.T) / 2).info) != 0:
        raise ValueError(f"{name} is declared spd but its value is not positive "
                         "definite (its Cholesky factorisation fails); give a "
                         "symmetric matrix with positive eigenvalues")
    return a
''',
    "_sigmoid": "def _sigmoid(x):\n    return torch.sigmoid(x)\n",
    # logaddexp(0, x) is exact for every x (F.softplus switches to x above 20)
    "_softplus": "def _softplus(x):\n    return torch.logaddexp(torch.zeros_like(x), x)\n",
    "_relu": "def _relu(x):\n    return torch.relu(x)\n",
    "_step": "def _step(x):\n    return (x > 0).to(x.dtype)\n",
    "_sign": "def _sign(x):\n    return torch.sign(x)\n",
    "_softmax": "def _softmax(x):\n    return torch.softmax(x, dim=0)\n",
    "_logsumexp": "def _logsumexp(x):\n    return torch.logsumexp(x.reshape(-1), dim=0)\n",
    "_ismax": '''
def _ismax(x):
    """1 at the first largest entry (as np.argmax picks it), 0 elsewhere."""
    out = torch.zeros(x.numel(), dtype=x.dtype, device=x.device)
    out[torch.argmax(x)] = 1
    return out.reshape(x.shape)
''',
}


def _embed(target: str, shape: str, full: str, reduced: str, rhs: str,
           sizes: list[str]) -> list[str]:
    """rhs written onto the diagonal positions with index tensors (no identity built)."""
    k = len(reduced)
    index = []
    for ch in full:
        q = reduced.index(ch)
        view = ", ".join(":" if i == q else "None" for i in range(k))
        index.append(f"torch.arange({sizes[q]}, device=_dev)[{view}]")
    return [f"    {target} = torch.zeros({shape}, dtype=_dt, device=_dev)",
            f"    {target}[{', '.join(index)}] = {rhs}"]


def torch_backend() -> Backend:
    return Backend(
        name="torch", namespace="torch", imports=("import torch",),
        templates={
            "zeros": "torch.zeros({shape}, dtype=_dt, device=_dev)",
            "ones": "torch.ones({shape}, dtype=_dt, device=_dev)",
            "eye": "torch.eye({0}, dtype=_dt, device=_dev)", "vdot": "torch.sum({0} * {1})",
            "einsum": 'torch.einsum("{spec}", {ops})',
            "multidot": "torch.linalg.multi_dot([{ops}])",
            "dtype": "_dt, _dev = _dtype({ops})", "cast": "{0}.to(dtype=_dt, device=_dev)",
            "scalar": "torch.as_tensor({0}, dtype=_dt, device=_dev)", "copy": "{0}.clone()",
            "concat": "torch.cat([{ops}], dim={axis})", "return": "({ops})",
        },
        helpers=HELPERS, embed=_embed, reserved=frozenset({"torch", "_dt", "_dev"}))
