"""Shape inference: undeclared shapes found by unification, then named readably.

Undeclared variables start from the convention (capital letter: matrix,
otherwise vector) with placeholder dimensions.  The expression is built with
the ordinary constructors while a :class:`~matcalc.core.dims.Unifier` is
active, so every shape rule unifies the placeholders it compares.  When a rule
fails and blames an operand (``ShapeError.suspects``), undeclared variables in
that operand take the rank the rule wanted (``s * A`` makes ``s`` a scalar) and
the build is tried again.  Repairs that cannot interact are found in one build:
when the variables repaired occur nowhere yet but as operands of the node that
failed, no rule has unified their old dimensions, so the build goes on past that
node (its unifications taken back) to the next error; ``s1*A + ... + s2000*A``
takes two builds, not 2,000.  Finally placeholders get short readable names and
the expression is built once more with concrete shapes.
"""

from __future__ import annotations

import itertools

from matcalc.core.dims import Dim, Shape, Unifier, canonical_dim, is_placeholder, unifying
from matcalc.core.errors import MatcalcError, ShapeError
from matcalc.core.expr import Expr
from matcalc.lang.build import Blame, ExprBuilder
from matcalc.lang.coefficients import coefficients
from matcalc.lang.declarations import VarDecl
from matcalc.lang.parser import Parsed
from matcalc.lang.readings import Readings
from matcalc.lang.scope import Scope, walk
from matcalc.lang.surface import RESERVED

# names for inferred dimensions, in order of preference (then d1, d2, ...)
NAME_POOL = ["m", "n", "p", "q", "r", "k", "l", "d", "h", "s", "t", "u", "v", "w"]


def infer(text: str, parsed: Parsed, declared: dict[str, VarDecl]) -> Expr:
    """The typed expression of ``parsed``, with the shapes of undeclared variables inferred."""
    return _Inference(text, parsed, declared).run()


