"""NumPy implementations that need care, shared by evaluation and generated code.

Each function here is both the value :func:`matcalc.evaluate` computes and the
source that :func:`matcalc.codegen` writes into a standalone module (read with
``inspect.getsource``), so there is one stable sigmoid, not two.  They may use
only ``np``; their names start with an underscore because that is the name
they have in generated modules, where user variables cannot clash with it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np


def _sigmoid(x: Any) -> Any:
    # exp of a non-positive number only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def _relu(x: Any) -> Any:
    return np.maximum(x, 0.0)


def _step(x: Any) -> Any:
    return np.heaviside(x, 0.0)  # 0 at 0; float32 stays float32


def _sign(x: Any) -> Any:
    return np.sign(np.asarray(x) * 1.0)[()]  # integers as floats; float32 stays float32


def _softmax(x: Any) -> Any:
    z = np.exp(x - np.max(x))
    return z / np.sum(z)


def _logsumexp(x: Any) -> Any:
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _ismax(x: Any) -> Any:
    out = np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))
    out.flat[int(np.argmax(x))] = 1.0
    return out


# along one axis of a matrix: each row (axis 1) or each column (axis 0), shifted by
# that row's or column's largest entry so that exp never overflows


def _softmax_rows(x: Any) -> Any:
    z = np.exp(x - np.max(x, axis=1, keepdims=True))
    return z / np.sum(z, axis=1, keepdims=True)


def _softmax_cols(x: Any) -> Any:
    z = np.exp(x - np.max(x, axis=0, keepdims=True))
    return z / np.sum(z, axis=0, keepdims=True)


def _logsumexp_rows(x: Any) -> Any:
    m = np.max(x, axis=1, keepdims=True)
    return (m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)))[:, 0]


def _logsumexp_cols(x: Any) -> Any:
    m = np.max(x, axis=0, keepdims=True)
    return (m + np.log(np.sum(np.exp(x - m), axis=0, keepdims=True)))[0]


def _ismax_rows(x: Any) -> Any:
    out = np.zeros(np.shape(x))
    out[np.arange(out.shape[0]), np.argmax(x, axis=1)] = 1.0
    return out


def _ismax_cols(x: Any) -> Any:
    out = np.zeros(np.shape(x))
    out[np.argmax(x, axis=0), np.arange(out.shape[1])] = 1.0
    return out


KERNELS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (_sigmoid, _softplus, _relu, _step, _sign, _softmax, _logsumexp,
                            _ismax, _softmax_rows, _softmax_cols, _logsumexp_rows,
                            _logsumexp_cols, _ismax_rows, _ismax_cols)
}


@functools.cache  # reading a source file per generated module would be wasted work
def function_source(fn: Callable[..., Any], header: str) -> str:
    """The source of ``fn`` under the plain ``header`` a generated module writes.

    The annotations go (they name types a generated module does not define); the
    body stays as it is, so the module runs the very code matcalc evaluates with.
    The body must be one unindented ``def`` of one-line header.
    """
    lines = inspect.getsource(fn).splitlines()
    return "\n".join([header, *lines[1:]]) + "\n"


def kernel_source(name: str) -> str:
    """The source of kernel ``name``, as a generated module writes it."""
    return function_source(KERNELS[name], f"def {name}(x):")
