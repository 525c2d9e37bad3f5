"""The NumPy backend: matcalc's own evaluation kernels, carried by their source."""

from __future__ import annotations

from matcalc.numeric.binding import structure_source
from matcalc.numeric.codegen.backend import SIZE_HELPER, Backend
from matcalc.numeric.paths import einsum_source
from matcalc.ops.kernels import KERNELS, kernel_source

INPUTS: dict[str, str] = {
    "_array": '''
def _array(values, name, ndim):
    """values[name] as an array with ndim axes; integers and booleans become float64."""
    if name not in values:
        raise ValueError(f"no value given for {name}")
    a = np.asarray(values[name])
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} should have {ndim} axes but has shape {a.shape}")
    return a
''',
    "_size": SIZE_HELPER,
    "_dtype": '''
def _dtype(*arrays):
    """The floating type the module computes in: that of the array inputs."""
    shaped = [a for a in arrays if a.ndim] or list(arrays)
    return np.result_type(*shaped) if shaped else np.dtype(np.float64)
''',
}


def _embed(target: str, shape: str, full: str, reduced: str, rhs: str,
           sizes: list[str]) -> list[str]:
    return [f"    {target} = np.zeros({shape}, dtype=_dt)",
            f'    np.einsum("{full}->{reduced}", {target})[...] = {rhs}']


def numpy_backend() -> Backend:
    helpers = dict(INPUTS)
    helpers["_structure"] = structure_source()
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
