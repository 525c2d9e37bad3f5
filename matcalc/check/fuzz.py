"""A fuzzer that keeps the engine honest: random well-typed expressions, every check.

:class:`Generator` builds random expressions over the whole language of SPEC
section 2 — every operator and function, scalars, vectors, rows, matrices,
``symmetric`` and ``spd`` declarations, products of dimensions (``kron``,
``vec``), ``einsum``, dimension names as scalars, nested a few levels —
typed by construction, and mostly inside their domain (``log``, ``sqrt`` and
fractional powers get positive arguments, ``inv``/``det``/``logdet`` get
well-conditioned square matrices; now and then a bare variable, to exercise
:func:`matcalc.verify`'s search for a valid point).  It draws from a
``random.Random``, so it is reproducible from a seed, and with
Hypothesis' ``st.randoms()`` it is a Hypothesis strategy (:func:`expressions`).

:func:`check` runs, for one expression:

* it parses (with ``shapes=`` or a ``where`` clause) and ``parse(str(f)) is f``;
* for every variable ``x``: ``diff(f, x)`` succeeds, has shape
  ``f.shape + x.shape``, prints so that ``parse(str(d), shapes=...) is d``
  (shapes from the variables of ``f``, structures as kind strings), and
  :func:`matcalc.verify` passes; for some scalar ``f`` also the Hessian;
* a point is found where ``f`` and its derivatives are finite.

A failure is classified by kind, and :func:`shrink` reduces it to a minimal
expression that fails the same way.  ``python -m matcalc.fuzz --examples N
--seed S`` runs a campaign and prints the figures; ``--replay I`` re-runs
example ``I`` of a campaign.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[Any, ...]

# ----------------------------------------------------------------------------------------
# the variables an expression may use

VARIABLES: dict[str, tuple[Shape, str]] = {
    "a": ((), ""), "b": ((), ""),
    "x": (("n",), ""), "y": (("n",), ""), "u": (("m",), ""), "v": (("m",), ""),
    "A": (("m", "n"), ""), "B": (("m", "n"), ""), "C": (("n", "m"), ""),
    "X": (("n", "n"), ""), "W": (("n", "n"), ""), "M": (("m", "m"), ""),
    "Y": (("n", "n"), "symmetric"), "S": (("n", "n"), "spd"), "P": (("m", "m"), "spd"),
}
DIMS = ("m", "n")
PRODUCT = "m*n"
ELEMENTWISE = ("exp", "sin", "cos", "tanh", "sinh", "cosh", "sigmoid", "softplus", "relu",
               "abs", "tan", "sign", "step")
CONSTANTS = ("2", "3", "0.5", "1.5", "0.25", "0.1", "10", "1e-1", "4", "7")


def kind_string(shape: Shape, structure: str) -> str:
    """A declaration as a kind string: ``spd(n)``, ``matrix(m, n)``, ``vector(n)``, ``scalar``."""
    if structure:
        return f"{structure}({shape[0]})"
    if not shape:
        return "scalar"
    if len(shape) == 1:
        return f"vector({shape[0]})"
    return f"matrix({shape[0]}, {shape[1]})"


def shapes_of(expr: Any) -> dict[str, Any]:
    """``shapes=`` for re-parsing text about ``expr``'s variables (structures as kinds)."""
    out: dict[str, Any] = {}
    for name, v in expr.variables().items():
        out[name] = kind_string(v.shape, v.structure) if v.structure else tuple(v.shape)
    return out


# ----------------------------------------------------------------------------------------
# the generated tree (kept so that failures can be shrunk)


@dataclass
class Node:
    """A generated expression: ``template`` with ``{0}``, ``{1}``... for the children."""

    template: str
    kids: list[Node]
    shape: Shape
    leaf: bool = False

    def text(self) -> str:
        return self.template.format(*(k.text() for k in self.kids))

    def size(self) -> int:
        return 1 + sum(k.size() for k in self.kids)

    def walk(self) -> Iterator[Node]:
        yield self
        for k in self.kids:
            yield from k.walk()

    def names(self) -> set[str]:
        out: set[str] = set()
        for n in self.walk():
            if n.leaf:
                out.update(re.findall(r"[A-Za-z_]\w*", n.template))
        return out


def _var(name: str) -> Node:
    return Node(name, [], VARIABLES[name][0], leaf=True)


def _const(text: str) -> Node:
    return Node(text, [], (), leaf=True)


def _n(template: str, shape: Shape, *kids: Node) -> Node:
    return Node(template, list(kids), shape)


