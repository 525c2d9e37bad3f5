"""The NumPy backend: matcalc's own evaluation kernels, carried by their source."""

from __future__ import annotations

from matcalc.numeric.codegen.backend import Backend
from matcalc.numeric.codegen.inputs import input_helpers
from matcalc.numeric.paths import einsum_source
from matcalc.ops.kernels import KERNELS, kernel_source


def _embed(target: str, shape: str, full: str, reduced: str, rhs: str,
           sizes: list[str]) -> list[str]:
    return [f"    {target} = np.zeros({shape}, dtype=_dt)",
            f'    np.einsum("{full}->{reduced}", {target})[...] = {rhs}']


def numpy_backend() -> Backend:
    helpers = input_helpers("numpy", "np")
    helpers.update({name: kernel_source(name) for name in KERNELS})
    helpers["_einsum"] = einsum_source()
    return Backend(
        name="numpy", namespace="np", imports=("import numpy as np",),
        templates={
            "zeros": "np.zeros({shape}, dtype=_dt)", "ones": "np.ones({shape}, dtype=_dt)",
            "eye": "np.eye({0}, dtype=_dt)", "vdot": "np.vdot({0}, {1})",
            "einsum": '_einsum("{spec}", {ops})', "multidot": "np.linalg.multi_dot([{ops}])",
            "dtype": "_dt = _dtype({ops})", "cast": "{0}.astype(_dt)",
            "scalar": "_dt.type({0})", "copy": "np.array({0})",
            "concat": "np.concatenate([{ops}], axis={axis})", "return": "({ops})",
        },
        helpers=helpers, embed=_embed, reserved=frozenset({"np", "_dt", "_PATHS"}))
