"""How a generated module takes its inputs: ``_array``, ``_size``, ``_dtype``, ``_structure``.

Written once for every backend.  ``_array``, ``_size`` and ``_dtype`` are
NumPy-spelled sources that a backend reads in its own namespace, as it reads
the operator records' templates (``np.asarray`` becomes ``jnp.asarray`` or
``da.asarray``); PyTorch, whose tensors convert and promote differently, has
its own.  ``_structure`` (is a ``symmetric``/``spd`` input what it is declared?)
is one skeleton with one set of messages: the backend says how to measure its
array and how to test positive definiteness.  NumPy's is the evaluator's own
check, carried by its source (:func:`matcalc.numeric.binding.structure_source`),
so generated code refuses exactly what ``evaluate`` refuses.
"""

from __future__ import annotations

import re
from string import Template

from matcalc.numeric.binding import structure_source

# the one helper written the same way for every backend (plain Python: no array library)
SIZE = '''
def _size(values, name):
    """The size of dimension name, which no input array fixes."""
    if name not in values:
        raise ValueError(f"the size of dimension {name} is not known: give it as {name}=...")
    return int(values[name])
'''

# integers and booleans become the default float (float32 for JAX without x64); kinds f
# and c are floats and complex numbers, V the ml_dtypes floats (bfloat16) JAX computes in
ARRAY = '''
def _array(values, name, ndim):
    """values[name] as an array with ndim axes; integers and booleans become floats."""
    if name not in values:
        raise ValueError(f"no value given for {name}")
    a = np.asarray(values[name])
    if a.dtype.kind not in "fcV":
        a = a.astype(np.result_type(float))
    if a.ndim != ndim:
        raise ValueError(f"{name} should have {ndim} axes but has shape {a.shape}")
    return a
'''

DTYPE = '''
def _dtype(*arrays):
    """The floating type the module computes in: that of the array inputs."""
    shaped = [a for a in arrays if a.ndim] or list(arrays)
    return np.result_type(*shaped) if shaped else np.result_type(float)
'''

TORCH_ARRAY = '''
def _array(values, name, ndim):
    """values[name] as a tensor with ndim axes; integers and booleans become float64."""
    if name not in values:
        raise ValueError(f"no value given for {name}")
    a = values[name]
    if not isinstance(a, torch.Tensor):  # a Python float is float64, not torch's default
        a = torch.as_tensor(a, dtype=torch.float64 if isinstance(a, (int, float)) else None)
    if not (a.is_floating_point() or a.is_complex()):
        a = a.to(torch.float64)
    if a.ndim != ndim:
        raise ValueError(f"{name} should have {ndim} axes but has shape {tuple(a.shape)}")
    return a
'''

TORCH_DTYPE = '''
def _dtype(*arrays):
    """The dtype and device the module computes with: those of the array inputs."""
    shaped = [a for a in arrays if a.ndim] or list(arrays)
    if not shaped:
        return torch.float64, torch.device("cpu")
    dtype = shaped[0].dtype
    for a in shaped[1:]:
        dtype = torch.promote_types(dtype, a.dtype)
    return dtype, shaped[0].device
'''

# ``measure`` sets size (the largest |entry|), asym (the largest |a - a.T|) or returns a
# when there is nothing to check; ``definite`` sets definite (a Cholesky factor exists)
STRUCTURE = Template('''
def _structure(a, name, structure):
    """a, refused (ValueError) if it breaks its declared structure$when."""
$measure
    if asym > 1e-8 * size:
        raise ValueError(f"{name} is declared {structure} but its value is not symmetric "
                         f"(largest |{name} - {name}'| is {asym:.3g}, largest entry "
                         f"{size:.3g}); give a symmetric array, e.g. ({name} + {name}.T) / 2")
    if structure == "spd":
$definite
        if not definite:
            raise ValueError(f"{name} is declared spd but its value is not positive "
                             "definite (its Cholesky factorisation fails); give a "
                             "symmetric matrix with positive eigenvalues")
    return a
''')

STRUCTURES = {
    "jax": {
        "when": (" (on concrete values;\n    under jax.jit the value is not known while "
                 "tracing, and the check is skipped)"),
        "measure": '''\
    try:
        size = float(jnp.max(jnp.abs(a)))
        asym = float(jnp.max(jnp.abs(a - a.T)))
        finite = bool(jnp.all(jnp.isfinite(a)))
    except jax.errors.ConcretizationTypeError:
        return a
    if not finite or not a.size:
        return a''',
        "definite": "        definite = bool(jnp.all(jnp.isfinite(jnp.linalg.cholesky(a))))",
    },
    "torch": {
        "when": "",
        "measure": '''\
    if not bool(torch.all(torch.isfinite(a))) or not a.numel():
        return a
    size = float(torch.max(torch.abs(a)))
    asym = float(torch.max(torch.abs(a - a.T)))''',
        "definite": "        definite = int(torch.linalg.cholesky_ex((a + a.T) / 2).info) == 0",
    },
    "dask": {
        "when": " (computed: a is small)",
        "measure": '''\
    size, asym, finite = dask.compute(abs(a).max(), abs(a - a.T).max(), da.isfinite(a).all())
    if not finite or not a.size:
        return a''',
        "definite": '''\
        try:
            da.linalg.cholesky(((a + a.T) / 2).rechunk(-1)).compute()
            definite = True
        except Exception:
            definite = False''',
    },
}


def input_helpers(backend: str, namespace: str) -> dict[str, str]:
    """The input helpers' sources for ``backend``, whose arrays live in ``namespace``."""
    def spelled(source: str) -> str:
        return re.sub(r"\bnp\.", namespace + ".", source)

    if backend == "torch":
        helpers = {"_array": TORCH_ARRAY, "_size": SIZE, "_dtype": TORCH_DTYPE}
    else:
        helpers = {"_array": spelled(ARRAY), "_size": SIZE, "_dtype": spelled(DTYPE)}
    helpers["_structure"] = (structure_source() if backend == "numpy"
                             else STRUCTURE.substitute(STRUCTURES[backend]))
    return helpers