@dataclass
class Sample:
    """One generated example: the tree, and how its shapes are declared."""

    tree: Node
    style: str  # "shapes" (shapes= dict) or "where" (a where clause)

    def variables(self) -> list[str]:
        return sorted(n for n in self.tree.names() if n in VARIABLES)

    def declarations(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.variables():
            shape, structure = VARIABLES[name]
            out[name] = kind_string(shape, structure) if structure else shape
        return out

    def text(self) -> str:
        body = self.tree.text()
        if self.style == "where" and self.variables():
            decls = ", ".join(f"{name}: {kind_string(*VARIABLES[name])}"
                              for name in self.variables())
            return f"{body} where {decls}"
        return body

    def shapes(self) -> dict[str, Any]:
        return {} if self.style == "where" else self.declarations()

    def describe(self) -> str:
        decl = ", ".join(f"{k}: {kind_string(*VARIABLES[k])}" for k in self.variables())
        return self.tree.text() + (f"   where {decl}" if decl else "")


# ----------------------------------------------------------------------------------------
# the generator


class Generator:
    """Random well-typed expressions; ``depth`` bounds the nesting."""

    def __init__(self, rnd: random.Random, depth: int = 3, exclude: Sequence[str] = ()):
        self.r = rnd
        self.depth = depth
        self.exclude = set(exclude)

    # -- entry point -------------------------------------------------------------------
    def sample(self) -> Sample:
        r = self.r
        top = r.random()
        if top < 0.55:
            shape: Shape = ()
        elif top < 0.75:
            shape = (r.choice(DIMS),)
        elif top < 0.97:
            shape = (r.choice(DIMS), r.choice(DIMS))
        else:
            shape = (1, r.choice(DIMS))
        for _ in range(20):
            tree = self.gen(shape, self.depth)
            if tree.names() & set(VARIABLES) and tree.size() <= 40:
                break
        tree = self._fix_dimension_scalars(tree)
        return Sample(tree, "where" if r.random() < 0.3 else "shapes")

    def _fix_dimension_scalars(self, tree: Node) -> Node:
        """A dimension name used as a number needs a variable with that dimension."""
        used: set[str] = set()
        for name in tree.names():
            if name in VARIABLES:
                used.update(d for d in VARIABLES[name][0] if isinstance(d, str))
        for node in tree.walk():
            if node.leaf and node.template in DIMS and node.template not in used:
                node.template = "2"
        return tree

    def ok(self, what: str) -> bool:
        return what not in self.exclude

    def pick(self, options: list[tuple[float, Callable[[], Node]]]) -> Node:
        options = [(w, f) for w, f in options if w > 0]
        total = sum(w for w, _ in options)
        x = self.r.random() * total
        for w, f in options:
            x -= w
            if x <= 0:
                return f()
        return options[-1][1]()

    # -- leaves ----------------------------------------------------------------------
    def leaf(self, shape: Shape) -> Node:
        r = self.r
        names = [n for n, (s, _) in VARIABLES.items() if s == shape]
        if shape == ():
            choice = r.random()
            if choice < 0.45 and names:
                return _var(r.choice(names))
            if choice < 0.55:
                return _const(r.choice(DIMS))  # a dimension as a number
            return _const(r.choice(CONSTANTS))
        if len(shape) == 1 and shape[0] == PRODUCT:
            return (_n("vec({0})", shape, self.leaf(("m", "n"))) if r.random() < 0.6
                    else _n("kron({0}, {1})", shape, self.leaf(("m",)), self.leaf(("n",))))
        if len(shape) == 2 and shape[0] == 1:
            return _n("{0}'", shape, self.leaf((shape[1],)))
        if names and r.random() < 0.9:
            return _var(r.choice(names))
        if len(shape) == 2 and shape[0] == shape[1]:
            return Node(f"eye({shape[0]})", [], shape, leaf=True)
        if len(shape) == 2:
            return _n("{0}'", shape, self.leaf((shape[1], shape[0])))
        return Node(f"ones({shape[0]})", [], shape, leaf=True)

    # -- by shape --------------------------------------------------------------------
    def gen(self, shape: Shape, depth: int) -> Node:
        if depth <= 0 or self.r.random() < 0.18:
            return self.leaf(shape)
        if shape == ():
            return self.scalar(depth)
        if len(shape) == 1:
            return self.vector(shape[0], depth)
        if shape[0] == 1:
            return self.row(shape[1], depth)
        return self.matrix(shape[0], shape[1], depth)

    def elementwise(self, shape: Shape, depth: int) -> list[tuple[float, Callable[[], Node]]]:
        """Productions every shape has: arithmetic and elementwise functions."""
        r = self.r
        g = self.gen
        d = depth - 1
        fns = [f for f in ELEMENTWISE if self.ok(f)]
        return [
            (3, lambda: _n("({0} + {1})", shape, g(shape, d), g(shape, d))),
            (2, lambda: _n("({0} - {1})", shape, g(shape, d), g(shape, d))),
            (1, lambda: _n("(-{0})", shape, g(shape, d))),
            (2, lambda: _n("({0} * {1})", shape, g(shape, d), g(shape, d))),
            (2, lambda: _n("({0} * {1})", shape, g((), d), g(shape, d))),
            (1, lambda: _n("({0} / {1})", shape, g(shape, d), self.positive(shape, d))),
            (1, lambda: _n("({0} / {1})", shape, g(shape, d), self.positive((), d))),
            (3, lambda: _n(f"{r.choice(fns)}({{0}})", shape, g(shape, d))),
            (1, lambda: _n("log({0})", shape, self.positive(shape, d))),
            (1, lambda: _n("sqrt({0})", shape, self.positive(shape, d))),
            (1, lambda: _n(f"({{0}}^{r.choice(('2', '3'))})", shape, g(shape, d))),
            (1, lambda: _n(f"({{0}}**{r.choice(('0.5', '-1', '1.5', '-0.5', '-2'))})", shape,
                           self.positive(shape, d))),
            (0.4, lambda: _n("({0}^{1})", shape, self.positive(shape, d),
                             self.gen((), d - 1))),
        ]

    def positive(self, shape: Shape, depth: int) -> Node:
        """An expression positive everywhere (or a variable, for verify's heuristics)."""
        r = self.r
        g = self.gen
        d = max(depth - 1, 0)
        options: list[tuple[float, Callable[[], Node]]] = [
            (3, lambda: _n("exp({0})", shape, g(shape, d))),
            (2, lambda: _n("softplus({0})", shape, g(shape, d))),
            (2, lambda: _n("sigmoid({0})", shape, g(shape, d))),
            (2, lambda: _n(f"({{0}}^2 + {r.choice(('1', '0.5', '2'))})", shape, g(shape, d))),
            (1, lambda: _n("cosh({0})", shape, g(shape, d))),
            (1, lambda: _n("(1 + abs({0}))", shape, g(shape, d))),
            (0.7, lambda: _n("({0} * {1})", shape, self.positive(shape, d - 1),
                             self.positive(shape, d - 1))),
            (0.7, lambda: _n("({0} + {1})", shape, self.positive(shape, d - 1),
                             self.positive(shape, d - 1))),
            (1, lambda: self.leaf_positive(shape)),
        ]
        if shape == ():
            options += [
                (1, lambda: _n("(norm({0}) + 1)", shape, g((r.choice(DIMS),), d))),
                (1, lambda: _n("det({0})", shape, self.spd(r.choice(DIMS), d))),
                (1, lambda: _n("tr({0})", shape, self.spd(r.choice(DIMS), d))),
                (1, lambda: _n("(({0})' @ {1} @ {0} + 1)", shape, g(("n",), d),
                               self.spd("n", d))),
                (1, lambda: _n("sum(exp({0}))", shape, g(("n",), d))),
            ]
        return self.pick(options)

    def leaf_positive(self, shape: Shape) -> Node:
        if shape == ():
            return _const(self.r.choice(("2", "0.5", "3", "n", "m")))
        names = [n for n, (sh, _) in VARIABLES.items() if sh == shape]
        if names and self.r.random() < 0.5:
            return _var(self.r.choice(names))  # verify must find positive values for it
        return _n("exp({0})", shape, self.leaf(shape))

    def spd(self, k: str, depth: int) -> Node:
        """A symmetric positive definite k×k matrix."""
        r = self.r
        g = self.gen
        d = max(depth - 1, 0)
        name = "S" if k == "n" else "P"
        other = "m" if k == "n" else "n"
        options: list[tuple[float, Callable[[], Node]]] = [
            (4, lambda: _var(name)),
            (1, lambda: _n("({0} + {1} @ ({1})')", (k, k), _var(name), g((k,), d))),
            (1, lambda: _n(f"({{0}} @ ({{0}})' + {r.choice(('I', f'eye({k})'))})", (k, k),
                           g((k, r.choice(DIMS)), d))),
            (1, lambda: _n("(({0})' @ {0} + I)", (k, k), g((other, k), d))),
            (1, lambda: _n("({0} + {1})", (k, k), self.spd(k, d - 1), self.spd(k, d - 1))),
            (0.5, lambda: _n("inv({0})", (k, k), self.spd(k, d - 1))),
            (0.5, lambda: _n("diag({0})", (k, k), self.positive((k,), d))),
            (0.5, lambda: _n(f"({r.choice(('2', '0.5'))} * {{0}})", (k, k), self.spd(k, d - 1))),
        ]
        if k == "n":
            options.append((1, lambda: _n("({0} @ {0} + I)", (k, k), _var("Y"))))
        return self.pick(options)

    def square(self, k: str, depth: int) -> Node:
        """A square matrix that is (almost surely) well conditioned, for inv/det/logdet."""
        g = self.gen
        d = max(depth - 1, 0)
        return self.pick([
            (3, lambda: self.spd(k, depth)),
            (2, lambda: _var("X") if k == "n" else _var("M")),
            (1, lambda: _n("(I + 0.1 * {0})", (k, k), g((k, k), d))),
            (1, lambda: _n("({0} @ {1})", (k, k), self.square(k, d), self.square(k, d))),
            (1, lambda: _n("({0})'", (k, k), self.square(k, d))),
            (0.3, lambda: g((k, k), d)),  # anything: verify must cope
        ])

    def vector_any(self, depth: int) -> Node:
        r = self.r
        x = r.random()
        if x < 0.1 and self.ok("kron") and self.ok("vec"):
            return self.gen((PRODUCT,), depth)
        return self.gen((r.choice(DIMS),), depth)

    def array_any(self, depth: int) -> Node:
        r = self.r
        x = r.random()
        if x < 0.4:
            return self.vector_any(depth)
        if x < 0.95:
            return self.gen((r.choice(DIMS), r.choice(DIMS)), depth)
        return self.gen((1, r.choice(DIMS)), depth)

    def scalar(self, depth: int) -> Node:
        r = self.r
        g = self.gen
        d = depth - 1
        s: Shape = ()

        def k() -> str:
            return r.choice(DIMS)

        def vec_pair(template: str) -> Node:
            n = k()
            return _n(template, s, g((n,), d), g((n,), d))

        def quad() -> Node:
            i, j = k(), k()
            return _n("({0}' @ {1} @ {2})", s, g((i,), d), g((i, j), d), g((j,), d))

        def einsum2(spec: str) -> Node:
            i, j = k(), k()
            return _n(f'einsum("{spec}", {{0}}, {{1}})', s, g((i, j), d), g((i, j), d))

        options = self.elementwise(s, depth) + [
            (4, lambda: _n("sum({0})", s, self.array_any(d))),
            (2, lambda: _n("norm({0})", s, self.array_any(d) if r.random() < 0.5
                           else g((k(),), d))),
            (1, lambda: _n("norm1({0})", s, self.array_any(d))),
            (1, lambda: _n("norminf({0})", s, self.array_any(d))),
            (2, lambda: _n("tr({0})", s, g((k(),) * 2, d))),
            (1, lambda: _n("trace({0})", s, g((k(),) * 2, d))),
            (1, lambda: _n("det({0})", s, self.square(k(), d))),
            (1.5, lambda: _n("logdet({0})", s, self.square(k(), d))),
            (0.7, lambda: _n("log(det({0}))", s, self.spd(k(), d))),
            (1, lambda: _n("logsumexp({0})", s, self.vector_any(d))),
            (1.5, lambda: vec_pair("dot({0}, {1})")),
            (1.5, lambda: vec_pair("({0}' @ {1})")),
            (1, lambda: vec_pair("({0} @ {1})")),
            (2, quad),
            (1, lambda: (lambda n: _n("({0} @ {1})", s, g((1, n), d), g((n,), d)))(k())),
            (0.7, lambda: einsum2("ij,ij->")),
            (0.5, lambda: (lambda n: _n('einsum("i,i->", {0}, {1})', s, g((n,), d),
                                        g((n,), d)))(k())),
            (0.5, lambda: (lambda n: _n('einsum("ii->", {0})', s, g((n, n), d)))(k())),
            (0.5, lambda: (lambda n: _n('einsum("ij,jk,ki->", {0}, {1}, {2})', s,
                                        g((n, "m"), d), g(("m", "n"), d),
                                        g(("n", n), d)))(k())),
            (1, lambda: (lambda n: _n("sum(softmax({0}) * {1})", s, g((n,), d),
                                      g((n,), d)))(k())),
        ]
        if self.ok("kron"):
            options += [
                (0.4, lambda: _n("tr(kron({0}, {1}))", s, g(("n", "n"), d), g(("m", "m"), d))),
                (0.4, lambda: _n("sum(kron({0}, {1}))", s, g((k(), k()), d),
                                 g((k(), k()), d))),
                (0.3, lambda: (lambda i, j: _n("sum(kron({0}, {1}) @ vec({2}))", s,
                                               g((i, "m"), d), g((j, "n"), d),
                                               g(("m", "n"), d)))(k(), k())),
            ]
        if self.ok("vec"):
            options += [
                (0.5, lambda: _n("dot(vec({0}), vec({1}))", s, g(("m", "n"), d),
                                 g(("m", "n"), d))),
                (0.3, lambda: _n("norm(vec({0}))", s, g((k(), k()), d))),
            ]
        return self.pick(options)

    def vector(self, n: Any, depth: int) -> Node:
        r = self.r
        g = self.gen
        d = depth - 1
        sh: Shape = (n,)
        options = self.elementwise(sh, depth)
        if n == PRODUCT:
            return self.pick(options + [
                (3, lambda: _n("vec({0})", sh, g(("m", "n"), d))),
                (2, lambda: _n("kron({0}, {1})", sh, g(("m",), d), g(("n",), d))),
                (1, lambda: _n("softmax({0})", sh, g(sh, d))),
            ])

        def j() -> str:
            return r.choice(DIMS)

        options += [
            (4, lambda: (lambda k: _n("({0} @ {1})", sh, g((n, k), d), g((k,), d)))(j())),
            (2, lambda: (lambda k: _n("(({0})' @ {1})", sh, g((k, n), d), g((k,), d)))(j())),
            (1, lambda: (lambda k: _n("({0} @ {1})", sh, g((k,), d), g((k, n), d)))(j())),
            (1.5, lambda: _n("diag({0})", sh, g((n, n), d))),
            (1.5, lambda: _n("softmax({0})", sh, g(sh, d))),
            (1, lambda: _n("({0})'", sh, g((1, n), d))),
            (1, lambda: _n("(inv({0}) @ {1})", sh, self.square(n, d), g(sh, d))),
            (1, lambda: (lambda k: _n('einsum("ij,j->i", {0}, {1})', sh, g((n, k), d),
                                      g((k,), d)))(j())),
            (0.7, lambda: (lambda k: _n('einsum("ji,j->i", {0}, {1})', sh, g((k, n), d),
                                        g((k,), d)))(j())),
            (0.7, lambda: (lambda k: _n('einsum("ij,ij->i", {0}, {1})', sh, g((n, k), d),
                                        g((n, k), d)))(j())),
            (0.5, lambda: _n('einsum("ii->i", {0})', sh, g((n, n), d))),
            (0.3, lambda: Node(f"ones({n})", [], sh, leaf=True)),
        ]
        return self.pick(options)

    def row(self, n: Any, depth: int) -> Node:
        r = self.r
        g = self.gen
        d = depth - 1
        sh: Shape = (1, n)
        return self.pick([
            (3, lambda: _n("({0})'", sh, g((n,), d))),
            (2, lambda: (lambda k: _n("(({0})' @ {1})", sh, g((k,), d), g((k, n), d)))(
                r.choice(DIMS))),
            (1, lambda: _n("({0} + {1})", sh, g(sh, d), g(sh, d))),
            (1, lambda: _n("({0} * {1})", sh, g((), d), g(sh, d))),
            (1, lambda: _n("({0} * {1})", sh, g(sh, d), g(sh, d))),
            (1, lambda: _n(f"{r.choice(('exp', 'tanh', 'sin', 'relu'))}({{0}})", sh,
                           g(sh, d))),
        ])

    def matrix(self, p: Any, q: Any, depth: int) -> Node:
        r = self.r
        g = self.gen
        d = depth - 1
        sh: Shape = (p, q)

        def j() -> str:
            return r.choice(DIMS)

        options = self.elementwise(sh, depth) + [
            (4, lambda: (lambda k: _n("({0} @ {1})", sh, g((p, k), d), g((k, q), d)))(j())),
            (2, lambda: _n("({0})'", sh, g((q, p), d))),
            (0.7, lambda: _n("({0}).T", sh, g((q, p), d))),
            (1.5, lambda: _n("outer({0}, {1})", sh, g((p,), d), g((q,), d))),
            (1, lambda: _n("({0} @ ({1})')", sh, g((p,), d), g((q,), d))),
            (1, lambda: (lambda k: _n('einsum("ik,kj->ij", {0}, {1})', sh, g((p, k), d),
                                      g((k, q), d)))(j())),
            (0.7, lambda: _n('einsum("ji->ij", {0})', sh, g((q, p), d))),
            (0.7, lambda: _n('einsum("ij,j->ij", {0}, {1})', sh, g(sh, d), g((q,), d))),
            (0.5, lambda: _n('einsum("i,j->ij", {0}, {1})', sh, g((p,), d), g((q,), d))),
            (0.3, lambda: Node(f"ones({p}, {q})", [], sh, leaf=True)),
            (0.2, lambda: Node(f"zeros({p}, {q})", [], sh, leaf=True)),
        ]
        if p == q:
            options += [
                (2, lambda: _n("inv({0})", sh, self.square(p, d))),
                (1.5, lambda: _n("diag({0})", sh, g((p,), d))),
                (1, lambda: _n(f"({{0}} + {r.choice(('I', '2 * I', f'eye({p})'))})", sh,
                               g(sh, d))),
                (1, lambda: self.spd(p, depth)),
                (0.5, lambda: _n("(({0}) * {1})", sh, g((), d), self.square(p, d))),
            ]
            if p == "n":
                options.append((1, lambda: _var(r.choice(("Y", "S")))))
        return self.pick(options)


def sample(seed: int, index: int, depth: int = 3, exclude: Sequence[str] = ()) -> Sample:
    """Example ``index`` of the campaign with ``seed`` (independent of the others)."""
    return Generator(random.Random(f"{seed}:{index}"), depth, exclude).sample()


def expressions(depth: int = 3, exclude: Sequence[str] = ()) -> Any:
    """A Hypothesis strategy of :class:`Sample` s (needs the ``hypothesis`` package)."""
    from hypothesis import strategies as st

    return st.randoms(use_true_random=False).map(
        lambda rnd: Generator(rnd, depth, exclude).sample())


# ----------------------------------------------------------------------------------------
# checking one example


@dataclass
class Outcome:
    """What :func:`check` found: ``kind`` is ``"pass"``, ``"inconclusive"`` or a failure kind."""

    kind: str
    detail: str = ""
    wrt: str = ""
    derivatives: int = 0
    signature: str = ""

    @property
    def failed(self) -> bool:
        return self.kind not in ("pass", "inconclusive")


FAILURE_KINDS = {
    "parse": "the generated well-typed text did not parse (or a fuzzer bug)",
    "roundtrip-f": "parse(str(f)) is not f",
    "diff-error": "diff raised a MatcalcError on a well-typed expression",
    "crash": "an exception that is not a MatcalcError (parse, diff, print or evaluate)",
    "shape": "the derivative's shape is not f.shape + x.shape",
    "roundtrip": "parse(str(d), shapes=...) is not d for a derivative d",
    "wrong": "verify found the derivative wrong (confirmed with a second seed)",
    "flaky": "verify failed with one seed and passed with another",
    "sympy": "SymPy's entry-by-entry derivative disagrees with matcalc's",
    "slow": "one example took more than a minute (a hang in diff, simplify or SymPy)",
    "evaluate": "evaluate (the lowered NumPy plan) disagrees with the operator-by-operator value",
}


def _signature(kind: str, text: str) -> str:
    """The kind and the gist of a message, without the expressions it quotes."""
    first = text.strip().splitlines()[-1] if text.strip() else ""
    words = [w for w in first.split() if re.fullmatch(r"[A-Za-z][a-z]{2,}:?|[A-Z]\w+Error:", w)]
    return f"{kind}: {' '.join(words)[:100]}"


def check(s: Sample, seed: int = 0, hessian: bool | None = None) -> Outcome:
    """Every check of the module doc on one example; the first failure found is returned."""
    import matcalc as mc
    from matcalc.core.errors import MatcalcError

    text = s.text()
    try:
        f = mc.parse(text, shapes=s.shapes())
    except MatcalcError as e:
        return Outcome("parse", f"{text}\n{e}", signature=_signature("parse", str(e)))
    except Exception:
        tb = traceback.format_exc()
        return Outcome("crash", f"parse({text!r})\n{tb}", signature=_signature("crash", tb))
    shapes = shapes_of(f)
    try:
        printed = str(f)
        again = mc.parse(printed, shapes=shapes)
    except Exception as e:
        return Outcome("roundtrip-f", f"{printed!r}: {type(e).__name__}: {e}",
                       signature=_signature("roundtrip-f", f"{type(e).__name__}: {e}"))
    if again is not f:
        return Outcome("roundtrip-f", f"{printed!r} re-parses as {str(again)!r}",
                       signature="roundtrip-f")
    rnd = random.Random(f"hessian:{seed}:{text}")
    if hessian is None:
        hessian = not f.shape and rnd.random() < 0.3
    names = list(f.variables())
    plan = [(name, 1) for name in names]
    if hessian and names:
        plan.append((rnd.choice(names), 2))
    inconclusive = ""
    count = 0
    for name, order in plan:
        x = f.variables()[name]
        try:
            d = mc.diff(f, name)
            if order == 2:
                base = d
                d = mc.diff(d, name)
            else:
                base = f
        except MatcalcError as e:
            return Outcome("diff-error", f"diff by {name} (order {order}): {e}", name,
                           signature=_signature("diff-error", f"{type(e).__name__}: {e}"))
        except Exception:
            tb = traceback.format_exc()
            return Outcome("crash", f"diff by {name} (order {order})\n{tb}", name,
                           signature=_signature("crash", tb))
        count += 1
        want = tuple(map(str, base.shape + x.shape))
        if tuple(map(str, d.shape)) != want:
            return Outcome("shape", f"d/d{name} (order {order}) has shape {d.shape}, "
                           f"expected {want}: {d}", name, signature="shape")
        try:
            printed = str(d)
            back = mc.parse(printed, shapes=shapes)
        except Exception as e:
            return Outcome("roundtrip", f"d/d{name} (order {order}) printed {printed!r}: "
                           f"{type(e).__name__}: {e}", name,
                           signature=_signature("roundtrip", f"{type(e).__name__}: {e}"))
        if back is not d:
            return Outcome("roundtrip", f"d/d{name} (order {order}) printed {printed!r}, "
                           f"re-parses as {str(back)!r}", name, signature="roundtrip")
        try:
            report = mc.verify(f, name, seed=seed, order=order)
        except Exception:
            tb = traceback.format_exc()
            return Outcome("crash", f"verify by {name} (order {order})\n{tb}", name,
                           signature=_signature("crash", tb))
        if report.inconclusive:
            inconclusive = inconclusive or f"d/d{name} (order {order}): {report.message}"
            continue
        if report.ok:
            problem = _evaluation_agrees(f, d, report.point)
            if problem:
                return Outcome("evaluate", f"d/d{name} (order {order}) = {d}: {problem}", name,
                               signature=_signature("evaluate", problem.splitlines()[0]))
        if not report.ok:
            second = mc.verify(f, name, seed=seed + 7919, order=order)
            detail = (f"d/d{name} (order {order}) = {d}\n  {report}")
            detail += "\n  " + _sympy_says(f, name, order)
            if second.ok:
                return Outcome("flaky", detail + f"\n  seed {seed + 7919}: {second}", name,
                               signature="flaky")
            return Outcome("wrong", detail, name, signature=f"wrong (order {order})")
    if inconclusive:
        return Outcome("inconclusive", inconclusive, derivatives=count)
    return Outcome("pass", derivatives=count)


def _evaluation_agrees(f: Any, d: Any, point: dict[str, Any]) -> str:
    """'' when ``evaluate`` agrees with the operator-by-operator values verify used."""
    import numpy as np

    import matcalc as mc
    from matcalc.check.verify import Plan

    for e in (f, d):
        try:
            mine = np.asarray(Plan(e).run(point)[0], dtype=float)
            theirs = np.asarray(mc.evaluate(e, point), dtype=float)
        except Exception as ex:
            return f"evaluate({e}) raised {type(ex).__name__}: {ex}"
        if mine.shape != theirs.shape:
            mine = np.broadcast_to(mine, theirs.shape) if mine.ndim == 0 else mine
        scale = float(np.max(np.abs(mine))) if mine.size else 0.0
        if mine.shape != theirs.shape or not np.allclose(theirs, mine, rtol=1e-8,
                                                         atol=1e-10 * max(scale, 1.0)):
            return (f"evaluate({e}) gives {np.array2string(theirs, precision=6)}, "
                    f"operator by operator {np.array2string(mine, precision=6)}")
    return ""


def _sympy_says(f: Any, name: str, order: int) -> str:
    """SymPy's verdict at a rational point (a second opinion on a failure)."""
    from matcalc.check.second_opinion import second_opinion

    try:
        r = second_opinion(f, name, order=order, mode="point")
    except Exception as e:  # the second opinion cannot expand everything
        return f"SymPy: no opinion ({type(e).__name__}: {e})"
    return "SymPy: " + str(r).replace("\n", "\n  ")


def from_text(text: str, style: str = "shapes") -> Sample:
    """An example written by hand, over the variables of :data:`VARIABLES`."""
    return Sample(Node(text, [], (), leaf=True), style)


def cross_check(s: Sample, seed: int = 0) -> Outcome:
    """The SymPy second opinion on every first derivative of an example (small sizes)."""
    import matcalc as mc
    from matcalc.check.second_opinion import Unsupported, second_opinion

    f = mc.parse(s.text(), shapes=s.shapes())
    count = 0
    for name in f.variables():
        try:
            r = second_opinion(f, name, seed=seed, mode="point")
        except (Unsupported, ZeroDivisionError):
            return Outcome("inconclusive", f"d/d{name}: SymPy cannot expand it")
        except Exception:
            tb = traceback.format_exc()
            return Outcome("crash", f"second opinion on d/d{name}\n{tb}", name,
                           signature=_signature("crash", tb))
        if r.message:
            return Outcome("inconclusive", f"d/d{name}: {r.message}", derivatives=count)
        count += 1
        if not r.ok:
            return Outcome("sympy", f"d/d{name} = {mc.diff(f, name)}\n  {r}", name,
                           signature="sympy")
    return Outcome("pass", derivatives=count)


# ----------------------------------------------------------------------------------------
# shrinking a failure to a minimal example


def _replacements(node: Node, gen: Generator) -> Iterator[Node]:
    """Smaller nodes of the same shape that could stand in for ``node``."""
    for k in node.kids:
        if k.shape == node.shape:
            yield k
    if not node.leaf:
        names = [n for n, (sh, _) in VARIABLES.items() if sh == node.shape]
        for name in names[:3]:
            yield _var(name)
        if node.shape == ():
            yield _const("2")
        for k in node.kids:  # keep the operator, simplify an operand
            for i, kid in enumerate(node.kids):
                if kid is k and not kid.leaf:
                    for rep in _replacements(kid, gen):
                        kids = list(node.kids)
                        kids[i] = rep
                        yield Node(node.template, kids, node.shape)


def shrink(s: Sample, outcome: Outcome, seed: int = 0, budget: float = 60.0,
           same: Callable[[Outcome, Outcome], bool] | None = None,
           check_fn: Callable[..., Outcome] | None = None) -> tuple[Sample, Outcome]:
    """A smaller example failing the same way (greedy, within ``budget`` seconds)."""
    same = same or (lambda a, b: a.kind == b.kind and a.signature == b.signature)
    check_fn = check_fn or check
    gen = Generator(random.Random(0))
    deadline = time.monotonic() + budget
    best, best_outcome = s, outcome
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        nodes = list(best.tree.walk())
        for target in nodes:
            # a subtree on its own, or the tree with a smaller node in place of target
            candidates = [target] if target is not best.tree else []
            candidates += [_replace(best.tree, target, rep)
                           for rep in _replacements(target, gen)]
            for tree in candidates:
                if time.monotonic() > deadline:
                    break
                if tree.size() >= best.tree.size() or not (tree.names() & set(VARIABLES)):
                    continue
                candidate = Sample(Generator(random.Random(0))._fix_dimension_scalars(tree),
                                   best.style)
                try:
                    got = check_fn(candidate, seed, hessian=_wants_hessian(best_outcome))
                except Exception:  # pragma: no cover - check catches what it can
                    continue
                if same(got, best_outcome):
                    best, best_outcome = candidate, got
                    changed = True
                    break
            if changed:
                break
    if best.style == "where":  # a shapes= dict reads more simply, if it fails the same way
        plain = Sample(best.tree, "shapes")
        got = check_fn(plain, seed, hessian=_wants_hessian(best_outcome))
        if same(got, best_outcome):
            best, best_outcome = plain, got
    return best, best_outcome


def _wants_hessian(o: Outcome) -> bool:
    return "(order 2)" in o.detail


def _replace(tree: Node, target: Node, rep: Node) -> Node:
    if tree is target:
        return rep
    if not tree.kids:
        return tree
    kids = [_replace(k, target, rep) for k in tree.kids]
    if all(a is b for a, b in zip(kids, tree.kids, strict=True)):
        return tree
    return Node(tree.template, kids, tree.shape, tree.leaf)


# ----------------------------------------------------------------------------------------
# campaigns


@dataclass
class Campaign:
    """The figures of a campaign."""

    seed: int
    tried: int = 0
    passed: int = 0
    inconclusive: int = 0
    derivatives: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    signatures: Counter[str] = field(default_factory=Counter)
    # signature -> (index, text, detail) of its first example
    examples: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    inconclusive_examples: list[tuple[int, str, str]] = field(default_factory=list)
    seconds: float = 0.0
    sympy_checked: int = 0
    sympy_timeouts: int = 0
    failed_indices: list[int] = field(default_factory=list)  # the first 500, for --replay

    def add(self, index: int, s: Sample, o: Outcome) -> None:
        self.tried += 1
        self.derivatives += o.derivatives
        if o.kind == "pass":
            self.passed += 1
        elif o.kind == "inconclusive":
            self.inconclusive += 1
            if len(self.inconclusive_examples) < 5:
                self.inconclusive_examples.append((index, s.describe(), o.detail))
        else:
            self.failures[o.kind] += 1
            self.signatures[o.signature] += 1
            self.examples.setdefault(o.signature, (index, s.describe(), o.detail))
            if len(self.failed_indices) < 500:
                self.failed_indices.append(index)

    def merge(self, other: Campaign) -> None:
        self.tried += other.tried
        self.passed += other.passed
        self.inconclusive += other.inconclusive
        self.derivatives += other.derivatives
        self.sympy_checked += other.sympy_checked
        self.sympy_timeouts += other.sympy_timeouts
        self.failures.update(other.failures)
        self.signatures.update(other.signatures)
        for k, v in other.examples.items():
            if k not in self.examples or v[0] < self.examples[k][0]:
                self.examples[k] = v
        self.inconclusive_examples = (self.inconclusive_examples
                                      + other.inconclusive_examples)[:5]
        self.failed_indices = sorted(self.failed_indices + other.failed_indices)[:500]

    def report(self, minimal: dict[str, tuple[str, str]] | None = None) -> str:
        lines = [f"fuzz campaign: seed {self.seed}, {self.tried} expressions in "
                 f"{self.seconds:.0f} s",
                 f"  passed        {self.passed}",
                 f"  inconclusive  {self.inconclusive}  (no point found where f and its "
                 "derivatives are finite and smooth)",
                 f"  failed        {sum(self.failures.values())}",
                 f"  derivatives checked: {self.derivatives}",
                 f"  cross-checked with SymPy: {self.sympy_checked}"
                 + (f" ({self.sympy_timeouts} more gave up: SymPy too slow)"
                    if self.sympy_timeouts else "")]
        if self.failures:
            lines.append("failures by kind:")
            for kind, n in self.failures.most_common():
                lines.append(f"  {kind:12s} {n:6d}   {FAILURE_KINDS.get(kind, '')}")
            lines.append("distinct failures (first example; minimal example when shrunk):")
            for sig, n in self.signatures.most_common():
                index, text, detail = self.examples[sig]
                lines.append(f"- [{n}x] {sig}")
                lines.append(f"    example {index}: {text}")
                if minimal and sig in minimal:
                    mtext, mdetail = minimal[sig]
                    lines.append(f"    minimal:    {mtext}")
                    lines.append("      " + mdetail.strip().replace("\n", "\n      ")[:1500])
                else:
                    lines.append("      " + detail.strip().replace("\n", "\n      ")[:1500])
        if self.failed_indices:
            lines.append("failing examples (--replay N): "
                         + " ".join(map(str, self.failed_indices)))
        if self.inconclusive_examples:
            lines.append("inconclusive examples:")
            for index, text, detail in self.inconclusive_examples:
                lines.append(f"  {index}: {text}\n      {detail[:300]}")
        return "\n".join(lines)


class _Slow(BaseException):  # not an Exception: check() must not catch it
    pass


class _time_limit:  # noqa: N801 - a context manager, used like a function
    """Raise :class:`_Slow` in the block after ``seconds`` (main thread, Unix; else no limit)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.armed = False

    def __enter__(self) -> None:
        import signal
        import threading

        if (self.seconds and hasattr(signal, "setitimer")
                and threading.current_thread() is threading.main_thread()):
            def alarm(signum: int, frame: Any) -> None:
                raise _Slow()

            self.previous = signal.signal(signal.SIGALRM, alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True

    def __exit__(self, *exc: Any) -> None:
        if self.armed:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def run_range(seed: int, start: int, stop: int, depth: int = 3, exclude: Sequence[str] = (),
              deadline: float | None = None, sympy: float = 0.0,
              example_limit: float | None = 60.0) -> Campaign:
    """Examples ``start`` to ``stop``; a fraction ``sympy`` of those that pass is also
    cross-checked with the SymPy second opinion."""
    import warnings

    camp = Campaign(seed)
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(start, stop):
            if deadline is not None and time.time() > deadline:
                break
            s = sample(seed, i, depth, exclude)
            try:
                with _time_limit(example_limit):
                    o = check(s, seed=i)
            except _Slow:
                o = Outcome("slow", f"more than {example_limit:g} s", signature="slow")
            except Exception:  # pragma: no cover
                tb = traceback.format_exc()
                o = Outcome("crash", tb, signature=_signature("crash", tb))
            if o.kind == "pass" and random.Random(f"sympy:{seed}:{i}").random() < sympy:
                try:  # SymPy's exact arithmetic can take long (a huge rational to a power 0.7):
                    with _time_limit(example_limit):  # then it has no opinion, no failure
                        so = cross_check(s, seed=i)
                    camp.sympy_checked += 1
                    if so.failed:
                        o = so
                except _Slow:
                    camp.sympy_timeouts += 1
            camp.add(i, s, o)
    camp.seconds = time.monotonic() - t0
    return camp


def _worker(args: tuple[int, int, int, int, tuple[str, ...], float | None, float]
            ) -> Campaign:
    return run_range(*args)


def campaign(examples: int, seed: int = 0, jobs: int = 1, depth: int = 3,
             exclude: Sequence[str] = (), time_limit: float | None = None,
             progress: Callable[[Campaign], None] | None = None,
             sympy: float = 0.0) -> Campaign:
    """Run ``examples`` examples (in ``jobs`` processes), stopping after ``time_limit`` s."""
    deadline = time.time() + time_limit if time_limit else None
    total = Campaign(seed)
    t0 = time.monotonic()
    chunk = 50
    tasks = [(seed, i, min(i + chunk, examples), depth, tuple(exclude), deadline, sympy)
             for i in range(0, examples, chunk)]
    if jobs <= 1:
        for t in tasks:
            total.merge(_worker(t))
            total.seconds = time.monotonic() - t0
            if progress:
                progress(total)
            if deadline is not None and time.time() > deadline:
                break
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
        with ctx.Pool(jobs) as pool:  # leaving the block terminates stragglers
            for part in pool.imap_unordered(_worker, tasks):
                total.merge(part)
                total.seconds = time.monotonic() - t0
                if progress:
                    progress(total)
                if deadline is not None and time.time() > deadline + 90:
                    break
    total.seconds = time.monotonic() - t0
    return total


def minimise(camp: Campaign, depth: int = 3, exclude: Sequence[str] = (),
             budget: float = 60.0) -> dict[str, tuple[str, str]]:
    """The minimal example of each distinct failure of ``camp``."""
    out: dict[str, tuple[str, str]] = {}
    for sig, (index, _, _) in camp.examples.items():
        s = sample(camp.seed, index, depth, exclude)
        o = check(s, seed=index)
        if not o.failed:
            continue
        small, so = shrink(s, o, seed=index, budget=budget)
        out[sig] = (small.describe(), so.detail)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m matcalc.fuzz",
                                description="fuzz the differentiator, printer and verify")
    p.add_argument("--examples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--depth", type=int, default=3, help="nesting depth of expressions")
    p.add_argument("--exclude", action="append", default=[],
                   help="leave out an operator or function (kron, vec, tan, ...)")
    p.add_argument("--time-limit", type=float, default=None, help="stop after this many s")
    p.add_argument("--shrink-budget", type=float, default=60.0,
                   help="seconds to spend minimising each distinct failure (0: none)")
    p.add_argument("--replay", type=int, default=None, help="re-run one example and show it")
    p.add_argument("--output", default=None,
                   help="also write the figures so far to this file every 30 s")
    p.add_argument("--sympy", type=float, default=0.0,
                   help="fraction of passing examples also cross-checked with SymPy")
    args = p.parse_args(argv)
    if args.replay is not None:
        s = sample(args.seed, args.replay, args.depth, args.exclude)
        print(s.describe())
        o = check(s, seed=args.replay)
        print(o.kind, o.detail)
        if o.failed and args.shrink_budget > 0:
            small, so = shrink(s, o, seed=args.replay, budget=args.shrink_budget)
            print("minimal:", small.describe())
            print(so.detail)
        return 1 if o.failed else 0

    last = [time.monotonic()]

    def progress(c: Campaign) -> None:
        if time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(f"... {c.tried} tried, {c.passed} passed, {c.inconclusive} inconclusive, "
                  f"{sum(c.failures.values())} failed", file=sys.stderr, flush=True)
            if args.output:
                with open(args.output, "w") as fh:
                    fh.write(c.report() + "\n(in progress)\n")

    camp = campaign(args.examples, args.seed, args.jobs, args.depth, args.exclude,
                    args.time_limit, progress, args.sympy)
    minimal = (minimise(camp, args.depth, args.exclude, args.shrink_budget)
               if args.shrink_budget > 0 else None)
    text = camp.report(minimal)
    print(text)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text + "\n")
    return 1 if camp.failures else 0


if __name__ == "__main__":
    sys.exit(main())
