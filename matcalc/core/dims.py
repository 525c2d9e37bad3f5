"""Symbolic dimensions: names (``"m"``), integers, and products (``"m*p"``).

Shape checks compare dimensions through :func:`dims_equal`.  While shapes are
being inferred (see :mod:`matcalc.infer`), a :class:`Unifier` is active and
placeholder dimensions (``"?3"``) are unified instead of compared.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

Dim = int | str
Shape = tuple[Dim, ...]

_active: contextvars.ContextVar[Unifier | None] = contextvars.ContextVar("unifier", default=None)


def is_placeholder(d: Dim) -> bool:
    """A dimension still to be inferred (``"?3"``; a product of them is not one)."""
    return isinstance(d, str) and d.startswith("?") and "*" not in d


class Unifier:
    """Union-find over dimensions; concrete dimensions are preferred as representatives."""

    def __init__(self) -> None:
        self.parent: dict[Dim, Dim] = {}
        self.counter = 0
        # every write to parent, (key, previous value or None), so that the
        # unifications of a shape rule that failed can be taken back (undo)
        self.trail: list[tuple[Dim, Dim | None]] = []

    def _set(self, d: Dim, root: Dim) -> None:
        self.trail.append((d, self.parent.get(d)))
        self.parent[d] = root

    def mark(self) -> int:
        """A point to :meth:`undo` back to."""
        return len(self.trail)

    def undo(self, mark: int) -> None:
        """Take back every unification (and path compression) made since ``mark``."""
        while len(self.trail) > mark:
            d, previous = self.trail.pop()
            if previous is None:
                del self.parent[d]
            else:
                self.parent[d] = previous

    def fresh(self) -> str:
        self.counter += 1
        return f"?{self.counter}"

    def find(self, d: Dim) -> Dim:
        root = d
        while root in self.parent:
            root = self.parent[root]
        while d in self.parent and self.parent[d] != root:  # path compression
            d, following = self.parent[d], d
            self._set(following, root)
        return root

    def unify(self, a: Dim, b: Dim) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if is_placeholder(a):
            self._set(a, b)
            return True
        if is_placeholder(b):
            self._set(b, a)
            return True
        if isinstance(a, str) and isinstance(b, str) and ("*" in a or "*" in b):
            return self._unify_products(a, b)
        return False

    def _unify_products(self, a: str, b: str) -> bool:
        """Products (kron, vec) unify as multisets: ``n*m`` with ``?1*n`` makes ``?1 = m``.

        Factors equal on both sides cancel (a product is commutative, ``p*m`` is
        ``m*p``); what is left pairs up in order when one side is all placeholders.
        """
        fa = [self.find(_as_dim(f)) for f in a.split("*")]
        fb = [self.find(_as_dim(f)) for f in b.split("*")]
        rest_b = list(fb)
        rest_a = []
        for f in fa:
            if f in rest_b:
                rest_b.remove(f)
            else:
                rest_a.append(f)
        if not rest_a and not rest_b:
            return True
        if len(rest_a) != len(rest_b):
            return False
        if not (all(map(is_placeholder, rest_a)) or all(map(is_placeholder, rest_b))):
            return False
        return all(self.unify(x, y) for x, y in zip(rest_a, rest_b, strict=True))

    def resolve(self, d: Dim) -> Dim:
        d = self.find(d)
        if isinstance(d, str) and "*" in d:
            return product_dim(self.resolve(f) for f in d.split("*"))
        return d


def _as_dim(text: str) -> Dim:
    return int(text) if text.isdigit() else text


def active_unifier() -> Unifier | None:
    """The unifier of the shape inference in progress, if any."""
    return _active.get()


@contextmanager
def unifying(unifier: Unifier) -> Iterator[Unifier]:
    token = _active.set(unifier)
    try:
        yield unifier
    finally:
        _active.reset(token)


def canonical_dim(d: Dim) -> Dim:
    """A product of sizes in its one written form: the number first, names sorted."""
    if isinstance(d, str) and "*" in d:
        return product_dim(_as_dim(f) for f in d.split("*"))
    return d


def dims_equal(a: Dim, b: Dim) -> bool:
    if a == b or canonical_dim(a) == canonical_dim(b):
        return True
    u = _active.get()
    return u is not None and u.unify(a, b)


def shapes_equal(a: Shape, b: Shape) -> bool:
    return len(a) == len(b) and all(dims_equal(x, y) for x, y in zip(a, b, strict=True))


def product_dim(factors: Iterable[Dim]) -> Dim:
    """The dimension of a product of sizes: ints multiply, names join with ``*``."""
    number = 1
    names: list[str] = []
    for f in factors:
        if isinstance(f, int):
            number *= f
        else:
            names.extend(f.split("*"))
    if not names:
        return number
    names.sort()  # products commute: m*p and p*m are one dimension, written once
    if number != 1:
        names.insert(0, str(number))
    return "*".join(names)


def dim_text(d: Dim) -> str:
    """A dimension as the text forms write it: ``n``, ``3``, a product ``(m*p)``."""
    return f"({d})" if isinstance(d, str) and "*" in d else str(d)


def format_shape(shape: Shape, split: int | None = None, *,
                 dim: Callable[[Dim], str] = dim_text, times: str = "×") -> str:
    """``(m, n)`` → ``m×n``; scalars are ``scalar``.

    The one notation for shapes, in every printer (text, LaTeX, tables, pages).
    ``split`` marks a derivative's shape, ``f.shape + x.shape``: its first
    ``split`` axes are the function's.  From order 3 on the two groups are
    written apart, a group of several axes in parentheses, as SPEC section 3's
    table does: ``m×(p×q)`` for a vector by a matrix, ``(p×q)×(m×n)`` for a
    matrix by a matrix, ``(m×n)×m`` for a matrix by a vector.  ``dim`` and
    ``times`` write the dimensions and the product sign (LaTeX passes its own).
    """
    if not shape:
        return "scalar"
    dims = [dim(d) for d in shape]
    if split is None or len(dims) < 3 or not 0 < split < len(dims):
        return times.join(dims)
    groups = (dims[:split], dims[split:])
    return times.join(g[0] if len(g) == 1 else "(" + times.join(g) + ")" for g in groups)


def derivative_split(result: Shape, x: Shape | None) -> int:
    """How many leading axes of a derivative's shape are the function's (the rest: x's).

    The variable differentiated by comes last (SPEC section 3: ``f.shape + x.shape``),
    so a second derivative of a vector ``f`` by a vector ``x`` is ``(m×n)×n``; a
    variable that does not occur (``x`` None) is taken a scalar.
    """
    return len(result) - (len(x) if x is not None else 0)


def dim_value(d: Dim, sizes: dict[str, int]) -> int | None:
    """The size of ``d`` given sizes of named dimensions, or None if unknown."""
    if isinstance(d, int):
        return d
    total = 1
    for f in d.split("*"):
        if f.isdigit():
            total *= int(f)
        elif f in sizes:
            total *= sizes[f]
        else:
            return None
    return total
