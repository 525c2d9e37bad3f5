"""The printers' common walk: each node printed once, from its operands' pieces.

A printer subclasses :class:`Visitor` with its piece type, its ``_print_<op>``
methods for the irregular forms, and :meth:`call_form` for the operators its
records name (``Op.text`` or ``Op.latex``), as SymPy's printers share one
``Printer`` base.  The walk is iterative, so depth is no limit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from itertools import count
from typing import Generic, TypeVar

from matcalc.core.expr import Expr, postorder
from matcalc.ops.record import OPS, Op

P = TypeVar("P")
Method = Callable[[Expr, list[P]], P]

# A subexpression used more than once and printed at least SHARED_MIN characters long,
# or one longer than LONG_MIN, is named once (``where t0 = ...``): so every printed form
# stays linear in the size of the DAG, however much of it is shared.
SHARED_MIN = 12
LONG_MIN = 200


def operand_uses(root: Expr) -> Counter[int]:
    """How many times each node of ``root`` is an operand (by id)."""
    uses: Counter[int] = Counter()
    for node in postorder(root):
        uses.update(id(a) for a in node.args)
    return uses


class Visitor(ABC, Generic[P]):
    """Prints each node from the pieces of its operands."""

    form = ""  # what the printer writes, for the error on an operator it cannot

    def __init__(self) -> None:
        self.done: dict[int, P] = {}
        # ``done`` is keyed by id: the roots printed stay alive with the printer, so
        # that no id is reused for another node
        self.roots: list[Expr] = []
        self.methods: dict[str, Method[P]] = {}  # by op
        # naming (see :meth:`name_shared`): the nodes printed by name, and their definitions
        self.naming = False
        self.generate = True
        self.uses: Counter[int] = Counter()
        self.given: dict[int, str] = {}
        self.taken: set[str] = set()
        self.unnamed: set[int] = set()
        self.named_nodes: set[int] = set()
        self.definitions: list[tuple[str, P]] = []
        self._fresh = count()

    def name_shared(self, root: Expr, given: dict[str, Expr], generate: bool = True) -> None:
        """Print ``root``'s shared and long subexpressions by name, and those in ``given``.

        ``given`` maps the user's names (``where h = ...``) to their subexpressions;
        other names are ``t0``, ``t1``, ... avoiding every name the expression uses.
        The definitions, operands first, collect in :attr:`definitions`.
        """
        self.naming = True
        self.generate = generate
        self.uses.update(operand_uses(root))
        self.given.update({id(e): name for name, e in given.items()})
        self.unnamed.add(id(root))
        for node in postorder(root):
            if node.op == "var":
                self.taken.add(node.name)
            for d in node.shape:
                self.taken.update(str(d).split("*"))
        self.taken.update(given)

    def piece(self, root: Expr) -> P:
        """The printed piece of ``root``, reusing pieces printed before."""
        done = self.done
        if id(root) in done:
            return done[id(root)]
        self.roots.append(root)
        methods = self.methods
        for node in postorder(root, known=done):
            method = methods.get(node.op) or methods.setdefault(node.op, self.method(node.op))
            p = method(node, [done[id(a)] for a in node.args])
            if self.naming and node.args and id(node) not in self.unnamed:
                name = self._name_for(node, p)
                if name is not None:
                    self.definitions.append((name, p))
                    self.named_nodes.add(id(node))
                    p = self.named(name, node)
            done[id(node)] = p
        return done[id(root)]

    def _name_for(self, node: Expr, p: P) -> str | None:
        given = self.given.get(id(node))
        if given is not None:
            return given
        if not self.generate:
            return None
        size = self.size(p)
        if size < LONG_MIN and (self.uses[id(node)] < 2 or size < SHARED_MIN):
            return None
        name = f"t{next(self._fresh)}"
        while name in self.taken:
            name = f"t{next(self._fresh)}"
        self.taken.add(name)
        return name

    @abstractmethod
    def size(self, piece: P) -> int:
        """The printed length of ``piece``: what decides whether it is named."""

    @abstractmethod
    def named(self, name: str, node: Expr) -> P:
        """The piece that stands for ``node`` printed by its ``name``."""

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
