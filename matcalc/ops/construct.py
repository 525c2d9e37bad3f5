"""Smart constructors: every operator's shape rule and its canonical form.

Each public function here builds one kind of node.  It checks the operands'
shapes (raising :class:`ShapeError` that names them) and canonicalises, so
that equal expressions written differently become the same node:

* sums and products are flat and n-ary, like terms are collected
  (``A@x + A@x`` → ``2 * A @ x``), numbers are folded, ``0*`` and ``1*`` vanish;
* negation is the coefficient -1 and distributes over sums;
* a product's scalar factors are pulled out of matrix products
  (``(2*A) @ x`` is ``2 * (A @ x)``);
* transposes are pushed through products and sums to the leaves and
  cancel in pairs; a symmetric variable is its own transpose;
* ``dot``/``outer``/vector ``@`` vector are matrix products with a transposed vector.

Numbers are exact (``int`` or ``Fraction``) so that ``0.5 * 2`` is exactly 1.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Generator, Sequence
from fractions import Fraction
from typing import Any, TypeVar

from matcalc.core.dims import Dim, Shape, dims_equal, format_shape, product_dim, shapes_equal
from matcalc.core.errors import ParseError, ShapeError
from matcalc.core.expr import Expr, Number, make

R = TypeVar("R")

# ----------------------------------------------------------------------------------------
# helpers


MAX_DIGITS = 1000  # numbers (numerators and denominators) have at most this many digits
_NUMBER_LIMIT = 10**MAX_DIGITS


def number(v: int | Fraction | float | str) -> Number:
    """An exact number; Fractions with denominator 1 become ints."""
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, str):  # "1e99999999" must not make Fraction build a huge integer
        mantissa, _, exponent = v.lower().partition("e")
        if len(mantissa) > 4 * MAX_DIGITS or len(exponent) > 6 or (
                exponent and abs(int(exponent)) > 4 * MAX_DIGITS):
            raise ParseError(f"the number {_cut(v)} has more than {MAX_DIGITS} digits, "
                             "the limit")
    if isinstance(v, float | str):
        v = Fraction(v)
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v.numerator)
    return v


def describe(e: Expr) -> str:
    """``A (m×n)`` — a short name for an operand in error messages."""
    text = str(e)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({format_shape(e.shape)})"


def is_const(e: Expr, value: Number | None = None) -> bool:
    return e.op == "const" and (value is None or e.attrs[0] == value)


def is_zero(e: Expr) -> bool:
    return (e.op == "const" and e.attrs[0] == 0) or e.op == "zeros"


def is_row(shape: Shape) -> bool:
    return len(shape) == 2 and shape[0] == 1


def is_square(shape: Shape) -> bool:
    return len(shape) == 2 and dims_equal(shape[0], shape[1])


# ----------------------------------------------------------------------------------------
# leaves


def const(v: int | Fraction | float | str) -> Expr:
    n = number(v)
    if abs(n.numerator) >= _NUMBER_LIMIT or n.denominator >= _NUMBER_LIMIT:
        raise ParseError(f"a number with more than {MAX_DIGITS} digits arose; "
                         f"{MAX_DIGITS} digits is the limit")
    return make("const", (), (n,), ())


def _cut(text: str, width: int = 20) -> str:
    return text if len(text) <= width else text[:width] + "..."


def var(name: str, shape: Shape = (), structure: str = "") -> Expr:
    if structure and (len(shape) != 2 or not dims_equal(shape[0], shape[1])):
        raise ShapeError(f"{name} is declared {structure} but its shape "
                         f"{format_shape(shape)} is not square")
    return make("var", (), (name, structure), tuple(shape))


def dim(d: Dim) -> Expr:
    """The size of dimension ``d`` as a scalar."""
    if isinstance(d, int):
        return const(d)
    return make("dim", (), (d,), ())


def zeros(shape: Shape) -> Expr:
    return const(0) if not shape else make("zeros", (), (), tuple(shape))


def ones(shape: Shape) -> Expr:
    return const(1) if not shape else make("ones", (), (), tuple(shape))


def eye(n: Dim) -> Expr:
    return make("eye", (), (), (n, n))


def _broadcast_shape(what: str, operands: Sequence[Expr]) -> Shape:
    """Shape of an elementwise operation: scalars broadcast, other shapes must agree."""
    shape: Shape = ()
    first: Expr | None = None
    for i, e in enumerate(operands):
        if not e.shape:
            continue
        if first is None:
            shape, first = e.shape, e
            continue
        if not shapes_equal(shape, e.shape):
            j = operands.index(first)
            low = i if e.ndim <= first.ndim else j
            raise ShapeError(
                f"cannot {what} {describe(first)} and {describe(e)}: shapes differ",
                suspects=((low, 0),))
    return shape


# ----------------------------------------------------------------------------------------
# sums


def _split_coefficient(e: Expr) -> tuple[Number, Expr | None]:
    """``e`` as coefficient × rest (rest None for a plain number)."""
    if e.op == "const":
        return e.attrs[0], None
    if e.op == "mul" and e.args[0].op == "const":
        rest = e.args[1:]
        return e.args[0].attrs[0], rest[0] if len(rest) == 1 else make(
            "mul", rest, (), e.shape)
    return 1, e


def add(*terms: Expr) -> Expr:
    shape = _broadcast_shape("add", terms)
    flat: list[Expr] = []
    stack = list(reversed(terms))
    while stack:
        t = stack.pop()
        if t.op == "add":
            stack.extend(reversed(t.args))
        elif shape and t.op == "mul" and t.args[-1].op == "ones" and _scalar_sum(t):
            # (s + t) * ones(n) in a sum of arrays is s * ones(n) + t * ones(n), so that
            # it cancels against (-s - t) * ones(n), the negation distributed
            coeff, rest = _split_coefficient(mul(*t.args[:-1]))
            stack.extend(reversed([mul(scale(coeff, u), t.args[-1])
                                   for u in (rest.args if rest is not None else ())]))
        else:
            flat.append(t)
    constant: Number = 0
    constant_at: int | None = None
    constant_ones = False
    groups: dict[int, list[Any]] = {}  # id(rest) -> [coefficient, rest, position, ones]
    for pos, t in enumerate(flat):
        if is_zero(t):
            continue
        coeff, rest = _split_coefficient(t)
        # in a sum of arrays, c * ones(n) is a like term of the number c, and s * ones(n)
        # of s, so that (zeros(n) + s) - s * ones(n) cancels however it is grouped; the
        # term keeps its ones(n) when any of its parts had it
        with_ones = False
        if shape and rest is not None and rest.op == "ones":
            rest, with_ones = None, True
        elif shape and rest is not None and rest.op == "mul" and rest.args[-1].op == "ones":
            rest, with_ones = mul(*rest.args[:-1]), True
        if rest is None:
            constant += coeff
            constant_at = pos if constant_at is None else constant_at
            constant_ones = constant_ones or with_ones
            continue
        g = groups.get(id(rest))
        if g is None:
            groups[id(rest)] = [coeff, rest, pos, with_ones]
        else:
            g[0] += coeff
            g[3] = g[3] or with_ones
    items: list[tuple[int, Expr]] = []
    for coeff, rest, pos, with_ones in groups.values():
        if coeff != 0:
            term = scale(coeff, rest)
            items.append((pos, mul(term, ones(shape)) if with_ones else term))
    if constant != 0 and constant_at is not None:
        items.append((constant_at, scale(constant, ones(shape)) if constant_ones
                      else const(constant)))
    items.sort(key=lambda it: it[0])
    out = [e for _, e in items]
    if not out:
        return zeros(shape)
    if any(e.op == "add" for e in out):  # 1 * (a + b) collected from halves: flatten
        return add(*out, *([zeros(shape)] if shape else []))
    # positive terms first, so that a sum reads "a - b" rather than "-b + a"
    out.sort(key=lambda e: _split_coefficient(e)[0] < 0)
    if shape and not any(t.shape for t in out):  # scalars left over from broadcasting
        return mul(out[0] if len(out) == 1 else make("add", tuple(out), (), ()), ones(shape))
    if len(out) == 1:
        return out[0]
    diagonals = [_diagonal_of(t) for t in out]
    if all(d is not None for d in diagonals):  # diag(a) + 2 * diag(b) = diag(a + 2 * b)
        return diag(add(*diagonals))  # type: ignore[arg-type]
    return make("add", tuple(out), (), shape)


def _scalar_sum(t: Expr) -> bool:
    """Whether ``t`` is (c *) (a sum of scalars) * ones(...)."""
    scalars = [f for f in t.args[:-1] if f.op != "const"]
    return len(scalars) == 1 and scalars[0].op == "add" and not scalars[0].shape


def _diagonal_of(t: Expr) -> Expr | None:
    """v for a term c * diag(v), else None."""
    coeff, rest = _split_coefficient(t)
    if rest is not None and rest.op == "diag":
        return scale(coeff, rest.args[0])
    return None


def neg(a: Expr) -> Expr:
    return scale(-1, a)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


def scale(c: Number, e: Expr) -> Expr:
    """``c * e`` for a number ``c``; distributes -1 over sums."""
    c = number(c)
    if c == 1:
        return e
    if c == 0:
        return zeros(e.shape)
    if e.op == "add" and c == -1:
        return add(*(scale(-1, t) for t in e.args))
    return mul(const(c), e)


# ----------------------------------------------------------------------------------------
# products (scalar and elementwise)


def _base_exponent(e: Expr) -> tuple[Expr, Number | None]:
    if e.op == "pow" and e.args[1].op == "const":
        return e.args[0], e.args[1].attrs[0]
    return e, 1


def mul(*factors: Expr) -> Expr:
    shape = _broadcast_shape("multiply", factors)
    flat: list[Expr] = []
    stack = list(reversed(factors))
    while stack:
        f = stack.pop()
        if f.op == "mul":
            stack.extend(reversed(f.args))
        else:
            flat.append(f)
    coeff: Number = 1
    groups: dict[int, list[Any]] = {}  # id(base) -> [exponent, base, position]
    others: list[tuple[int, Expr]] = []
    for pos, f in enumerate(flat):
        if f.op == "const":
            coeff *= f.attrs[0]
            continue
        if f.op == "zeros":
            return zeros(shape)
        if f.op == "ones":
            continue
        base, exponent = _base_exponent(f)
        if exponent is None:
            others.append((pos, f))
            continue
        g = groups.get(id(base))
        if g is None:
            groups[id(base)] = [exponent, base, pos]
        else:
            g[0] += exponent
    coeff = number(coeff)
    if coeff == 0:
        return zeros(shape)
    items = list(others)
    for exponent, base, pos in groups.values():
        if exponent != 0:
            items.append((pos, power(base, const(exponent))))
    if any(e.op == "mul" for _, e in items):  # (a * b)^-1 came back as a^-1 * b^-1: flatten
        return mul(const(coeff), *(e for _, e in sorted(items, key=lambda it: it[0])),
                   *([ones(shape)] if shape else []))
    # scalar factors before arrays, otherwise in order of appearance
    # scalar factors before arrays and numerators before denominators (the printed
    # order, so that parsing the text gives back the same node); else as they came
    items.sort(key=lambda it: (bool(it[1].shape), _is_denominator(it[1]), it[0]))
    out = [e for _, e in items]
    if not out:  # a number, or a number times ones(...) (scale would come back here)
        if not shape or coeff == 1:
            return ones(shape) if shape else const(coeff)
        return make("mul", (const(coeff), ones(shape)), (), shape)
    if not any(e.shape for e in out) and shape:
        out.append(ones(shape))  # scalar times ones(...): keep the shape
    if coeff == -1 and len(out) == 1 and out[0].op == "add":
        return add(*(neg(t) for t in out[0].args))
    if coeff != 1:
        out.insert(0, const(coeff))
    if len(out) == 1:
        return out[0]
    return make("mul", tuple(out), (), shape)


def _is_denominator(e: Expr) -> bool:
    return e.op == "pow" and e.args[1].op == "const" and e.args[1].attrs[0] < 0


def div(a: Expr, b: Expr) -> Expr:
    if b.op == "const":
        if b.attrs[0] == 0:
            raise ShapeError(f"division of {describe(a)} by zero")
        _broadcast_shape("divide", (a, b))
        return mul(a, const(Fraction(1) / b.attrs[0]))
    if b.shape and a.shape and not shapes_equal(a.shape, b.shape):
        low = 1 if b.ndim <= a.ndim else 0
        raise ShapeError(f"cannot divide {describe(a)} by {describe(b)}: shapes differ",
                         suspects=((low, 0),))
    return mul(a, power(b, const(-1)))


def power(base: Expr, exponent: Expr) -> Expr:
    if exponent.shape:
        raise ShapeError(f"the exponent {describe(exponent)} must be a scalar",
                         suspects=((1, 0),))
    if exponent.op == "const":
        p = exponent.attrs[0]
        if p == 1:
            return base
        if p == 0:
            return ones(base.shape)
        if base.op == "const":
            folded = _fold_power(base.attrs[0], p)
            if folded is not None:
                return const(folded)
        if isinstance(p, int):
            if base.op == "pow" and base.args[1].op == "const":
                return power(base.args[0], const(base.args[1].attrs[0] * p))
            if base.op == "mul":
                return mul(*(power(f, exponent) for f in base.args))
            if base.op == "ones":
                return base
    if base.op == "const" and base.attrs[0] == 1:
        return base
    return make("pow", (base, exponent), (), base.shape)


def _fold_power(b: Number, p: Number) -> Number | None:
    if b == 0 and p < 0:
        raise ShapeError(f"0 to the power {p} is a division by zero")
    size = max(abs(Fraction(b).numerator), Fraction(b).denominator).bit_length()
    if size * abs(p) > 4 * MAX_DIGITS or Fraction(p).denominator > 64:
        return None  # too large to fold (2^99999999): it stays a power
    if isinstance(p, int):
        return number(Fraction(b) ** p)
    import sympy

    r = sympy.Rational(b) ** sympy.Rational(p)
    if r.is_Rational:
        return number(Fraction(int(r.p), int(r.q)))
    return None


# ----------------------------------------------------------------------------------------
# matrix products and transposes


def _matmul_shape(a: Shape, b: Shape, left: Expr, right: Expr) -> Shape:
    if not a or not b:
        which, e = (0, left) if not a else (1, right)
        raise ShapeError(f"cannot matrix-multiply the scalar {describe(e)}; use * instead",
                         suspects=((which, 1),))
    if len(a) > 2 or len(b) > 2:
        raise ShapeError(f"cannot matrix-multiply {describe(left)} by {describe(right)}: "
                         "use einsum for tensors of order 3 and more")
    if len(a) == 1 and len(b) == 2 and b[0] == 1 and a[0] != 1:
        return (a[0], b[1])  # column times row: outer product
    inner_a = a[-1]
    inner_b = b[0]
    if not dims_equal(inner_a, inner_b):
        raise ShapeError(f"cannot multiply {describe(left)} by {describe(right)}: "
                         f"inner dimensions {inner_a} and {inner_b} differ")
    out = a[:-1] + b[1:]
    if len(a) == 2 and a[0] == 1 and len(b) == 1:
        return ()  # row times column: a scalar
    return out


def _chain_shape(factors: Sequence[Expr]) -> Shape:
    shape = factors[0].shape
    for i in range(1, len(factors)):
        shape = _matmul_shape(shape, factors[i].shape, factors[i - 1] if i == 1 else
                              _ShapeOnly(shape), factors[i])
    return shape


class _ShapeOnly:
    """Stands for a partial product in error messages."""

    def __init__(self, shape: Shape):
        self.shape = shape
        self.ndim = len(shape)

    def __str__(self) -> str:
        return "the product"


def matmul(*factors: Expr) -> Expr:
    if len(factors) == 1:
        return factors[0]
    # binary check first so that errors name the operands as written
    if len(factors) == 2:
        shape = _matmul_shape(factors[0].shape, factors[1].shape, factors[0], factors[1])
    else:
        shape = _chain_shape(factors)
    coeff_factors: list[Expr] = []
    chain: list[Expr] = []
    running: Shape | None = None  # the shape of the product of the factors so far
    for f in factors:
        if f.op == "mul" and f.shape:
            scalars = [g for g in f.args if not g.shape]
            arrays = [g for g in f.args if g.shape]
            if scalars:
                coeff_factors.extend(scalars)
                f = mul(*arrays) if arrays else f
        if running is not None and len(running) == 1 and f.ndim == 2 and not (
                is_row(f.shape) and running[0] != 1):
            # column @ matrix (NumPy's vector-times-matrix) is matrix.T @ column; flattening
            # x @ (B @ u @ y.T) instead would give x @ B @ u @ y.T, another product
            chain[:0] = _factors(transpose(f), coeff_factors)
        elif running is not None and len(running) == 1 and f.ndim == 1:
            # column @ column is an inner product: (A @ x).T @ y, not A @ x @ y, in which
            # the parser would read x @ ... as a vector times what follows
            chain[:] = _factors(transpose(matmul(*chain)), coeff_factors)
            chain.extend(f.args if f.op == "matmul" else [f])
        elif f.op == "matmul":
            chain.extend(f.args)
        else:
            chain.append(f)
        running = f.shape if running is None else _product_shape(running, f.shape)
    if any(is_zero(f) for f in chain):
        return zeros(shape)
    chain = _cancel_inverses([f for f in chain if f.op != "eye"])
    while True:  # diag(1/y) @ diag(y) merges to eye(n), which goes, and so on
        shorter = _cancel_inverses([f for f in _merge_diagonals(chain) if f.op != "eye"])
        if len(shorter) == len(chain):
            break
        chain = shorter
    if not chain:  # a product of identities
        core = eye(shape[0])
    else:
        chain = _canonical_vector_chain(chain)
        pieces, rest = _scalar_pieces(chain)
        if pieces:  # r @ (u @ x.T) is (r @ u) * x.T: a row times a column is a scalar
            return mul(*coeff_factors, *(matmul(*p) for p in pieces), matmul(*rest))
        core = chain[0] if len(chain) == 1 else make("matmul", tuple(chain), (), shape)
    if coeff_factors:
        return mul(*coeff_factors, core)
    return core


def _factors(e: Expr, coeff_factors: list[Expr]) -> list[Expr]:
    """The factors of a product ``e`` for a chain; its scalar factors go to ``coeff_factors``."""
    if e.op == "mul" and e.shape and any(not g.shape for g in e.args):
        coeff_factors.extend(g for g in e.args if not g.shape)
        e = mul(*(g for g in e.args if g.shape))
    return list(e.args) if e.op == "matmul" else [e]


def _scalar_pieces(chain: list[Expr]) -> tuple[list[list[Expr]], list[Expr]]:
    """The leading parts of a flattened chain whose product is a scalar, and the rest.

    Flattening r @ (u @ x.T) gives r @ u @ x.T, which is no product at all: the row
    times the column is a scalar, and a scalar cannot be matrix-multiplied.
    """
    pieces: list[list[Expr]] = []
    start, running = 0, None
    for i, f in enumerate(chain):
        running = f.shape if running is None else _product_shape(running, f.shape)
        if running == () and i < len(chain) - 1:
            pieces.append(chain[start:i + 1])
            start, running = i + 1, None
    return pieces, chain[start:]


def _product_shape(a: Shape, b: Shape) -> Shape:
    """The shape of a @ b for operands known to fit."""
    if len(a) == 1 and is_row(b) and a[0] != 1:
        return (a[0], b[1])
    if is_row(a) and len(b) == 1:
        return ()
    return a[:-1] + b[1:]


def _inverse_pair(a: Expr, b: Expr) -> bool:
    """Whether a @ b is the identity: X @ inv(X), inv(X) @ X, X.T @ inv(X).T, ..."""
    if a.op == "transpose" and b.op == "transpose":
        return _inverse_pair(b.args[0], a.args[0])
    return (b.op == "inv" and b.args[0] is a) or (a.op == "inv" and a.args[0] is b)


def _cancel_inverses(chain: list[Expr]) -> list[Expr]:
    out: list[Expr] = []
    for f in chain:
        if out and out[-1].ndim == 2 and f.ndim == 2 and _inverse_pair(out[-1], f):
            out.pop()
        else:
            out.append(f)
    return out


def _merge_diagonals(chain: list[Expr]) -> list[Expr]:
    """diag(a) @ diag(b) is diag(a * b)."""
    out: list[Expr] = []
    for f in chain:
        if out and f.op == "diag" and out[-1].op == "diag":
            out[-1] = diag(mul(out[-1].args[0], f.args[0]))
        else:
            out.append(f)
    return out


def _canonical_vector_chain(chain: list[Expr]) -> list[Expr]:
    """Chains never start with a column vector unless they form an outer product.

    ``x @ B`` (NumPy's vector-times-matrix) becomes ``B.T @ x``; ``x @ y`` becomes
    ``x.T @ y``, so each product has one spelling.
    """
    if len(chain) < 2 or chain[0].ndim != 1:
        return chain
    # x @ M1 @ ... @ Mk is a column; what follows it (if anything) is a column y (an
    # inner product) or a row y.T (an outer product), then perhaps more factors
    length, k = chain[0].shape[0], 1
    while k < len(chain) and chain[k].ndim == 2 and not (is_row(chain[k].shape)
                                                         and length != 1):
        length, k = chain[k].shape[1], k + 1
    if k == len(chain):  # a column: Mk.T @ ... @ M1.T @ x
        return [transpose(m) for m in reversed(chain[1:])] + [chain[0]]
    if chain[k].ndim == 1:  # a scalar: x.T @ M1 @ ... @ Mk @ y
        return [transpose(chain[0]), *chain[1:]]
    # an outer product: (Mk.T @ ... @ M1.T @ x) @ y.T @ ...
    return [transpose(m) for m in reversed(chain[1:k])] + [chain[0]] + chain[k:]


def transpose(a: Expr) -> Expr:
    return _walk(_transpose, a, _transposes)


# transposes made before: X = (Y @ B + C).T nested a thousand deep stays linear, since
# transposing X reuses the transpose of Y.  Keys and values are weak: nothing is kept alive.
_transposes: weakref.WeakKeyDictionary[Expr, weakref.ref[Expr]] = weakref.WeakKeyDictionary()


def _transpose(a: Expr) -> Generator[Expr, Expr, Expr]:
    """Transpose pushed through products and sums (a step of :func:`_walk`)."""
    if a.ndim == 0:
        return a
    if a.ndim > 2:
        raise ShapeError(f"cannot transpose the tensor {describe(a)}: use einsum")
    op = a.op
    if op == "transpose":
        return a.args[0]
    if op == "var" and a.structure:
        return a
    if op in ("eye", "diag"):
        return a
    if op in ("zeros", "ones"):
        return make(op, (), (), _transposed_shape(a.shape))
    if a.ndim == 1 and op != "var":
        # a transposed column stays one node, (A @ x - y).T, rather than x.T @ A.T - y.T
        return make("transpose", (a,), (), _transposed_shape(a.shape))
    if op in ("matmul", "add", "mul"):
        operands = reversed(a.args) if op == "matmul" else a.args
        transposed = []
        for f in operands:
            transposed.append((yield f))
        return {"matmul": matmul, "add": add, "mul": mul}[op](*transposed)
    if op == "inv" and _is_symmetric(a.args[0]):
        return a
    if op in ("fn", "pow") and a.args[0].shape and (
            a.args[0].op == "transpose" or is_row(a.args[0].shape)):
        inner = yield a.args[0]
        return fn(a.attrs[0], inner) if op == "fn" else power(inner, a.args[1])
    return make("transpose", (a,), (), _transposed_shape(a.shape))


def _transposed_shape(shape: Shape) -> Shape:
    if len(shape) == 1:
        return (1, shape[0])
    if is_row(shape):
        return (shape[1],)
    return (shape[1], shape[0])


def _is_symmetric(e: Expr) -> bool:
    return _walk(_symmetric, e)


def _symmetric(e: Expr) -> Generator[Expr, bool, bool]:
    if e.op == "var":
        return bool(e.structure)
    if e.op in ("eye", "diag"):
        return True
    if e.op == "inv":
        return (yield e.args[0])
    if e.op == "matmul" and e.ndim == 2 and not is_row(e.shape):
        # a palindrome up to transposes: X.T @ X, X.T @ A @ X with A symmetric
        n = len(e.args)
        for k in range(n // 2):
            if transpose(e.args[n - 1 - k]) is not e.args[k]:
                return False
        return True if n % 2 == 0 else (yield e.args[n // 2])
    if e.op in ("add", "mul"):
        for t in e.args:
            if t.shape and not (yield t):
                return False
        return True
    return False


def _walk(step: Callable[[Expr], Generator[Expr, R, R]], root: Expr,
          cache: weakref.WeakKeyDictionary[Expr, weakref.ref[Any]] | None = None) -> R:
    """``step(root)`` for a recursive ``step`` written as a generator, without recursion.

    ``step`` yields an operand to get ``step`` of it back, so deep expressions need no
    Python stack; results are memoised, so each shared subexpression is visited once.
    ``cache`` (weak, for Expr results) keeps results from one call to the next.
    """
    memo: dict[int, tuple[Expr, R]] = {}  # id -> (node, result); the node keeps the id unique

    def known(e: Expr) -> tuple[bool, Any]:
        if id(e) in memo:
            return True, memo[id(e)][1]
        ref = cache.get(e) if cache is not None else None
        hit = ref() if ref is not None else None
        return hit is not None, hit

    done, value = known(root)
    if done:
        return value  # type: ignore[no-any-return]
    stack = [(root, step(root))]
    while stack:
        node, gen = stack[-1]
        try:
            child = gen.send(value)
        except StopIteration as stop:
            stack.pop()
            memo[id(node)] = (node, stop.value)
            if cache is not None:
                cache[node] = weakref.ref(stop.value)
            value = stop.value
            continue
        done, value = known(child)
        if not done:
            stack.append((child, step(child)))
            value = None
    return value  # type: ignore[no-any-return]


def is_symmetric(e: Expr) -> bool:
    """Whether ``e`` is known to be a symmetric matrix."""
    return e.ndim == 2 and _is_symmetric(e)


# ----------------------------------------------------------------------------------------
# functions


def fn(name: str, a: Expr) -> Expr:
    from matcalc.ops.elementwise import lookup

    if lookup(name) is None:
        raise ParseError(f"unknown function {name!r}")
    if name == "abs" and a.op == "fn" and a.attrs[0] in ("abs", "exp"):
        return a
    if name == "log" and a.op == "fn" and a.attrs[0] == "exp":
        return a.args[0]
    if name == "log" and a.op == "softmax":
        return sub(a.args[0], logsumexp(a.args[0]))
    if name in ("sign", "step") and a.op == "const":
        v = a.attrs[0]
        return const((v > 0) - (v < 0) if name == "sign" else int(v > 0))
    if a.op == "const":
        if a.attrs[0] == 0 and name in ("sin", "tan", "tanh", "sinh", "sqrt", "abs", "relu"):
            return a
        if a.attrs[0] == 0 and name in ("exp", "cos", "cosh"):
            return const(1)
        if a.attrs[0] == 1 and name in ("log",):
            return const(0)
        if a.attrs[0] == 1 and name in ("sqrt", "abs", "relu"):
            return a
    return make("fn", (a,), (name,), a.shape)


def _require(ok: bool, message: str | Callable[[], str], rank: int) -> None:
    # message may be a lambda: describing an operand prints it, which is too slow to do
    # for every node of a deep expression when nothing is wrong
    if not ok:
        raise ShapeError(message() if callable(message) else message, suspects=((0, rank),))


def sum_(a: Expr) -> Expr:
    if not a.shape:
        return a
    if is_zero(a):
        return const(0)
    scalars, rest = _pull_scalars(a)
    if scalars:
        return mul(*scalars, sum_(rest))
    if a.op == "transpose":
        return sum_(a.args[0])
    if a.op == "diagpart":
        return trace(a.args[0])
    return make("sum", (a,), (), ())


def norm(a: Expr) -> Expr:
    _require(a.ndim in (1, 2), lambda: f"norm needs a vector or a matrix, not {describe(a)}", 1)
    if a.op == "transpose":
        return norm(a.args[0])
    return make("norm", (a,), (), ())


def norm1(a: Expr) -> Expr:
    _require(a.ndim in (1, 2), lambda: f"norm1 needs a vector or a matrix, not {describe(a)}", 1)
    if a.op == "transpose":
        return norm1(a.args[0])
    return make("norm1", (a,), (), ())


def norminf(a: Expr) -> Expr:
    _require(a.ndim in (1, 2), lambda: f"norminf needs a vector or a matrix, not {describe(a)}", 1)
    if a.op == "transpose":
        return norminf(a.args[0])
    return make("norminf", (a,), (), ())


def _square(name: str, a: Expr) -> None:
    _require(a.ndim == 2, lambda: f"{name} needs a square matrix, not {describe(a)}", 2)
    if not dims_equal(a.shape[0], a.shape[1]):
        raise ShapeError(f"{name} needs a square matrix, but {describe(a)} is not square")


def trace(a: Expr) -> Expr:
    return _walk(_trace, a)


def _trace(a: Expr) -> Generator[Expr, Expr, Expr]:
    _square("tr", a)
    if a.op == "transpose":
        return (yield a.args[0])
    if a.op == "eye":
        return dim(a.shape[0])
    if a.op == "add":
        terms = []
        for t in a.args:
            terms.append((yield t) if t.shape else mul(t, dim(a.shape[0])))
        return add(*terms)
    if a.op == "mul" and a.args[0].op == "const":
        return scale(a.args[0].attrs[0], (yield mul(*a.args[1:])))
    if is_zero(a):
        return const(0)
    if a.op == "diag":
        return sum_(a.args[0])
    return make("tr", (a,), (), ())


def det(a: Expr) -> Expr:
    _square("det", a)
    if a.op == "transpose":
        return det(a.args[0])
    if a.op == "eye":
        return const(1)
    if a.op == "inv":
        return power(det(a.args[0]), const(-1))
    return make("det", (a,), (), ())


def logdet(a: Expr) -> Expr:
    _square("logdet", a)
    if a.op == "transpose":
        return logdet(a.args[0])
    if a.op == "eye":
        return const(0)
    return make("logdet", (a,), (), ())


def inv(a: Expr) -> Expr:
    _square("inv", a)
    if a.op == "inv":
        return a.args[0]
    if a.op == "eye":
        return a
    if a.op == "transpose":
        return transpose(inv(a.args[0]))
    if a.op == "mul" and a.args[0].op == "const" and len(a.args) == 2:
        return scale(Fraction(1) / a.args[0].attrs[0], inv(a.args[1]))
    if a.op == "diag":
        return diag(power(a.args[0], const(-1)))
    return make("inv", (a,), (), a.shape)


def diag(a: Expr) -> Expr:
    """diag(vector) is a diagonal matrix; diag(square matrix) its diagonal."""
    if a.ndim == 1:
        if a.op == "ones":
            return eye(a.shape[0])
        if a.op == "zeros":
            return zeros((a.shape[0], a.shape[0]))
        if a.op == "diagpart" and a.args[0].op == "diag":
            return a.args[0]
        return make("diag", (a,), (), (a.shape[0], a.shape[0]))
    _require(a.ndim == 2, lambda: f"diag needs a vector or a square matrix, not {describe(a)}", 1)
    if not dims_equal(a.shape[0], a.shape[1]):
        raise ShapeError(f"diag of a matrix needs a square matrix, but {describe(a)} is not")
    if a.op == "diag":
        return a.args[0]
    if a.op == "eye":
        return ones((a.shape[0],))
    if a.op == "transpose":
        return diag(a.args[0])
    if a.op == "zeros":
        return zeros((a.shape[0],))
    if a.op == "matmul" and len(a.args) == 2 and a.args[0].ndim == 1 and is_row(a.args[1].shape):
        return mul(a.args[0], transpose(a.args[1]))  # diag(u @ v.T) = u * v
    return make("diagpart", (a,), (), (a.shape[0],))


def softmax(a: Expr) -> Expr:
    _require(a.ndim == 1, lambda: f"softmax needs a vector, not {describe(a)}", 1)
    return make("softmax", (a,), (), a.shape)


def logsumexp(a: Expr) -> Expr:
    _require(a.ndim == 1, lambda: f"logsumexp needs a vector, not {describe(a)}", 1)
    return make("logsumexp", (a,), (), ())


def ismax(a: Expr) -> Expr:
    _require(a.ndim in (1, 2), lambda: f"ismax needs a vector or a matrix, not {describe(a)}", 1)
    return make("ismax", (a,), (), a.shape)


def kron(a: Expr, b: Expr) -> Expr:
    if a.ndim != b.ndim or a.ndim not in (1, 2):
        raise ShapeError(f"kron needs two vectors or two matrices, not {describe(a)} and "
                         f"{describe(b)}", suspects=((0, b.ndim),) if b.ndim else ())
    shape = tuple(product_dim((x, y)) for x, y in zip(a.shape, b.shape, strict=True))
    return make("kron", (a, b), (), shape)


def _pull_scalars(a: Expr) -> tuple[list[Expr], Expr]:
    """Scalar factors of a product, and the rest (for linear operators)."""
    if a.op == "mul" and a.shape and any(not f.shape for f in a.args):
        return [f for f in a.args if not f.shape], mul(*(f for f in a.args if f.shape))
    return [], a


def vec(a: Expr) -> Expr:
    _require(a.ndim in (1, 2), lambda: f"vec needs a vector or a matrix, not {describe(a)}", 2)
    scalars, a = _pull_scalars(a)
    if scalars:
        return mul(*scalars, vec(a))
    if a.op == "unvec":
        return a.args[0]
    if a.ndim == 1:
        return a
    if is_row(a.shape):
        return transpose(a)
    return make("vec", (a,), (), (product_dim(a.shape),))


def dot(a: Expr, b: Expr) -> Expr:
    for i, e in enumerate((a, b)):
        if e.ndim != 1:
            raise ShapeError(f"dot needs two vectors, not {describe(e)}", suspects=((i, 1),))
    return matmul(transpose(a), b)


def outer(a: Expr, b: Expr) -> Expr:
    for i, e in enumerate((a, b)):
        if e.ndim != 1:
            raise ShapeError(f"outer needs two vectors, not {describe(e)}", suspects=((i, 1),))
    return matmul(a, transpose(b))


def _same_size(a: Shape, b: Shape) -> bool:
    """Whether two shapes have equally many entries (products compared factor by factor)."""
    def factors(shape: Shape) -> list[str]:
        out: list[str] = []
        number = 1
        for d in shape:
            for f in str(d).split("*"):
                if f.isdigit():
                    number *= int(f)
                else:
                    out.append(f)
        return sorted(out) + ([str(number)] if number != 1 else [])
    return factors(a) == factors(b)


def reshape(a: Expr, shape: Shape) -> Expr:
    """NumPy's reshape (row-major order) to ``shape``."""
    shape = tuple(shape)
    if not _same_size(a.shape, shape):
        raise ShapeError(f"cannot reshape {describe(a)} to {format_shape(shape)}: "
                         "the number of entries differs")
    if shape == a.shape:
        return a
    scalars, rest = _pull_scalars(a)
    if scalars:
        return mul(*scalars, reshape(rest, shape))
    if a.op == "reshape":
        return reshape(a.args[0], shape)
    if is_zero(a):
        return zeros(shape)
    if a.op == "ones":
        return ones(shape)
    return make("reshape", (a,), (), shape)


def unvec(v: Expr, rows: Dim, cols: Dim) -> Expr:
    """The inverse of vec: a column-stacked vector back to a rows×cols matrix."""
    _require(v.ndim == 1, lambda: f"unvec needs a vector, not {describe(v)}", 1)
    scalars, v = _pull_scalars(v)
    if scalars:
        return mul(*scalars, unvec(v, rows, cols))
    if v.op == "vec" and v.args[0].shape == (rows, cols):
        return v.args[0]
    return make("unvec", (v,), (), (rows, cols))