class _Inference:
    def __init__(self, text: str, parsed: Parsed, declared: dict[str, VarDecl]):
        self.text = text
        self.parsed = parsed
        self.declared = declared
        self.scope = Scope(text, parsed, declared)
        self.builder = ExprBuilder(text, parsed, self.scope)
        self.ranks: dict[str, int] = {}
        self.flexible: set[str] = set()  # undeclared, and not yet repaired
        self.repaired_this_build = False
        self.undeclared = {v for v in self.scope.variables if v not in declared}
        self.forced_scalars: list[tuple[str, int]] = []  # lowercase names repair made scalar
        self.repaired_scalars: set[str] = set()  # ... transposed elsewhere or not
        # where each name is transposed (x' of a scalar is a sign it was meant as a vector)
        self.transposed: dict[str, int] = {}
        # and which names are operands of @ (so are vectors, not scalars, whatever else)
        self.in_matmul: set[str] = set()
        for r in walk(parsed.expr):
            if r.kind == "transpose" and r.children[0].kind == "name":
                self.transposed.setdefault(r.children[0].value, r.children[0].pos)
            if r.kind == "matmul":
                for k in r.children:
                    k = k.children[0] if k.kind == "transpose" else k
                    if k.kind == "name":
                        self.in_matmul.add(k.value)
        for name in self.scope.variables:
            if name in declared:
                self.ranks[name] = len(declared[name].shape)
            else:
                self.ranks[name] = 2 if name[:1].isupper() else 1
                self.flexible.add(name)

    def run(self) -> Expr:
        for _ in range(len(self.scope.variables) + 2):
            unifier = Unifier()
            placeholders = _Placeholders(unifier)
            shapes = self._placeholder_shapes(unifier)
            self.repaired_this_build = False
            try:
                with unifying(unifier):
                    built = self.builder.build(shapes, placeholders, self._tolerate)
            except Blame as blame:
                # coefficients first: a loss that fails only because lam is a vector is
                # repaired by making lam a scalar, not by changing the names it scales
                if self.repaired_this_build or self._coefficients() or self._repair(blame):
                    continue  # after a repair, an error may be the old shapes': build again
                self._raise_readable(blame, placeholders, shapes)
            if built is None or self._coefficients():  # repairs were made
                continue
            names = self._name_dims(unifier, shapes)
            conventional = frozenset(
                v for v in self.flexible if self.ranks[v] == 1 and v[:1].islower()
                and v not in self.transposed and v not in self.in_matmul)
            self.builder.readings = readings = Readings(self.text, conventional,
                                                        frozenset(self.repaired_scalars))
            try:
                expr = self.builder.build(_concrete(unifier, shapes, names),
                                          _Resolver(placeholders, names))
            except Blame as blame:  # pragma: no cover - inference guarantees success
                raise blame.error from None
            finally:
                self.builder.readings = None
            assert expr is not None  # without tolerate, a build returns or raises
            for name, pos in self.forced_scalars:
                readings.note(pos, f"{name} is read as a scalar, because of how it is used "
                                   f"here, though it is transposed elsewhere: if it is a "
                                   f"vector, declare it (where {name}: vector(n)) and write "
                                   "@ for matrix products")
            readings.issue(stacklevel=5)
            return expr
        raise ShapeError("could not infer the shapes of the variables", self.text, 0)

    def _coefficients(self) -> bool:
        """Make scalars of the names used only as coefficients (read off the last build).

        Each call is one walk of the raw tree; every name it changes leaves
        ``flexible``, so over all passes it changes each name at most once.
        """
        found = [n for n in coefficients(self.parsed, self.builder.node_shapes, self.flexible,
                                         self.undeclared) if self.ranks[n] != 0]
        for name in found:
            self.ranks[name] = 0
            self.flexible.discard(name)
        return bool(found)

    def _placeholder_shapes(self, unifier: Unifier) -> dict[str, Shape]:
        shapes: dict[str, Shape] = {}
        for name in self.scope.variables:
            if name in self.declared:
                shapes[name] = self.declared[name].shape
            else:
                shapes[name] = tuple(unifier.fresh() for _ in range(self.ranks[name]))
        return shapes

    def _repairs(self, blame: Blame) -> dict[str, int]:
        """The new ranks that the failed rule asks of undeclared variables."""
        changes: dict[str, int] = {}
        for index, rank in blame.error.suspects:
            if index >= len(blame.operands):
                continue
            for r in walk(blame.operands[index]):
                if (r.kind == "name" and r.value in self.flexible
                        and self.ranks.get(r.value) != rank):
                    changes[r.value] = rank
        return changes

    def _repair(self, blame: Blame) -> bool:
        changes = self._repairs(blame)
        for name, rank in changes.items():
            self.ranks[name] = rank
            self.flexible.discard(name)  # each variable is repaired once
            transposed = self.transposed.get(name)
            if rank == 0 and name[:1].islower() and transposed is not None:
                self.forced_scalars.append((name, transposed))
            elif rank == 0 and name[:1].islower():
                self.repaired_scalars.add(name)
        return bool(changes)

    def _tolerate(self, blame: Blame) -> bool:
        """Repair now and build on, if the repair cannot interact with the rest."""
        changes = self._repairs(blame)
        if not changes or not all(self.builder.only_here(v, blame) for v in changes):
            return False
        self._repair(blame)
        self.repaired_this_build = True
        return True

    def _raise_readable(self, blame: Blame, placeholders: _Placeholders,
                        shapes: dict[str, Shape]) -> None:
        """Re-run with readable dimension names so the message has no placeholders."""
        unifier = placeholders.unifier
        names = self._name_dims(unifier, shapes)
        try:
            self.builder.build(_concrete(unifier, shapes, names), _Resolver(placeholders, names))
        except Blame as again:
            raise again.error from None
        except MatcalcError:
            pass
        raise blame.error from None

    def _name_dims(self, unifier: Unifier, shapes: dict[str, Shape]) -> dict[str, str]:
        scope = self.scope
        taken = set(scope.dim_names) | set(scope.variables) | set(scope.definitions) | RESERVED
        for decl in self.declared.values():
            taken.update(str(d) for d in decl.shape)
        classes: dict[Dim, None] = {}  # in order of first appearance
        square: set[Dim] = set()
        by_rank = sorted(scope.variables, key=lambda v: -len(shapes.get(v, ())))
        for v in by_rank:
            resolved = [unifier.resolve(d) for d in shapes.get(v, ())]
            if len(resolved) == 2 and resolved[0] == resolved[1]:
                square.add(resolved[0])
            for d in resolved:
                if is_placeholder(d):
                    classes.setdefault(d, None)
        for d in list(unifier.parent) + [f"?{i}" for i in range(1, unifier.counter + 1)]:
            root = unifier.resolve(d)
            if is_placeholder(root):
                classes.setdefault(root, None)
        used = set(taken)
        pool = (name for name in itertools.chain(NAME_POOL, (f"d{i}" for i in itertools.count(1)))
                if name not in used)  # as many names as needed: A0 @ A1 @ ... @ A2000
        names: dict[str, str] = {}
        single = len(classes) == 1
        for cls in classes:
            choice = "n" if (cls in square or single) and "n" not in used else next(pool)
            used.add(choice)
            names[str(cls)] = choice
        return names


def _concrete(unifier: Unifier, shapes: dict[str, Shape],
              names: dict[str, str]) -> dict[str, Shape]:
    """The variables' shapes with each placeholder resolved and named."""
    return {v: tuple(_named(unifier.resolve(d), names) for d in s) for v, s in shapes.items()}


def _named(d: Dim, names: dict[str, str]) -> Dim:
    if isinstance(d, str) and "?" in d:
        return canonical_dim("*".join(names.get(p, p) for p in d.split("*")))
    return d


class _Placeholders:
    """First passes: each bare ``I`` gets its own placeholder dimension."""

    def __init__(self, unifier: Unifier):
        self.unifier = unifier
        self.identities: dict[int, str] = {}

    def identity_dim(self, key: int) -> Dim:
        if key not in self.identities:
            self.identities[key] = self.unifier.fresh()
        return self.identities[key]


class _Resolver:
    """Final pass: the placeholder of each bare ``I`` resolved and named."""

    def __init__(self, placeholders: _Placeholders, names: dict[str, str]):
        self.placeholders = placeholders
        self.names = names

    def identity_dim(self, key: int) -> Dim:
        d = self.placeholders.unifier.resolve(self.placeholders.identity_dim(key))
        return self.names.get(d, d) if isinstance(d, str) else d
