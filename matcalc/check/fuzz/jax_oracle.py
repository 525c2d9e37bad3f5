"""An independent oracle: the example's text evaluated with JAX, differentiated by ``jax.jacobian``.

matcalc's own checks (verify, evaluate) compute with matcalc's evaluator, so a
bug shared by the derivative and the evaluation could hide.  Here the *text* of
an example is interpreted afresh, operator by operator, with ``jax.numpy``
(only the parser is shared), and JAX's automatic derivative is compared with
the value of matcalc's symbolic one at a point where both are finite.  Without
``jit``: jaxlib 0.10.2 on CPU miscompiles ``jit(jacobian(...))`` of some
products with ones, and an oracle must not be the one that is wrong.

:func:`jax_check` returns an :class:`~matcalc.check.fuzz.oracle.Outcome`:
``"jax"`` when the two disagree, ``"inconclusive"`` where the text uses a
function this interpreter does not know (its table: :func:`_calls`, and the
constructors ``ones``, ``zeros``, ``eye``, ``einsum``, ``reshape``, ``unvec``).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from matcalc.check.fuzz.oracle import Outcome, failure_signature
from matcalc.check.fuzz.tree import Sample
from matcalc.ops.linalg import DET, DIAG, INV, LOGDET  # the language's call names
from matcalc.ops.reductions import SOFTMAX

Fn = Callable[..., Any]


def _jnp() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]  # float64
    import jax.numpy as jnp

    return jnp


class Unknown(Exception):
    """A name the interpreter has no JAX counterpart for."""


def _calls(jnp: Any) -> dict[str, Fn]:
    """The language's calls in JAX, written from their definitions (SPEC section 2)."""
    def softmax(x: Any) -> Any:
        z = jnp.exp(x - jnp.max(x))
        return z / jnp.sum(z)

    def logsumexp(x: Any) -> Any:
        m = jnp.max(x)
        return m + jnp.log(jnp.sum(jnp.exp(x - m)))

    def ismax(x: Any) -> Any:
        flat = jnp.zeros(x.size).at[jnp.argmax(x)].set(1.0)
        return flat.reshape(x.shape)

    def diag(a: Any) -> Any:
        return jnp.diag(a) if a.ndim == 1 else jnp.diagonal(a)

    return {
        "sum": jnp.sum, "mean": jnp.mean, "tr": jnp.trace, "trace": jnp.trace,
        DET: jnp.linalg.det, LOGDET: lambda a: jnp.linalg.slogdet(a)[1],
        INV: jnp.linalg.inv, DIAG: diag, "dot": lambda a, b: jnp.sum(a * b),
        "outer": jnp.outer, "kron": jnp.kron, "vec": lambda a: a.T.reshape(-1),
        "norm": lambda a: jnp.sqrt(jnp.sum(a * a)), "norm1": lambda a: jnp.sum(jnp.abs(a)),
        "norminf": lambda a: jnp.max(jnp.abs(a)), SOFTMAX: softmax, "logsumexp": logsumexp,
        "ismax": ismax,
        "exp": jnp.exp, "log": jnp.log, "sqrt": jnp.sqrt, "sin": jnp.sin, "cos": jnp.cos,
        "tan": jnp.tan, "sinh": jnp.sinh, "cosh": jnp.cosh, "tanh": jnp.tanh, "abs": jnp.abs,
        "sign": jnp.sign, "relu": lambda x: jnp.maximum(x, 0.0),
        "step": lambda x: jnp.where(x > 0, 1.0, 0.0),
        "sigmoid": lambda x: 1 / (1 + jnp.exp(-x)), "softplus": lambda x: jnp.logaddexp(0.0, x),
    }


class Eye:
    """A bare ``I``: the identity whose size the other operand of ``+ - * @`` says."""


def _sized(jnp: Any, a: Any, other: Any) -> Any:
    if not isinstance(a, Eye):
        return a
    if isinstance(other, Eye) or getattr(other, "ndim", 0) != 2:
        raise Unknown("name I (an identity whose size is not read off a matrix)")
    return jnp.eye(other.shape[0])


