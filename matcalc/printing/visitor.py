"""The printers' common walk: each node printed once, from its operands' pieces.

A printer subclasses :class:`Visitor` with its piece type, its ``_print_<op>``
methods for the irregular forms, and :meth:`call_form` for the operators its
records name (``Op.text`` or ``Op.latex``), as SymPy's printers share one
``Printer`` base.  The walk is iterative, so depth is no limit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Generic, TypeVar

from matcalc.core.expr import Expr, postorder
from matcalc.ops.record import OPS, Op

P = TypeVar("P")
Method = Callable[[Expr, list[P]], P]


class Visitor(ABC, Generic[P]):
    """Prints each node from the pieces of its operands."""

    form = ""  # what the printer writes, for the error on an operator it cannot

    def __init__(self) -> None:
        self.done: dict[int, P] = {}
        # ``done`` is keyed by id: the roots printed stay alive with the printer, so
        # that no id is reused for another node
        self.roots: list[Expr] = []
        self.methods: dict[str, Method[P]] = {}  # by op

    def piece(self, root: Expr) -> P:
        """The printed piece of ``root``, reusing pieces printed before."""
        done = self.done
        if id(root) in done:
            return done[id(root)]
        self.roots.append(root)
        methods = self.methods
        for node in postorder(root, known=done):
            method = methods.get(node.op) or methods.setdefault(node.op, self.method(node.op))
            done[id(node)] = method(node, [done[id(a)] for a in node.args])
        return done[id(root)]

    def method(self, op: str) -> Method[P]:
        """The printing method of ``op``: its override, or the call form its record names."""
        method: Method[P] | None = getattr(self, f"_print_{op}", None)
        if method is not None:
            return method
        record = OPS.get(op)
        call = self.call_form(record) if record is not None else None
        if call is None:
            raise TypeError(f"no {self.form} form for {op}")
        return call

    @abstractmethod
    def call_form(self, record: Op) -> Method[P] | None:
        """How an operator written as a call is printed (None: it is not one)."""
