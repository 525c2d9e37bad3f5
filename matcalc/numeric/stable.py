"""Stable forms of the log-sigmoid family, written before code is generated.

``log(sigmoid(z))`` is ``-inf`` in floating point for ``z < -745`` although its
value is ``z``; ``log(1 - sigmoid(z))`` and ``log(1 + exp(z))`` overflow the same
way.  :func:`stable` rewrites them into softplus forms (softplus is
``logaddexp(0, z)``, exact for every ``z``) and ``log(sum(exp(z)))`` into
``logsumexp(z)``, so a value and the derivatives taken of it are finite wherever
the mathematical function is (``log(softmax(z))`` is already ``z - logsumexp(z)``
in the constructors, and the sigmoid, softmax and logsumexp kernels of every
backend are the stable ones):

    log(sigmoid(z))      = -softplus(-z)
    log(1 - sigmoid(z))  = -softplus(z)
    log(1 + exp(z))      = softplus(z)
    log(sum(exp(z)))     = logsumexp(z)      (z a vector)

The rewritten expression equals the original everywhere; evaluation and code
generation use it, and printed results keep the user's form.
"""

from __future__ import annotations

from matcalc.core.expr import Expr, rebuild
from matcalc.ops import construct as c
from matcalc.ops.record import op as op_record


def _is_fn(e: Expr, name: str) -> bool:
    return e.op == "fn" and e.attrs[0] == name


def _one_plus(e: Expr) -> Expr | None:
    """``t`` when ``e`` is the sum ``1 + t``, else None."""
    if e.op != "add" or len(e.args) != 2:
        return None
    one = [a for a in e.args if a.op == "const" and a.attrs[0] == 1]
    if not one:
        return None
    return e.args[1] if e.args[0] is one[0] else e.args[0]


def _negated(e: Expr) -> Expr | None:
    """``t`` when ``e`` is ``-t`` (the coefficient -1 times ``t``), else None."""
    if e.op == "mul" and len(e.args) == 2 and e.args[0].op == "const" and e.args[0].attrs[0] == -1:
        return e.args[1]
    return None


def _stable_log(u: Expr) -> Expr | None:
    """A stable form of ``log(u)``, or None where ``log(u)`` is fine as it is."""
    if _is_fn(u, "sigmoid"):
        return c.neg(c.fn("softplus", c.neg(u.args[0])))
    t = _one_plus(u)
    if t is not None:
        s = _negated(t)
        if s is not None and _is_fn(s, "sigmoid"):
            return c.neg(c.fn("softplus", s.args[0]))
        if _is_fn(t, "exp"):
            return c.fn("softplus", t.args[0])
    if u.op == "sum" and _is_fn(u.args[0], "exp") and u.args[0].ndim == 1:
        return c.logsumexp(u.args[0].args[0])
    return None


def stable(f: Expr) -> Expr:
    """``f`` with the log-sigmoid family in softplus form (equal everywhere, finite)."""

    def visit(node: Expr, args: tuple[Expr, ...]) -> Expr:
        if _is_fn(node, "log"):
            better = _stable_log(args[0])
            if better is not None:
                return better
        if all(a is b for a, b in zip(args, node.args, strict=True)):
            return node
        record = op_record(node.op)
        assert record.rebuild is not None
        return record.rebuild(node, args)

    return rebuild(f, visit)