class Interpreter:
    """The value of a parsed text with JAX, given the variables' values and the sizes."""

    def __init__(self, text: str, sizes: dict[str, int]):
        from matcalc.lang.parser import parse_text

        self.jnp = _jnp()
        self.parsed = parse_text(text)
        self.definitions = {d.name: d.body for d in self.parsed.definitions}
        self.sizes = sizes
        self.calls = _calls(self.jnp)

    def value(self, values: dict[str, Any]) -> Any:
        return self._eval(self.parsed.expr, values, {})

    def _dim(self, r: Any) -> int:
        if r.kind == "number":
            return int(r.value)
        if r.kind == "name":
            return self.sizes[r.value]
        if r.kind == "mul":
            return self._dim(r.children[0]) * self._dim(r.children[1])
        raise Unknown(f"dimension {r.kind}")

    def _eval(self, r: Any, values: dict[str, Any], memo: dict[str, Any]) -> Any:
        jnp = self.jnp
        k = r.kind
        if k == "number":
            return jnp.asarray(float(r.value))
        if k == "name":
            if r.value in self.definitions:
                if r.value not in memo:
                    memo[r.value] = self._eval(self.definitions[r.value], values, memo)
                return memo[r.value]
            if r.value in values:
                return values[r.value]
            if r.value in self.sizes:
                return jnp.asarray(float(self.sizes[r.value]))
            if r.value == "I":
                return Eye()
            raise Unknown(f"name {r.value}")
        if k == "call":
            return self._call(r, values, memo)
        args = [self._eval(c, values, memo) for c in r.children]
        if len(args) == 2:  # I + A, I @ B: the identity takes the other's size
            args = [_sized(jnp, args[0], args[1]), _sized(jnp, args[1], args[0])]
        elif any(isinstance(a, Eye) for a in args):
            raise Unknown("name I (an identity whose size is not read off a matrix)")
        if k == "neg":
            return -args[0]
        if k == "transpose":
            a = args[0]  # a vector's transpose is a row (1×n), a row's is the vector
            if a.ndim == 1:
                return a.reshape(1, -1)
            return a[0] if a.ndim == 2 and a.shape[0] == 1 else a.T
        if k == "add":
            return args[0] + args[1]
        if k == "sub":
            return args[0] - args[1]
        if k == "mul":
            return args[0] * args[1]
        if k == "div":
            return args[0] / args[1]
        if k == "pow":
            return args[0] ** args[1]
        if k == "matmul":
            return _matmul(jnp, args[0], args[1])
        raise Unknown(f"operator {k}")

    def _call(self, r: Any, values: dict[str, Any], memo: dict[str, Any]) -> Any:
        jnp = self.jnp
        name, kids = r.value, r.children
        if name in ("ones", "zeros"):
            shape = tuple(self._dim(c) for c in kids)
            return jnp.ones(shape) if name == "ones" else jnp.zeros(shape)
        if name == "eye":
            return jnp.eye(self._dim(kids[0]))
        if name == "einsum":
            operands = [self._eval(c, values, memo) for c in kids[1:]]
            return jnp.einsum(kids[0].value, *operands)
        if name == "reshape":
            return jnp.reshape(self._eval(kids[0], values, memo),
                               tuple(self._dim(c) for c in kids[1:]))
        if name == "unvec":
            v = self._eval(kids[0], values, memo)
            return v.reshape(self._dim(kids[2]), self._dim(kids[1])).T
        fn = self.calls.get(name)
        if fn is None:
            raise Unknown(f"function {name}")
        args = [self._eval(c, values, memo) for c in kids]
        if any(isinstance(a, Eye) for a in args):
            raise Unknown("name I (an identity whose size is not read off a matrix)")
        return fn(*args)


def _matmul(jnp: Any, a: Any, b: Any) -> Any:
    """``@`` with matcalc's vectors (columns) and rows (1×n)."""
    if a.ndim == 1 and b.ndim == 2 and b.shape[0] == 1:  # column @ row: an outer product
        return jnp.outer(a, b[0])
    out = a @ b
    if a.ndim == 2 and a.shape[0] == 1 and b.ndim == 1:  # row @ column: a number
        return out[0]
    return out


def jax_check(s: Sample, seed: int = 0, rtol: float = 1e-6) -> Outcome:
    """``diff(f, x)`` of every variable against ``jax.jacobian`` of the interpreted text."""
    import jax

    import matcalc as mc
    from matcalc.check.sampling import choose_sizes
    from matcalc.check.verify import find_point

    text = s.text()
    f = mc.parse(text, shapes=s.shapes())
    derivatives = {name: mc.diff(f, name) for name in f.variables()}
    sizes = choose_sizes(f, None, tuple(derivatives.values()))
    point = find_point(f, sizes, seed=seed, also=tuple(derivatives.values()))
    if point is None:
        return Outcome("inconclusive", "no point where f and its derivatives are finite")
    try:
        interp = Interpreter(text, sizes)
    except Exception:  # pragma: no cover - a text that parsed for matcalc parses here
        tb = traceback.format_exc()
        return Outcome("crash", f"jax oracle on {text!r}\n{tb}")
    arrays = {k: interp.jnp.asarray(np.asarray(v, dtype=float)) for k, v in point.items()
              if k in f.variables()}
    count = 0
    for name, d in derivatives.items():
        var = f.variables()[name]

        def F(x: Any, _name: str = name) -> Any:
            return interp.value({**arrays, _name: x})

        try:
            jac = np.asarray(jax.jacobian(F)(arrays[name]), dtype=float)
            ours = np.asarray(mc.evaluate(d, point), dtype=float)
        except Unknown as e:
            return Outcome("inconclusive", f"the JAX interpreter does not know {e}")
        if jac.size != ours.size:
            return Outcome("jax", f"d/d{name} of {text}: JAX's Jacobian has shape {jac.shape}, "
                           f"matcalc's derivative {ours.shape}", name, signature="jax-shape")
        jac = jac.reshape(ours.shape)
        if var.structure:  # a symmetric variable moves along symmetric directions only
            jac = (jac + np.swapaxes(jac, -1, -2)) / 2
        if not (np.all(np.isfinite(jac)) and np.all(np.isfinite(ours))):
            return Outcome("inconclusive", f"d/d{name}: not finite at the point")
        scale = max(float(np.max(np.abs(jac))) if jac.size else 0.0, 1e-300)
        err = float(np.max(np.abs(jac - ours))) if jac.size else 0.0
        if err > rtol * scale + 1e-12:
            return Outcome("jax", f"d/d{name} of {text} = {d}\n  matcalc and jax.jacobian "
                           f"differ by {err:.3g} (largest entry {scale:.3g}) at sizes {sizes}",
                           name, signature=failure_signature("jax", "differ"))
        count += 1
    return Outcome("pass", derivatives=count)
