"""The Dask backend: chunked arrays larger than memory, on one machine or a cluster.

A data matrix given as a chunked ``dask.array`` stays chunked: ``X @ w`` is
computed chunk by chunk of rows, ``X.T @ r`` and ``sum`` reduce over the
chunks, so nothing of the data's size is built beyond the inputs and the
row-length vectors.  The module builds the whole task graph and computes every
output with one ``dask.compute``, so the data is read once for all of them;
the results are NumPy arrays.  Small parameter inputs (NumPy arrays) become
one-chunk dask arrays.  ``det``/``logdet`` of a (small, one-chunk) matrix run
NumPy's on that chunk (``map_blocks``); an order-3 or order-4 tensor with a
Kronecker delta is built with a small ``da.eye`` (dask cannot write into a
diagonal view).
"""

from __future__ import annotations

from matcalc.numeric.codegen.backend import Backend
from matcalc.numeric.codegen.inputs import input_helpers

# the kernels; the input helpers are in .inputs
KERNELS: dict[str, str] = {
    "_sigmoid": '''
def _sigmoid(x):
    # exp of a non-positive number only: no overflow for large |x|
    e = da.exp(-abs(x))
    return da.where(x >= 0, 1, e) / (1 + e)
''',
    "_softplus": "def _softplus(x):\n    return da.logaddexp(0, x)\n",
    "_relu": "def _relu(x):\n    return da.maximum(x, 0)\n",
    "_step": "def _step(x):\n    return (x > 0).astype(x.dtype)\n",
    "_sign": "def _sign(x):\n    return da.sign(x)\n",
    "_softmax": "def _softmax(x):\n    z = da.exp(x - x.max())\n    return z / z.sum()\n",
    "_logsumexp": ("def _logsumexp(x):\n    m = x.max()\n"
                   "    return m + da.log(da.exp(x - m).sum())\n"),
    "_ismax": ("def _ismax(x):\n    # 1 at the first largest entry, as np.argmax picks it\n"
               "    first = da.arange(x.size).reshape(x.shape) == da.argmax(x)\n"
               "    return first.astype(x.dtype)\n"),
    "_det": '''
def _det(a):
    """det of a small matrix: NumPy's on its one chunk."""
    import numpy

    return da.asarray(a).rechunk(-1).map_blocks(numpy.linalg.det, drop_axis=(0, 1),
                                                dtype=a.dtype)
''',
    "_logabsdet": '''
def _logabsdet(a):
    """log |det| of a small matrix: NumPy's slogdet on its one chunk."""
    import numpy

    return da.asarray(a).rechunk(-1).map_blocks(lambda b: numpy.linalg.slogdet(b)[1],
                                                drop_axis=(0, 1), dtype=a.dtype)
''',
    "_inv": '''
def _inv(a):
    """The inverse of a small matrix: NumPy's on its one chunk."""
    import numpy

    return da.asarray(a).rechunk(-1).map_blocks(numpy.linalg.inv, dtype=a.dtype)
''',
    "_kron": '''
def _kron(a, b):
    """np.kron of two vectors or two matrices, as an outer product reshaped."""
    if a.ndim == 1:
        return da.einsum("i,k->ik", a, b).reshape(-1)
    (m, n), (p, q) = a.shape, b.shape
    return da.einsum("ij,kl->ikjl", a, b).reshape(m * p, n * q)
''',
}


def _embed(target: str, shape: str, full: str, reduced: str, rhs: str,
           sizes: list[str]) -> list[str]:
    """rhs times Kronecker deltas (small identities) over the repeated output indices."""
    letters = iter("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    seen: set[str] = set()
    out, deltas, ops = [], [], []
    for ch in full:
        if ch in seen:
            new = next(letters)
            deltas.append(ch + new)
            ops.append(f"da.eye({sizes[reduced.index(ch)]}, dtype=_dt)")
            out.append(new)
        else:
            seen.add(ch)
            out.append(ch)
    spec = ",".join([reduced, *deltas]) + "->" + "".join(out)
    whole = f"da.broadcast_to({rhs}, ({', '.join(sizes)},))"  # rhs may lack axes, or be 1.0
    return [f'    {target} = da.einsum("{spec}", {whole}, {", ".join(ops)})']


def dask_backend() -> Backend:
    return Backend(
        name="dask", namespace="da", imports=("import dask", "import dask.array as da"),
        templates={
            "zeros": "da.zeros({shape}, dtype=_dt)", "ones": "da.ones({shape}, dtype=_dt)",
            "eye": "da.eye({0}, dtype=_dt)", "vdot": "({0} * {1}).sum()",
            "einsum": 'da.einsum("{spec}", {ops})', "multidot": "({chain})",
            "dtype": "_dt = _dtype({ops})", "cast": "{0}.astype(_dt)",
            "scalar": "{0}", "copy": "{0}",
            "concat": "da.concatenate([{ops}], axis={axis})",
            "return": "dask.compute({ops})",
        },
        helpers={**input_helpers("dask", "da"), **KERNELS}, embed=_embed,
        reserved=frozenset({"dask", "da", "_dt"}))
