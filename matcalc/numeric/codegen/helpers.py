"""The helper functions a generated module defines, as text, written only when used.

Generated modules import nothing but NumPy, so these repeat functions that
matcalc evaluates with: ``_einsum`` is :func:`matcalc.numeric.executor.einsum`,
``_sigmoid`` the stable sigmoid of :mod:`matcalc.ops.elementwise`, ``_softmax``,
``_logsumexp`` and ``_ismax`` the values in :mod:`matcalc.numeric.optable`.
"""

from __future__ import annotations

HELPERS: dict[str, str] = {
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
    "_sigmoid": '''
def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)
''',
    "_softplus": '''
def _softplus(x):
    return np.logaddexp(0.0, x)
''',
    "_relu": '''
def _relu(x):
    return np.maximum(x, 0.0)
''',
    "_step": '''
def _step(x):
    return np.where(x > 0, 1.0, 0.0)
''',
    "_softmax": '''
def _softmax(x):
    z = np.exp(x - np.max(x))
    return z / np.sum(z)
''',
    "_logsumexp": '''
def _logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))
''',
    "_ismax": '''
def _ismax(x):
    out = np.zeros(np.shape(x))
    out.flat[int(np.argmax(x))] = 1.0
    return out
''',
    "_einsum": '''
_PATHS = {}


def _einsum(spec, *operands):
    """np.einsum along the best path (greedy beyond 6 operands), found once per spec."""
    key = (spec, *(o.shape for o in operands))
    path = _PATHS.get(key)
    if path is None:
        path = _PATHS[key] = np.einsum_path(
            spec, *operands, optimize="optimal" if len(operands) <= 6 else "greedy")[0]
    return np.einsum(spec, *operands, optimize=path)
''',
}

# names the generated function uses for itself: never given to a variable or temporary
RESERVED: set[str] = {"np", "values", "value_and_derivatives", "float", "int", "ValueError",
                      "_PATHS", *HELPERS}
