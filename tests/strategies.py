"""Hypothesis strategies: random well-typed expression text, with a NumPy reference.

:func:`cases` draws a :class:`Case`: the text of an expression in the language of
SPEC section 2 (every operator and function, rows and columns, symmetric and spd
variables, bare ``I``, ``einsum``, dimension names as numbers, named
subexpressions in a ``where`` clause), its expected shape, and a NumPy function
computing its value from the tree as drawn.  Parentheses are the fewest the
precedence rules allow, plus some redundant ones, so a parser that gets
precedence or associativity wrong gives other numbers.

The variables are those of :data:`DECLS` with the sizes of :data:`SIZES`
(distinct, so that a swapped axis fails); :func:`values` draws inputs for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

Shape = tuple[Any, ...]

SIZES = {"m": 3, "n": 4}

# every variable with its declaration: a shape tuple or a kind string, as shapes= takes
DECLS: dict[str, Any] = {
    "s": (), "t": (),
    "x": ("n",), "y": ("n",), "u": ("m",), "v": ("m",),
    "A": ("m", "n"), "B": ("n", "m"), "C": ("n", "n"), "D": "matrix(m, m)",
    "S": "symmetric(n)", "P": "spd(n)",
}
KIND_TEXT = {
    "s": "scalar", "t": "scalar", "x": "vector(n)", "y": "vector(n)", "u": "vector(m)",
    "v": "vector(m)", "A": "matrix(m, n)", "B": "matrix(n, m)", "C": "matrix(n, n)",
    "D": "matrix(m, m)", "S": "symmetric(n)", "P": "spd(n)",
}
VAR_SHAPES: dict[str, Shape] = {
    "s": (), "t": (), "x": ("n",), "y": ("n",), "u": ("m",), "v": ("m",),
    "A": ("m", "n"), "B": ("n", "m"), "C": ("n", "n"), "D": ("m", "m"),
    "S": ("n", "n"), "P": ("n", "n"),
}

DIMS = ("m", "n")
# the shapes expressions are drawn with: scalars, columns, matrices and rows
SHAPES: list[Shape] = [(), ("n",), ("m",), ("m", "n"), ("n", "m"), ("n", "n"), ("m", "m"),
                       (1, "n"), (1, "m")]

ADD, MUL, UNARY, POW, POSTFIX, ATOM = range(1, 7)  # binding strength, loosest first

ELEMENTWISE: dict[str, Callable[[Any], Any]] = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "sqrt": np.sqrt, "abs": np.abs,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "softplus": lambda z: np.logaddexp(0, z),
    "relu": lambda z: np.maximum(z, 0), "sign": np.sign,
    "step": lambda z: np.where(np.asarray(z) > 0, 1.0, 0.0),
}
DISCONTINUOUS = {"sign", "step"}
NUMBERS = ["1", "2", "3", "0.5", "2.5", "0.1", ".5", "1e-1", "1.5e0", "4"]


# ---------------------------------------------------------------------------------------
# the reference: NumPy values with the language's semantics


@dataclass
class Env:
    """Values of the variables, and what evaluation saw (to know when to compare)."""

    values: dict[str, Any]
    biggest: float = 0.0  # largest magnitude of any intermediate value
    unreliable: bool = False  # nan/inf seen, or a discontinuity too close to call

    def track(self, a: Any) -> Any:
        arr = np.asarray(a, dtype=float)
        if arr.size:
            if not np.all(np.isfinite(arr)):
                self.unreliable = True
            else:
                self.biggest = max(self.biggest, float(np.max(np.abs(arr))))
        return a


Ref = Callable[[Env], Any]


def is_row(shape: Shape) -> bool:
    return len(shape) == 2 and shape[0] == 1


def matmul_ref(a: Any, b: Any, sa: Shape, sb: Shape) -> Any:
    """``@`` as SPEC section 2 defines it: rows (1, n) are 2-D, columns 1-D."""
    if len(sa) == 1 and is_row(sb):
        return np.multiply.outer(a, b[0])
    if is_row(sa) and len(sb) == 1:
        return (a @ b)[0]
    return a @ b


def transpose_ref(a: Any, shape: Shape) -> Any:
    if len(shape) == 0:
        return a
    if len(shape) == 1:
        return a.reshape(1, -1)
    if is_row(shape):
        return a.reshape(-1)
    return a.T


def concrete(shape: Shape) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) else SIZES[d] for d in shape)


def values(rng: np.random.Generator) -> dict[str, Any]:
    """Inputs for :data:`DECLS`: well-conditioned square matrices, mixed signs elsewhere."""
    m, n = SIZES["m"], SIZES["n"]
    r = rng.uniform
    sym = r(-1, 1, (n, n))
    spd = r(-1, 1, (n, n))
    return {
        "s": r(0.5, 1.5), "t": r(-1.5, -0.5),
        "x": r(0.5, 1.5, n), "y": r(-1.5, 1.5, n), "u": r(0.5, 1.5, m), "v": r(-1.5, 1.5, m),
        "A": r(-1, 1, (m, n)), "B": r(0.2, 1, (n, m)),
        "C": r(-1, 1, (n, n)) + 3 * np.eye(n), "D": r(-1, 1, (m, m)) + 3 * np.eye(m),
        "S": sym + sym.T + 4 * np.eye(n), "P": spd @ spd.T + n * np.eye(n),
    }


# ---------------------------------------------------------------------------------------
# drawing expressions


@dataclass(frozen=True)
class Gen:
    text: str
    prec: int
    shape: Shape
    ref: Ref = field(compare=False)


@dataclass(frozen=True)
class Case:
    text: str  # the expression as drawn (with a where clause when it has one)
    shape: Shape  # its shape
    ref: Ref = field(compare=False)  # its value from the inputs, by NumPy

    def reference(self, inputs: dict[str, Any]) -> tuple[Any, Env]:
        env = Env(dict(inputs))
        with np.errstate(all="ignore"):
            return self.ref(env), env


class Drawer:
    def __init__(self, draw: Any, definitions: dict[str, Gen]):
        self.draw = draw
        self.definitions = definitions

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))

    def coin(self, p: float = 0.5) -> bool:
        """True with probability ``p``; shrinks towards True (towards simpler cases)."""
        return self.draw(st.integers(0, 99)) < 100 * p

    def rarely(self, p: float) -> bool:
        """True with probability ``p``; shrinks towards False."""
        return self.draw(st.integers(0, 99)) >= 100 - 100 * p

    # -- text ------------------------------------------------------------------------
    def wrap(self, g: Gen, level: int, strict: bool = False) -> str:
        """``g``'s text as an operand needing binding strength ``level``."""
        if g.prec < level or (strict and g.prec == level) or self.rarely(0.05):
            return f"({g.text})"
        return g.text

    def space(self) -> str:
        return self.pick([" ", " ", ""])

    # -- the recursion -----------------------------------------------------------------
    def expr(self, shape: Shape, depth: int) -> Gen:
        if depth <= 0 or self.coin(0.25):
            return self.leaf(shape)
        makers = [self.arith, self.arith, self.neg, self.power, self.transpose, self.matmul,
                  self.matmul, self.elementwise, self.function, self.constant_forms]
        g = self.pick(makers)(shape, depth - 1)
        return g if g is not None else self.leaf(shape)

    def leaf(self, shape: Shape) -> Gen:
        names = [v for v, s in VAR_SHAPES.items() if s == shape]
        names += [d for d, g in self.definitions.items() if g.shape == shape]
        options: list[Callable[[], Gen | None]] = [lambda: self.var(names)] if names else []
        if shape == ():
            options += [self.number, self.number, self.dim_name]
        if shape and not is_row(shape):
            options.append(lambda: self.constant(shape))
        if is_row(shape) or len(shape) == 1:
            other = ("n",) if shape in ((1, "n"), ("n",)) else ("m",)
            if is_row(shape):
                options.append(lambda: self.transpose_of(self.leaf(other)))
        if len(shape) == 2 and not is_row(shape) and shape[0] != shape[1]:
            options.append(lambda: self.transpose_of(self.leaf((shape[1], shape[0]))))
        g = self.pick(options)() if options else None
        assert g is not None, shape
        return g

    def var(self, names: list[str]) -> Gen:
        name = self.pick(names)
        if name in self.definitions:
            d = self.definitions[name]
            return Gen(name, ATOM, d.shape, d.ref)
        return Gen(name, ATOM, VAR_SHAPES[name], lambda env: env.track(env.values[name]))

    def number(self) -> Gen:
        text = self.pick(NUMBERS)
        return Gen(text, ATOM, (), lambda env: float(text))

    def dim_name(self) -> Gen:
        d = self.pick(list(DIMS))
        return Gen(d, ATOM, (), lambda env: float(SIZES[d]))

    def constant(self, shape: Shape) -> Gen:
        dims = ", ".join(str(d) for d in shape)
        kinds = ["ones", "zeros"]
        if len(shape) == 2 and shape[0] == shape[1]:
            kinds.append("eye")
        kind = self.pick(kinds)
        if kind == "eye":
            return Gen(f"eye({shape[0]})", ATOM, shape,
                       lambda env: np.eye(concrete(shape)[0]))
        f = np.ones if kind == "ones" else np.zeros
        return Gen(f"{kind}({dims})", ATOM, shape, lambda env: f(concrete(shape)))

    # -- operators ---------------------------------------------------------------------
    def arith(self, shape: Shape, depth: int) -> Gen:
        op = self.pick(["+", "-", "*", "/"])
        if shape and self.coin(0.3):  # a scalar with an array
            if op == "/" or self.coin():
                left, right = self.expr(shape, depth), self.expr((), depth)
            else:
                left, right = self.expr((), depth), self.expr(shape, depth)
        else:
            left, right = self.expr(shape, depth), self.expr(shape, depth)
        level = ADD if op in "+-" else MUL
        text = f"{self.wrap(left, level)} {op} {self.wrap(right, level, strict=True)}"
        fn = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op]
        lr, rr = left.ref, right.ref
        return Gen(text, level, shape, lambda env: env.track(fn(lr(env), rr(env))))

    def neg(self, shape: Shape, depth: int) -> Gen:
        a = self.expr(shape, depth)
        sign = self.pick(["-", "-", "-", "+"])
        r = a.ref
        if sign == "+":
            return Gen(f"+{self.wrap(a, UNARY)}", UNARY, shape, r)
        return Gen(f"-{self.wrap(a, UNARY)}", UNARY, shape, lambda env: env.track(-r(env)))

    def power(self, shape: Shape, depth: int) -> Gen:
        base = self.expr(shape, depth)
        if self.coin(0.7):
            exponent = self.pick([Gen(t, ATOM, (), lambda env, t=t: float(t))
                                  for t in ["2", "3", "0.5", "2.5"]]
                                 + [Gen("-1", UNARY, (), lambda env: -1.0)])
        else:
            exponent = self.expr((), depth)
        op = self.pick(["^", "^", "**"])
        text = f"{self.wrap(base, POSTFIX)}{op}{self.wrap(exponent, UNARY)}"
        br, er = base.ref, exponent.ref
        return Gen(text, POW, shape, lambda env: env.track(np.power(br(env), er(env))))

    def transpose_of(self, a: Gen) -> Gen:
        spelling = self.pick(["'", ".T"])
        operand = self.wrap(a, POSTFIX)
        if spelling == ".T" and operand[-1:].isdigit():
            operand = f"({a.text})"  # 2.T would read as the number 2. followed by T
        shape = transpose_ref_shape(a.shape)
        r, s = a.ref, a.shape
        return Gen(f"{operand}{spelling}", POSTFIX, shape,
                   lambda env: env.track(transpose_ref(r(env), s)))

    def transpose(self, shape: Shape, depth: int) -> Gen:
        if shape == ():
            inner: Shape = ()
        elif len(shape) == 1:
            inner = (1, shape[0])
        elif is_row(shape):
            inner = (shape[1],)
        else:
            inner = (shape[1], shape[0])
        return self.transpose_of(self.expr(inner, depth))

    def matmul(self, shape: Shape, depth: int) -> Gen | None:
        b = self.pick(list(DIMS))
        if shape == ():
            pairs = [((1, b), (b,)), ((b,), (b,))]
        elif len(shape) == 1:
            pairs = [((shape[0], b), (b,)), ((b,), (b, shape[0]))]
        elif is_row(shape):
            pairs = [((1, b), (b, shape[1]))]
        else:
            pairs = [((shape[0], b), (b, shape[1])), ((shape[0],), (1, shape[1]))]
        sa, sb = self.pick(pairs)
        if len(shape) == 2 and shape[0] == shape[1] and not is_row(shape) and self.coin(0.15):
            return self.identity(shape, depth)
        left, right = self.expr(sa, depth), self.expr(sb, depth)
        text = f"{self.wrap(left, MUL)} @ {self.wrap(right, MUL, strict=True)}"
        lr, rr = left.ref, right.ref
        return Gen(text, MUL, shape,
                   lambda env: env.track(matmul_ref(lr(env), rr(env), sa, sb)))

    def identity(self, shape: Shape, depth: int) -> Gen:
        """Bare I, its size found from the other operand."""
        a = self.expr(shape, depth)
        r = a.ref
        k = concrete(shape)[0]
        form = self.pick(["I @ {}", "{} @ I", "I + {}", "{} - I", "I * {}"])
        wrapped = self.wrap(a, MUL, strict=form.startswith("I")) if "+" not in form and (
            "-" not in form) else self.wrap(a, ADD, strict=form.startswith("I"))
        text = form.format(wrapped)
        prec = ADD if ("+" in form or "-" in form) else MUL

        def ref(env: Env) -> Any:
            x = r(env)
            return env.track({"I @ {}": x, "{} @ I": x, "I + {}": x + np.eye(k),
                              "{} - I": x - np.eye(k), "I * {}": x * np.eye(k)}[form])

        return Gen(text, prec, shape, ref)

    # -- functions ---------------------------------------------------------------------
    def elementwise(self, shape: Shape, depth: int) -> Gen:
        name = self.pick(sorted(ELEMENTWISE))
        a = self.expr(shape, depth)
        f, r = ELEMENTWISE[name], a.ref

        def ref(env: Env) -> Any:
            x = r(env)
            if name in DISCONTINUOUS and np.any(np.abs(x) < 1e-6 * max(1.0, env.biggest)):
                env.unreliable = True
            return env.track(f(x))

        return Gen(f"{name}({a.text})", ATOM, shape, ref)

    def array_shape(self) -> Shape:
        return self.pick([s for s in SHAPES if s])

    def function(self, shape: Shape, depth: int) -> Gen | None:
        options: list[Callable[[], Gen | None]] = []
        if shape == ():
            options += [lambda: self.reduce(depth), lambda: self.square_scalar(depth),
                        lambda: self.two_vectors("dot", depth),
                        lambda: self.vector_fn("logsumexp", (), depth),
                        lambda: self.einsum((), depth)]
        if len(shape) == 1:
            options += [lambda: self.vector_fn("softmax", shape, depth),
                        lambda: self.ismax(shape, depth),
                        lambda: self.diagpart(shape, depth), lambda: self.vec(shape, depth),
                        lambda: self.einsum(shape, depth)]
        if len(shape) == 2 and not is_row(shape):
            options += [lambda: self.two_vectors("outer", depth, shape),
                        lambda: self.einsum(shape, depth), lambda: self.ismax(shape, depth)]
            if shape[0] == shape[1]:
                options += [lambda: self.inv(shape, depth), lambda: self.diag(shape, depth)]
        if not options:
            return None
        return self.pick(options)()

    def call(self, name: str, args: list[Gen], shape: Shape, f: Callable[..., Any]) -> Gen:
        refs = [a.ref for a in args]
        text = f"{name}({', '.join(a.text for a in args)})"
        return Gen(text, ATOM, shape, lambda env: env.track(f(*(r(env) for r in refs))))

    def reduce(self, depth: int) -> Gen:
        name = self.pick(["sum", "norm", "norm1", "norminf"])
        if self.coin(0.2):
            a = self.kron_or_vec(depth)
        else:
            a = self.expr(self.array_shape() if name != "sum" or self.coin(0.8) else (), depth)
        if name != "sum" and not a.shape:
            name = "sum"
        fns = {"sum": np.sum, "norm": lambda z: np.linalg.norm(np.ravel(z)),
               "norm1": lambda z: np.sum(np.abs(z)), "norminf": lambda z: np.max(np.abs(z))}
        return self.call(name, [a], (), fns[name])

    def kron_or_vec(self, depth: int) -> Gen:
        """kron(..) or vec(..), whose shapes are products of dimensions: reduced at once."""
        if self.coin():
            s = self.pick([("m", "n"), ("n", "n"), ("n", "m"), (1, "n")])
            a = self.expr(s, depth)
            return self.call("vec", [a], ("?",), lambda z: np.ravel(z, order="F"))
        s1 = self.pick([("n",), ("m",), ("m", "n"), ("n", "n")])
        s2 = self.pick([s for s in [("n",), ("m",), ("m", "n"), ("n", "m")]
                        if len(s) == len(s1)])
        a, b = self.expr(s1, depth), self.expr(s2, depth)
        return self.call("kron", [a, b], ("?",) * len(s1), np.kron)

    def square_scalar(self, depth: int) -> Gen:
        name = self.pick(["tr", "trace", "det", "logdet"])
        d = self.pick(list(DIMS))
        a = self.expr((d, d), depth)
        fns = {"tr": np.trace, "trace": np.trace, "det": np.linalg.det,
               "logdet": lambda z: np.linalg.slogdet(z)[1]}
        return self.call(name, [a], (), fns[name])

    def two_vectors(self, name: str, depth: int, shape: Shape = ()) -> Gen:
        if name == "dot":
            d = self.pick(list(DIMS))
            a, b = self.expr((d,), depth), self.expr((d,), depth)
            return self.call("dot", [a, b], (), lambda p, q: p @ q)
        a, b = self.expr((shape[0],), depth), self.expr((shape[1],), depth)
        return self.call("outer", [a, b], shape, np.multiply.outer)

    def vector_fn(self, name: str, shape: Shape, depth: int) -> Gen:
        arg_shape = shape if shape else (self.pick(list(DIMS)),)
        a = self.expr(arg_shape, depth)

        def softmax(z: Any) -> Any:
            e = np.exp(z - np.max(z))
            return e / np.sum(e)

        def logsumexp(z: Any) -> Any:
            top = np.max(z)
            return top + np.log(np.sum(np.exp(z - top)))

        return self.call(name, [a], shape, softmax if name == "softmax" else logsumexp)

    def ismax(self, shape: Shape, depth: int) -> Gen:
        a = self.expr(shape, depth)
        r = a.ref

        def ref(env: Env) -> Any:
            z = np.asarray(r(env), dtype=float)
            top = np.sort(z.ravel())[::-1]
            if top.size > 1 and top[0] - top[1] < 1e-6 * max(1.0, env.biggest):
                env.unreliable = True
            out = np.zeros_like(z)
            out.flat[int(np.argmax(z))] = 1.0
            return out

        return Gen(f"ismax({a.text})", ATOM, shape, ref)

    def diagpart(self, shape: Shape, depth: int) -> Gen:
        a = self.expr((shape[0], shape[0]), depth)
        return self.call("diag", [a], shape, lambda z: np.diag(z).copy())

    def diag(self, shape: Shape, depth: int) -> Gen:
        a = self.expr((shape[0],), depth)
        return self.call("diag", [a], shape, np.diag)

    def inv(self, shape: Shape, depth: int) -> Gen:
        return self.call("inv", [self.expr(shape, depth)], shape, np.linalg.inv)

    def vec(self, shape: Shape, depth: int) -> Gen:
        # vec of a column is the column; vec of a row is the column it transposes
        a = self.expr(self.pick([shape, (1, shape[0])]), depth)
        return self.call("vec", [a], shape, lambda z: np.ravel(z, order="F"))

    def einsum(self, shape: Shape, depth: int) -> Gen:
        i, j = self.pick(list(DIMS)), self.pick(list(DIMS))
        if shape == ():
            spec, shapes = self.pick([("i,i->", [(i,), (i,)]), ("ij,ij->", [(i, j), (i, j)]),
                                      ("ii", [(i, i)])])
        elif len(shape) == 1:
            spec, shapes = self.pick([("ij,j->i", [(shape[0], j), (j,)]),
                                      ("ji,j->i", [(j, shape[0]), (j,)]),
                                      ("i,i->i", [shape, shape])])
        else:
            a, c = shape
            spec, shapes = self.pick([("ij,jk->ik", [(a, j), (j, c)]), ("ij->ji", [(c, a)]),
                                      ("ij,jk", [(a, j), (j, c)]), ("i,j->ij", [(a,), (c,)])])
        args = [self.expr(s, depth) for s in shapes]
        refs = [g.ref for g in args]
        quote = f'"{spec}"'
        text = f"einsum({quote}, {', '.join(g.text for g in args)})"
        return Gen(text, ATOM, shape,
                   lambda env: env.track(np.einsum(spec, *(r(env) for r in refs))))

    def constant_forms(self, shape: Shape, depth: int) -> Gen:
        """A scalar times ones/eye, or a dimension name in arithmetic."""
        if shape and not is_row(shape):
            c = self.constant(shape)
            k = self.expr((), depth)
            cr, kr = c.ref, k.ref
            return Gen(f"{self.wrap(k, MUL)} * {c.text}", MUL, shape,
                       lambda env: env.track(kr(env) * cr(env)))
        return self.leaf(shape)


