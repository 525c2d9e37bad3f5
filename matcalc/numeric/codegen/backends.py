"""The backends :func:`matcalc.codegen` writes for, by name."""

from __future__ import annotations

from matcalc.core.errors import MatcalcError
from matcalc.numeric.codegen.backend import Backend
from matcalc.numeric.codegen.dask_backend import dask_backend
from matcalc.numeric.codegen.jax_backend import jax_backend
from matcalc.numeric.codegen.numpy_backend import numpy_backend
from matcalc.numeric.codegen.torch_backend import torch_backend

BACKENDS = {"numpy": numpy_backend, "jax": jax_backend, "torch": torch_backend,
            "dask": dask_backend}


def backend(name: object) -> Backend:
    """The backend called ``name`` (``numpy``, ``jax``, ``torch``, ``dask``)."""
    if not isinstance(name, str) or name not in BACKENDS:
        raise MatcalcError(f"unknown codegen backend {name!r}: choose one of "
                           + ", ".join(BACKENDS))
    return BACKENDS[name]()
