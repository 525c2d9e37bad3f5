"""The PyTorch backend: tensors on any device (CPU or CUDA).

Inputs become tensors with ``torch.as_tensor`` on the device of the first
array input (``_dev``); the constants a module builds are made on that device
in the inputs' dtype, so a CUDA float32 input gives CUDA float32 results.
"""

from __future__ import annotations

from matcalc.numeric.codegen.backend import Backend, diagonal_index
from matcalc.numeric.codegen.inputs import input_helpers

# the kernels; the input helpers are in .inputs
KERNELS: dict[str, str] = {
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
    index = diagonal_index(full, reduced, sizes, "torch.arange({}, device=_dev)")
    return [f"    {target} = torch.zeros({shape}, dtype=_dt, device=_dev)",
            f"    {target}[{index}] = {rhs}"]


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
        helpers={**input_helpers("torch", "torch"), **KERNELS}, embed=_embed,
        reserved=frozenset({"torch", "_dt", "_dev"}))