def transpose_ref_shape(shape: Shape) -> Shape:
    if len(shape) == 0:
        return ()
    if len(shape) == 1:
        return (1, shape[0])
    if is_row(shape):
        return (shape[1],)
    return (shape[1], shape[0])


@st.composite
def cases(draw: Any, shape: Shape | None = None, max_depth: int = 4,
          where: bool | None = None) -> Case:
    """A random well-typed expression over :data:`DECLS` (declared with ``shapes=``).

    With ``where``, the declarations are (also) written in a ``where`` clause, and the
    expression may use a named subexpression ``t0`` defined there.
    """
    if shape is None:
        shape = draw(st.sampled_from(SHAPES))
    if where is None:
        where = draw(st.booleans())
    definitions: dict[str, Gen] = {}
    clauses: list[str] = []
    if where and draw(st.booleans()):
        sub = Drawer(draw, {}).expr(draw(st.sampled_from(SHAPES)), max_depth - 1)
        definitions["t0"] = sub
        clauses.append(f"t0 = {sub.text}")
    g = Drawer(draw, definitions).expr(shape, max_depth)
    text = g.text
    if where:
        names = draw(st.lists(st.sampled_from(sorted(KIND_TEXT)), unique=True, max_size=4))
        clauses += [f"{name}: {KIND_TEXT[name]}" for name in names]
        if clauses:
            text = f"{text} where {', '.join(clauses)}"
    return Case(text, shape, g.ref)
