"""The fuzzer's generator: random well-typed expressions over the whole language.

:class:`Generator` builds random expressions over the language of SPEC section
2 — every operator and function, scalars, vectors, rows, matrices,
``symmetric`` and ``spd`` declarations, products of dimensions (``kron``,
``vec``), ``einsum``, dimension names as scalars, nested a few levels — typed
by construction, and mostly inside their domain (``log``, ``sqrt`` and
fractional powers get positive arguments, ``inv``/``det``/``logdet`` get
well-conditioned square matrices; now and then a bare variable, to exercise
:func:`matcalc.verify`'s search for a valid point).  It draws from a
``random.Random``, so it is reproducible from a seed (:func:`sample`), and with
Hypothesis' ``st.randoms()`` it is a Hypothesis strategy (:func:`expressions`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from matcalc.check.fuzz.einsums import scalar_productions
from matcalc.check.fuzz.tree import (
    CONSTANTS,
    DIMS,
    PRODUCT,
    VARIABLES,
    Node,
    Sample,
    Shape,
    const_node,
    elementwise,
    fix_dimension_scalars,
    node,
    var_node,
)
from matcalc.ops import linalg, reductions, reshaping
from matcalc.ops.record import OPS, Fuzz, op

# operators written by name through their records (the language's call name)
INV, DIAG, LOGDET = linalg.INV, linalg.DIAG, linalg.LOGDET
SOFTMAX, KRON, VEC = reductions.SOFTMAX, reshaping.KRON, reshaping.VEC


def from_record_names() -> list[str]:
    """Operators whose productions are made from their records' Fuzz entries.

    Every record with Fuzz entries (any operand of the kind will do), so that a new
    operator is fuzzed as soon as its record says how; the productions written out
    below are for operators whose operands must respect a domain or follow a shape
    the generic kinds cannot say (their records carry no Fuzz entries).
    """
    return [name for name, record in OPS.items() if record.fuzz]


def call(name: str) -> str:
    """The name the language calls operator ``name`` by (its record's first call)."""
    record = op(name)
    return record.calls[0].name if record.calls else record.name


def _written(name: str, entry: Fuzz) -> str:
    return entry.call or call(name)


class Generator:
    """Random well-typed expressions; ``depth`` bounds the nesting."""

    def __init__(self, rnd: random.Random, depth: int = 3, exclude: Sequence[str] = (),
                 corners: bool = False):
        self.r = rnd
        self.depth = depth
        self.exclude = set(exclude)
        self.corners = corners  # also the productions of check/fuzz/einsums.py

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
        tree = fix_dimension_scalars(tree)
        return Sample(tree, "where" if r.random() < 0.3 else "shapes")

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
                return var_node(r.choice(names))
            if choice < 0.55:
                return const_node(r.choice(DIMS))  # a dimension as a number
            return const_node(r.choice(CONSTANTS))
        if len(shape) == 1 and shape[0] == PRODUCT:
            return (node("vec({0})", shape, self.leaf(("m", "n"))) if r.random() < 0.6
                    else node("kron({0}, {1})", shape, self.leaf(("m",)), self.leaf(("n",))))
        if len(shape) == 2 and shape[0] == 1:
            return node("{0}'", shape, self.leaf((shape[1],)))
        if names and r.random() < 0.9:
            return var_node(r.choice(names))
        if len(shape) == 2 and shape[0] == shape[1]:
            return Node(f"eye({shape[0]})", [], shape, leaf=True)
        if len(shape) == 2:
            return node("{0}'", shape, self.leaf((shape[1], shape[0])))
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
        fns = {f: w for f, w in elementwise().items() if self.ok(f)}
        return [
            (3, lambda: node("({0} + {1})", shape, g(shape, d), g(shape, d))),
            (2, lambda: node("({0} - {1})", shape, g(shape, d), g(shape, d))),
            (1, lambda: node("(-{0})", shape, g(shape, d))),
            (2, lambda: node("({0} * {1})", shape, g(shape, d), g(shape, d))),
            (2, lambda: node("({0} * {1})", shape, g((), d), g(shape, d))),
            (1, lambda: node("({0} / {1})", shape, g(shape, d), self.positive(shape, d))),
            (1, lambda: node("({0} / {1})", shape, g(shape, d), self.positive((), d))),
            (3, lambda: node(f"{self.function(fns)}({{0}})", shape, g(shape, d))),
            (1, lambda: node("log({0})", shape, self.positive(shape, d))),
            (1, lambda: node("sqrt({0})", shape, self.positive(shape, d))),
            (1, lambda: node(f"({{0}}^{r.choice(('2', '3'))})", shape, g(shape, d))),
            (1, lambda: node(f"({{0}}**{r.choice(('0.5', '-1', '1.5', '-0.5', '-2'))})", shape,
                           self.positive(shape, d))),
            (0.4, lambda: node("({0}^{1})", shape, self.positive(shape, d),
                             self.gen((), d - 1))),
        ]

    def function(self, weights: dict[str, float]) -> str:
        """An elementwise function, drawn by its record's fuzz weight."""
        return self.r.choices(list(weights), list(weights.values()))[0]

    def from_records(self, result: str, shape: Shape, depth: int
                     ) -> list[tuple[float, Callable[[], Node]]]:
        """Productions of the records' Fuzz entries that give a ``result``."""
        options: list[tuple[float, Callable[[], Node]]] = []
        for name in from_record_names():
            record = OPS[name]
            if not self.ok(name):
                continue
            for entry in record.fuzz:
                if entry.result != result:
                    continue
                # a record that carries its shape (unvec, reshape) is written with it
                sizes = "".join(f", {d}" for d in shape) if record.shaped else ""
                template = (_written(name, entry) + "("
                            + ", ".join(f"{{{i}}}" for i in range(len(entry.operands)))
                            + sizes + record.options + ")")
                options.append((entry.weight, self._production(template, shape, depth,
                                                               entry.operands)))
        return options

    def _production(self, template: str, shape: Shape, depth: int,
                    kinds: tuple[str, ...]) -> Callable[[], Node]:
        return lambda: node(template, shape, *(self.operand(k, shape, depth - 1)
                                               for k in kinds))

    def operand(self, kind: str, shape: Shape, depth: int) -> Node:
        """An operand of a record's kind (``vector``, ``matrix``: the result's shape)."""
        if kind == "product-vector":
            return self.gen((PRODUCT,), depth)
        if kind == "matrix-mn":
            return self.gen(("m", "n"), depth)
        if kind == "any":
            return self.array_any(depth)
        return self.gen(shape, depth)

    def positive(self, shape: Shape, depth: int) -> Node:
        """An expression positive everywhere (or a variable, for verify's heuristics)."""
        r = self.r
        g = self.gen
        d = max(depth - 1, 0)
        options: list[tuple[float, Callable[[], Node]]] = [
            (3, lambda: node("exp({0})", shape, g(shape, d))),
            (2, lambda: node("softplus({0})", shape, g(shape, d))),
            (2, lambda: node("sigmoid({0})", shape, g(shape, d))),
            (2, lambda: node(f"({{0}}^2 + {r.choice(('1', '0.5', '2'))})", shape, g(shape, d))),
            (1, lambda: node("cosh({0})", shape, g(shape, d))),
            (1, lambda: node("(1 + abs({0}))", shape, g(shape, d))),
            (0.7, lambda: node("({0} * {1})", shape, self.positive(shape, d - 1),
                             self.positive(shape, d - 1))),
            (0.7, lambda: node("({0} + {1})", shape, self.positive(shape, d - 1),
                             self.positive(shape, d - 1))),
            (1, lambda: self.leaf_positive(shape)),
        ]
        if shape == ():
            options += [
                (1, lambda: node("(norm({0}) + 1)", shape, g((r.choice(DIMS),), d))),
                (1, lambda: node("det({0})", shape, self.spd(r.choice(DIMS), d))),
                (1, lambda: node("tr({0})", shape, self.spd(r.choice(DIMS), d))),
                (1, lambda: node("(({0})' @ {1} @ {0} + 1)", shape, g(("n",), d),
                               self.spd("n", d))),
                (1, lambda: node("sum(exp({0}))", shape, g(("n",), d))),
            ]
        return self.pick(options)

    def leaf_positive(self, shape: Shape) -> Node:
        if shape == ():
            return const_node(self.r.choice(("2", "0.5", "3", "n", "m")))
        names = [n for n, (sh, _) in VARIABLES.items() if sh == shape]
        if names and self.r.random() < 0.5:
            return var_node(self.r.choice(names))  # verify must find positive values for it
        return node("exp({0})", shape, self.leaf(shape))

    def spd(self, k: str, depth: int) -> Node:
        """A symmetric positive definite k×k matrix."""
        r = self.r
        g = self.gen
        d = max(depth - 1, 0)
        name = "S" if k == "n" else "P"
        other = "m" if k == "n" else "n"
        options: list[tuple[float, Callable[[], Node]]] = [
            (4, lambda: var_node(name)),
            (1, lambda: node("({0} + {1} @ ({1})')", (k, k), var_node(name), g((k,), d))),
            (1, lambda: node(f"({{0}} @ ({{0}})' + {r.choice(('I', f'eye({k})'))})", (k, k),
                           g((k, r.choice(DIMS)), d))),
            (1, lambda: node("(({0})' @ {0} + I)", (k, k), g((other, k), d))),
            (1, lambda: node("({0} + {1})", (k, k), self.spd(k, d - 1), self.spd(k, d - 1))),
            (0.5, lambda: node(f"{call(INV)}({{0}})", (k, k), self.spd(k, d - 1))),
            (0.5, lambda: node(f"{call(DIAG)}({{0}})", (k, k), self.positive((k,), d))),
            (0.5, lambda: node(f"({r.choice(('2', '0.5'))} * {{0}})", (k, k), self.spd(k, d - 1))),
        ]
        if k == "n":
            options.append((1, lambda: node("({0} @ {0} + I)", (k, k), var_node("Y"))))
        return self.pick(options)

    def square(self, k: str, depth: int) -> Node:
        """A square matrix that is (almost surely) well conditioned, for inv/det/logdet."""
        g = self.gen
        d = max(depth - 1, 0)
        return self.pick([
            (3, lambda: self.spd(k, depth)),
            (2, lambda: var_node("X") if k == "n" else var_node("M")),
            (1, lambda: node("(I + 0.1 * {0})", (k, k), g((k, k), d))),
            (1, lambda: node("({0} @ {1})", (k, k), self.square(k, d), self.square(k, d))),
            (1, lambda: node("({0})'", (k, k), self.square(k, d))),
            (0.3, lambda: g((k, k), d)),  # anything: verify must cope
        ])

    def vector_any(self, depth: int) -> Node:
        r = self.r
        x = r.random()
        if x < 0.1 and self.ok(KRON) and self.ok(VEC):
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
            return node(template, s, g((n,), d), g((n,), d))

        def quad() -> Node:
            i, j = k(), k()
            return node("({0}' @ {1} @ {2})", s, g((i,), d), g((i, j), d), g((j,), d))

        def einsum2(spec: str) -> Node:
            i, j = k(), k()
            return node(f'einsum("{spec}", {{0}}, {{1}})', s, g((i, j), d), g((i, j), d))

        options = self.elementwise(s, depth) + [
            (4, lambda: node("sum({0})", s, self.array_any(d))),
            (2, lambda: node("norm({0})", s, self.array_any(d) if r.random() < 0.5
                           else g((k(),), d))),
            (1, lambda: node("norm1({0})", s, self.array_any(d))),
            (1, lambda: node("norminf({0})", s, self.array_any(d))),
            (2, lambda: node("tr({0})", s, g((k(),) * 2, d))),
            (1, lambda: node("trace({0})", s, g((k(),) * 2, d))),
            (1, lambda: node("det({0})", s, self.square(k(), d))),
            (1.5, lambda: node(f"{call(LOGDET)}({{0}})", s, self.square(k(), d))),
            (0.7, lambda: node("log(det({0}))", s, self.spd(k(), d))),
            (1, lambda: node("logsumexp({0})", s, self.vector_any(d))),
            (1.5, lambda: vec_pair("dot({0}, {1})")),
            (1.5, lambda: vec_pair("({0}' @ {1})")),
            (1, lambda: vec_pair("({0} @ {1})")),
            (2, quad),
            (1, lambda: (lambda n: node("({0} @ {1})", s, g((1, n), d), g((n,), d)))(k())),
            (0.7, lambda: einsum2("ij,ij->")),
            (0.5, lambda: (lambda n: node('einsum("i,i->", {0}, {1})', s, g((n,), d),
                                        g((n,), d)))(k())),
            (0.5, lambda: (lambda n: node('einsum("ii->", {0})', s, g((n, n), d)))(k())),
            (0.5, lambda: (lambda n: node('einsum("ij,jk,ki->", {0}, {1}, {2})', s,
                                        g((n, "m"), d), g(("m", "n"), d),
                                        g(("n", n), d)))(k())),
            (1, lambda: (lambda n: node(f"sum({call(SOFTMAX)}({{0}}) * {{1}})", s,
                                      g((n,), d), g((n,), d)))(k())),
        ]
        if self.corners:
            options += scalar_productions(r, g, d)
        kron, vec = call(KRON), call(VEC)
        if self.ok(KRON):
            options += [
                (0.4, lambda: node(f"tr({kron}({{0}}, {{1}}))", s, g(("n", "n"), d),
                                 g(("m", "m"), d))),
                (0.4, lambda: node(f"sum({kron}({{0}}, {{1}}))", s, g((k(), k()), d),
                                 g((k(), k()), d))),
                (0.3, lambda: (lambda i, j: node(f"sum({kron}({{0}}, {{1}}) @ {vec}({{2}}))",
                                               s, g((i, "m"), d), g((j, "n"), d),
                                               g(("m", "n"), d)))(k(), k())),
            ]
        if self.ok(VEC):
            options += [
                (0.5, lambda: node(f"dot({vec}({{0}}), {vec}({{1}}))", s, g(("m", "n"), d),
                                 g(("m", "n"), d))),
                (0.3, lambda: node(f"norm({vec}({{0}}))", s, g((k(), k()), d))),
            ]
        return self.pick(options + self.from_records("scalar", s, depth))

    def vector(self, n: Any, depth: int) -> Node:
        r = self.r
        g = self.gen
        d = depth - 1
        sh: Shape = (n,)
        options = self.elementwise(sh, depth)
        if n == PRODUCT:
            return self.pick(options + [
                (3, lambda: node(f"{call(VEC)}({{0}})", sh, g(("m", "n"), d))),
                (2, lambda: node(f"{call(KRON)}({{0}}, {{1}})", sh, g(("m",), d),
                               g(("n",), d))),
                (1, lambda: node(f"{call(SOFTMAX)}({{0}})", sh, g(sh, d))),
            ] + self.from_records("product-vector", sh, depth))

        def j() -> str:
            return r.choice(DIMS)

        options += [
            (4, lambda: (lambda k: node("({0} @ {1})", sh, g((n, k), d), g((k,), d)))(j())),
            (2, lambda: (lambda k: node("(({0})' @ {1})", sh, g((k, n), d), g((k,), d)))(j())),
            (1, lambda: (lambda k: node("({0} @ {1})", sh, g((k,), d), g((k, n), d)))(j())),
            (1.5, lambda: node(f"{call(DIAG)}({{0}})", sh, g((n, n), d))),
            (1.5, lambda: node(f"{call(SOFTMAX)}({{0}})", sh, g(sh, d))),
            (1, lambda: node("({0})'", sh, g((1, n), d))),
            (1, lambda: node(f"({call(INV)}({{0}}) @ {{1}})", sh, self.square(n, d),
                           g(sh, d))),
            (1, lambda: (lambda k: node('einsum("ij,j->i", {0}, {1})', sh, g((n, k), d),
                                      g((k,), d)))(j())),
            (0.7, lambda: (lambda k: node('einsum("ji,j->i", {0}, {1})', sh, g((k, n), d),
                                        g((k,), d)))(j())),
            (0.7, lambda: (lambda k: node('einsum("ij,ij->i", {0}, {1})', sh, g((n, k), d),
                                        g((n, k), d)))(j())),
            (0.5, lambda: node('einsum("ii->i", {0})', sh, g((n, n), d))),
            (0.3, lambda: Node(f"ones({n})", [], sh, leaf=True)),
            *[(0.4 if self.ok(f"{kind}_axis{axis}") else 0, self._along(kind, axis, n, d))
              for kind in ("sum", "max", "logsumexp") for axis in (0, 1)],
        ] + self.from_records("vector", sh, depth)
        return self.pick(options)

    def row(self, n: Any, depth: int) -> Node:
        r = self.r
        g = self.gen
        d = depth - 1
        sh: Shape = (1, n)
        fns = {f: w for f, w in elementwise().items() if self.ok(f)}
        return self.pick([
            (3, lambda: node("({0})'", sh, g((n,), d))),
            (2, lambda: (lambda k: node("(({0})' @ {1})", sh, g((k,), d), g((k, n), d)))(
                r.choice(DIMS))),
            (1, lambda: node("({0} + {1})", sh, g(sh, d), g(sh, d))),
            (1, lambda: node("({0} * {1})", sh, g((), d), g(sh, d))),
            (1, lambda: node("({0} * {1})", sh, g(sh, d), g(sh, d))),
            (1, lambda: node(f"{self.function(fns)}({{0}})", sh, g(sh, d))),
        ])

    def _along(self, kind: str, axis: int, n: Any, depth: int) -> Callable[[], Node]:
        """A reduction along an axis of a matrix giving a vector of length ``n``."""
        def make() -> Node:
            k = self.r.choice(DIMS)
            return node(f"{kind}({{0}}, axis={axis})", (n,),
                        self.gen((k, n) if axis == 0 else (n, k), depth))
        return make

    def matrix(self, p: Any, q: Any, depth: int) -> Node:
        r = self.r
        g = self.gen
        d = depth - 1
        sh: Shape = (p, q)

        def j() -> str:
            return r.choice(DIMS)

        options = self.elementwise(sh, depth) + [
            (4, lambda: (lambda k: node("({0} @ {1})", sh, g((p, k), d), g((k, q), d)))(j())),
            (2, lambda: node("({0})'", sh, g((q, p), d))),
            (0.7, lambda: node("({0}).T", sh, g((q, p), d))),
            (1.5, lambda: node("outer({0}, {1})", sh, g((p,), d), g((q,), d))),
            (1, lambda: node("({0} @ ({1})')", sh, g((p,), d), g((q,), d))),
            (1, lambda: (lambda k: node('einsum("ik,kj->ij", {0}, {1})', sh, g((p, k), d),
                                      g((k, q), d)))(j())),
            (0.7, lambda: node('einsum("ji->ij", {0})', sh, g((q, p), d))),
            (0.7, lambda: node('einsum("ij,j->ij", {0}, {1})', sh, g(sh, d), g((q,), d))),
            (0.5, lambda: node('einsum("i,j->ij", {0}, {1})', sh, g((p,), d), g((q,), d))),
            (0.3, lambda: Node(f"ones({p}, {q})", [], sh, leaf=True)),
            (0.2, lambda: Node(f"zeros({p}, {q})", [], sh, leaf=True)),
            # a vector broadcast over the rows, as in X @ W + b
            (1 if self.ok("broadcast") else 0,
             lambda: node("({0} + {1})", sh, g(sh, d), g((q,), d))),
            (0.5 if self.ok("broadcast") else 0,
             lambda: node("({0} - ({1})')", sh, g(sh, d), g((q,), d))),
        ] + self.from_records("matrix", sh, depth)
        if (p, q) == ("m", "n"):
            options += self.from_records("matrix-mn", sh, depth)
        if p == q:
            options += [
                (2, lambda: node(f"{call(INV)}({{0}})", sh, self.square(p, d))),
                (1.5, lambda: node(f"{call(DIAG)}({{0}})", sh, g((p,), d))),
                (1, lambda: node(f"({{0}} + {r.choice(('I', '2 * I', f'eye({p})'))})", sh,
                               g(sh, d))),
                (1, lambda: self.spd(p, depth)),
                (0.5, lambda: node("(({0}) * {1})", sh, g((), d), self.square(p, d))),
            ]
            if p == "n":
                options.append((1, lambda: var_node(r.choice(("Y", "S")))))
        return self.pick(options)


def sample(seed: int, index: int, depth: int = 3, exclude: Sequence[str] = (),
           corners: bool = False) -> Sample:
    """Example ``index`` of the campaign with ``seed`` (independent of the others)."""
    return Generator(random.Random(f"{seed}:{index}"), depth, exclude, corners).sample()


def expressions(depth: int = 3, exclude: Sequence[str] = ()) -> Any:
    """A Hypothesis strategy of :class:`Sample` s (needs the ``hypothesis`` package)."""
    from hypothesis import strategies as st

    return st.randoms(use_true_random=False).map(
        lambda rnd: Generator(rnd, depth, exclude).sample())
