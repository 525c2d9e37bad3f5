"""The JAX backend: pure ``jax.numpy`` functions that ``jax.jit`` compiles.

No Python control flow depends on a value: the one check of values, that a
``symmetric``/``spd`` input has that structure, runs on concrete arrays and is
skipped while ``jax.jit`` traces (jit cannot raise on a value; call the module
once unjitted, or check the input yourself, to have it checked).  Shape checks
read static shapes and stay.  Under ``jax.jit`` JAX computes in float32 unless
``jax_enable_x64`` is set; the module follows whatever dtype its inputs have.
"""

from __future__ import annotations

from matcalc.numeric.codegen.backend import Backend, diagonal_index
from matcalc.numeric.codegen.inputs import input_helpers

# the kernels (JAX's own stable implementations); the input helpers are in .inputs
KERNELS: dict[str, str] = {
    "_sigmoid": "def _sigmoid(x):\n    return jax.nn.sigmoid(x)\n",
    "_softplus": "def _softplus(x):\n    return jax.nn.softplus(x)\n",
    "_relu": "def _relu(x):\n    return jnp.maximum(x, 0)\n",
    "_step": "def _step(x):\n    return jnp.heaviside(x, 0.0)\n",
    "_sign": "def _sign(x):\n    return jnp.sign(x)\n",
    "_softmax": "def _softmax(x):\n    return jax.nn.softmax(x)\n",
    "_logsumexp": "def _logsumexp(x):\n    return jax.scipy.special.logsumexp(x)\n",
    "_ismax": ("def _ismax(x):\n    # 1 at the first largest entry, as np.argmax picks it\n"
               "    first = jax.nn.one_hot(jnp.argmax(x), x.size, dtype=x.dtype)\n"
               "    return first.reshape(x.shape)\n"),
}


def _embed(target: str, shape: str, full: str, reduced: str, rhs: str,
           sizes: list[str]) -> list[str]:
    """rhs scattered onto the diagonal positions with index arrays (no identity built)."""
    index = diagonal_index(full, reduced, sizes, "jnp.arange({})")
    return [f"    {target} = jnp.zeros({shape}, dtype=_dt).at[{index}].set({rhs})"]


def jax_backend() -> Backend:
    return Backend(
        name="jax", namespace="jnp",
        imports=("import jax", "import jax.numpy as jnp", "import jax.scipy.special"),
        templates={
            "zeros": "jnp.zeros({shape}, dtype=_dt)", "ones": "jnp.ones({shape}, dtype=_dt)",
            "eye": "jnp.eye({0}, dtype=_dt)", "vdot": "jnp.vdot({0}, {1})",
            "einsum": 'jnp.einsum("{spec}", {ops})',
            "multidot": "jnp.linalg.multi_dot([{ops}])",
            "dtype": "_dt = _dtype({ops})", "cast": "{0}.astype(_dt)",
            "scalar": "jnp.asarray({0}, dtype=_dt)", "copy": "jnp.asarray({0})",
            "concat": "jnp.concatenate([{ops}], axis={axis})", "return": "({ops})",
            # XLA on CPU copies M into M.T before the product M.T @ v (for the logistic
            # gradient X.T @ r, a copy of the data matrix: 2x the time); v @ M is the
            # same product read along M's rows, compiled without the copy
            "transposed_matvec": "{vec} @ {mat}",
        },
        helpers={**input_helpers("jax", "jnp"), **KERNELS}, embed=_embed,
        reserved=frozenset({"jax", "jnp", "_dt"}))
