"""The helper functions a generated module defines, as text, written only when used.

Generated modules import nothing but NumPy, so they carry the source of what
matcalc evaluates with, never a second copy: the kernels of
:mod:`matcalc.ops.kernels` (``_sigmoid``, ``_softmax``, ... as the operator
and function records name them), ``_einsum`` from :mod:`matcalc.numeric.paths`,
and a user's registered function from its record.  ``_structure`` from
:mod:`matcalc.numeric.binding`.  Only ``_array`` and ``_size``, which check a
module's inputs, are written here.
"""

from __future__ import annotations

from matcalc.numeric.binding import structure_source
from matcalc.numeric.paths import einsum_source
from matcalc.ops.kernels import KERNELS, kernel_source

_INPUTS: dict[str, str] = {
    "_array": '''
def _array(values, name, ndim):
    """values[name] as a float array with ndim axes."""
    if name not in values:
        raise ValueError(f"no value given for {name}")
    a = np.asarray(values[name], dtype=float)
    if a.ndim != ndim:
        raise ValueError(f"{name} should have {ndim} axes but has shape {a.shape}")
    return a
''',
    "_size": '''
def _size(values, name):
    """The size of dimension name, which no input array fixes."""
    if name not in values:
        raise ValueError(f"the size of dimension {name} is not known: give it as {name}=...")
    return int(values[name])
''',
}

# the order a module defines them in: input checks, kernels, then the einsum cache
HELPER_NAMES: tuple[str, ...] = (*_INPUTS, "_structure", *KERNELS, "_einsum")


def helper_source(name: str) -> str:
    """The source of helper ``name`` (one of :data:`HELPER_NAMES`)."""
    if name in _INPUTS:
        return _INPUTS[name]
    if name == "_einsum":
        return einsum_source()
    if name == "_structure":
        return structure_source()
    return kernel_source(name)


# names the generated function uses for itself: never given to a variable or temporary
RESERVED: frozenset[str] = frozenset({"np", "values", "value_and_derivatives", "float", "int",
                                      "ValueError", "_PATHS", *HELPER_NAMES})
