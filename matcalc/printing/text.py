"""The text form: the expression language of SPEC section 2, read back by the parser.

A visitor with one ``_print_<op>`` method per operator.  Nodes are printed
bottom-up over the DAG with an explicit stack; each method gets its operands'
already printed :class:`Piece` s and wraps them through :meth:`paren`, the
only place parentheses come from.  The operators written as a plain call are
named by their records (``Op.text``); the methods are the irregular forms.  The printer only
reads nodes, it never builds one.  ``parse(to_text(e)) == e`` for every
expression (numbers are printed exactly).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from matcalc.core.dims import Shape
from matcalc.core.expr import Expr, Number, postorder
from matcalc.core.names import given_names
from matcalc.ops.record import Op
from matcalc.printing.numbers import finite_decimal, format_number
from matcalc.printing.precedence import ADD, ATOM, MUL, POSTFIX, POW, UNARY
from matcalc.printing.visitor import Visitor


@dataclass(frozen=True)
class Piece:
    text: str
    prec: int
    node: Expr


def to_text(e: Expr, dims: Iterable[str] = (), names: Mapping[str, Expr] | None = None,
            where: bool = True) -> str:
    """``e`` in the language of SPEC section 2.

    A size (``n``) prints by name when a shape in the text names it, or when it is
    among ``dims`` (the sizes of a larger expression ``e`` is part of); otherwise as
    ``tr(eye(n))``, which reads back as the size rather than as a variable.
    Subexpressions the user named (``names``; by default those given where ``e``
    was parsed or derived from) and long shared ones are printed by name, defined
    in a ``where`` clause: ``h * (1 - h) where h = sigmoid(A @ x)``.  With
    ``where=False`` (a line of a derivation, whose names are defined once, above
    it) only ``names`` are used, and no clause is written.
    """
    if not where:
        printer = TextPrinter(dims)
        printer.print(e, names or {}, generate=False)
        return printer.piece(e).text
    return TextPrinter(dims).print(e, names)


def dims_in_shapes(root: Expr) -> frozenset[str]:
    """The dimension names the text of ``root`` declares through shapes it prints."""
    found: set[str] = set()
    for node in postorder(root):
        if node.op in ("var", "ones", "zeros", "eye"):
            for d in node.shape:
                found.update(str(d).split("*"))
    return frozenset(found)


class TextPrinter(Visitor[Piece]):
    """Prints each node from the pieces of its operands."""

    form = "text"

    def __init__(self, dims: Iterable[str] = ()) -> None:
        self.dims = frozenset(dims)
        self.carried: frozenset[str] = self.dims
        super().__init__()

    def print(self, root: Expr, names: Mapping[str, Expr] | None = None,
              generate: bool | None = None) -> str:
        """``root``, with a ``where`` clause for its named parts.

        Parts are named when the user named them or, if the text written out in
        full would be longer than :data:`INLINE_MAX` (``generate=None``), when they
        are long and shared (see :class:`Visitor`); ``generate`` forces either.
        """
        given = given_names(root) if names is None else dict(names)
        self.carried = self.dims | dims_in_shapes(root)
        self.name_shared(root, given, generate=generate is not False)
        body = self.piece(root).text
        if generate is None and self.definitions and not self._repeats_long_part(given) and \
                _expanded_length(body, self.definitions, set(given)) <= INLINE_MAX:
            return TextPrinter(self.dims).print(root, given, generate=False)
        if not self.definitions:
            return body
        return body + " where " + ", ".join(f"{n} = {p.text}" for n, p in self.definitions)

    def _repeats_long_part(self, given: Mapping[str, Expr]) -> bool:
        """Whether a part of at least :data:`REPEATED_MIN` characters occurs twice: such a
        part is named even in a short result, so no reader compares two long copies."""
        return any(name not in given and self.uses[id(p.node)] >= 2
                   and len(p.text) >= REPEATED_MIN for name, p in self.definitions)

    def size(self, piece: Piece) -> int:
        return len(piece.text)

    def named(self, name: str, node: Expr) -> Piece:
        return Piece(name, ATOM, node)

    def call_form(self, record: Op) -> Callable[[Expr, list[Piece]], Piece] | None:
        name = record.text
        if name is None:
            return None
        options = record.options
        return lambda e, args: self._call(name, e, args, options)

    @staticmethod
    def paren(p: Piece, level: int, strict: bool = False) -> str:
        """``p``'s text, in parentheses if it binds less tightly than ``level``."""
        if p.prec < level or (strict and p.prec == level):
            return f"({p.text})"
        return p.text

    # -- leaves -----------------------------------------------------------------------
    def _print_const(self, e: Expr, _: list[Piece]) -> Piece:
        text, prec = _number(e.attrs[0])
        return Piece(text, prec, e)

    def _print_var(self, e: Expr, _: list[Piece]) -> Piece:
        return Piece(e.attrs[0], ATOM, e)

    def _print_dim(self, e: Expr, _: list[Piece]) -> Piece:
        name = str(e.attrs[0])
        if set(name.split("*")) <= self.carried:
            return Piece(name, ATOM, e)
        # a size that no shape in the text names would read back as a variable: spell
        # out where it comes from (the constructors fold tr(eye(n)) back to n)
        return Piece(f"tr(eye({name}))", ATOM, e)

    def _print_zeros(self, e: Expr, _: list[Piece]) -> Piece:
        return Piece(f"zeros({', '.join(map(str, e.shape))})", ATOM, e)

    def _print_ones(self, e: Expr, _: list[Piece]) -> Piece:
        return Piece(f"ones({', '.join(map(str, e.shape))})", ATOM, e)

    def _print_eye(self, e: Expr, _: list[Piece]) -> Piece:
        return Piece(f"eye({e.shape[0]})", ATOM, e)

    def _print_commutation(self, e: Expr, _: list[Piece]) -> Piece:
        return Piece(f"commutation({e.attrs[0]}, {e.attrs[1]})", ATOM, e)

    # -- arithmetic ---------------------------------------------------------------------
    def _print_add(self, e: Expr, args: list[Piece]) -> Piece:
        args = self._bare(e, args)
        parts = [self.paren(args[0], ADD)]
        for p in args[1:]:
            negative, positive = self._split_sign(p)
            if negative:
                parts.append(f" - {positive}")
            else:
                parts.append(f" + {self.paren(p, ADD, strict=True)}")
        return Piece("".join(parts), ADD, e)

    def _split_sign(self, p: Piece) -> tuple[bool, str]:
        """Whether a printed term is negative, and its text without the sign."""
        node = p.node
        if id(node) in self.named_nodes:  # printed by its name: no sign to take out
            return False, p.text
        if node.op == "const" and node.attrs[0] < 0:
            return True, _number(-node.attrs[0])[0]
        if node.op == "mul" and node.args[0].op == "const" and node.args[0].attrs[0] < 0:
            text, prec = self._mul_text(node, negate=True)
            return True, f"({text})" if prec <= ADD else text
        return False, p.text

    def _print_mul(self, e: Expr, args: list[Piece]) -> Piece:
        text, prec = self._mul_text(e, negate=False, pieces=args)
        return Piece(text, prec, e)

    def _mul_text(self, e: Expr, negate: bool, pieces: list[Piece] | None = None
                  ) -> tuple[str, int]:
        if pieces is None:
            pieces = [self.piece(a) for a in e.args]
        pieces = self._bare(e, pieces)
        coeff: int | Fraction = 1
        numer: list[Piece] = []  # pieces whose node is ``e`` itself are numbers
        denom: list[Piece] = []
        for a, p in zip(e.args, pieces, strict=True):
            if a.op == "const":
                coeff = a.attrs[0]
            elif _is_reciprocal(a):
                denom.append(self._reciprocal(a))
            else:
                numer.append(p)
        if negate:
            coeff = -coeff
        sign = "-" if coeff < 0 else ""
        c = abs(Fraction(coeff))
        if c != 1:
            if finite_decimal(c):
                numer.insert(0, Piece(format_number(c if c.denominator != 1 else c.numerator),
                                      ATOM, e))
            else:
                if c.numerator != 1:
                    numer.insert(0, Piece(str(c.numerator), ATOM, e))
                denom.insert(0, Piece(str(c.denominator), ATOM, e))
        if not numer:
            numer.append(Piece("1", ATOM, e))
        texts: list[str] = []
        all_scalar = True
        for i, p in enumerate(numer):
            if i == 0:
                texts.append(self.paren(p, MUL))
            else:
                last = i == len(numer) - 1
                loose_ok = all_scalar and last and p.node.op == "matmul"
                texts.append(self.paren(p, MUL, strict=not loose_ok))
            all_scalar = all_scalar and (p.node is e or not p.node.shape)
        text = sign + " * ".join(texts)
        text += "".join(f" / {self.paren(d, MUL, strict=True)}" for d in denom)
        if sign and numer[0].node is not e and self._leads_with_sum(numer[0].node):
            # -(a + b) @ x would negate the sum alone, and read back as (-a - b) @ x
            return f"-({text[1:]})", UNARY
        if len(numer) == 1 and not denom:
            prec = min(numer[0].prec, UNARY) if sign else numer[0].prec
        else:
            prec = MUL
        return text, prec

    def _leads_with_sum(self, e: Expr) -> bool:
        """Whether the text of product ``e`` starts with a parenthesised sum."""
        while e.op == "matmul":
            if self._outer(e.args[0].shape, e.args[1]):
                return False  # outer(a + b, y): the sum is an argument
            e = e.args[0]
        return e.op == "add"

    def _outer(self, column: Shape, a: Expr) -> bool:
        """Whether factor ``a``, after a product of shape ``column``, is printed in outer()."""
        return (len(column) == 1 and a.op == "transpose" and a.args[0].ndim == 1
                and id(a) not in self.named_nodes)

    def _print_pow(self, e: Expr, args: list[Piece]) -> Piece:
        base, exponent = args
        if _is_reciprocal(e):
            return Piece(f"1 / {self.paren(self._reciprocal(e), MUL, True)}", MUL, e)
        return self._power(e, base, exponent)

    def _power(self, e: Expr, base: Piece, exponent: Piece) -> Piece:
        return Piece(f"{self.paren(base, POSTFIX)}^{self.paren(exponent, UNARY)}", POW, e)

    def _reciprocal(self, e: Expr) -> Piece:
        """``x^q`` for a power ``e = x^-q`` (q > 0), printed from ``e``'s operands.

        What the constructors would make of ``x^q``: ``x`` itself for ``q = 1``;
        otherwise the power, since a canonical ``x^-q`` has no foldable base.
        """
        base, q = e.args[0], -e.args[1].attrs[0]
        if q == 1:
            return self.piece(base)
        text, prec = _number(q)
        return self._power(e, self.piece(base), Piece(text, prec, e.args[1]))

    def _print_matmul(self, e: Expr, args: list[Piece]) -> Piece:
        """A chain of products; a column times a transposed vector is ``outer(x, y)``.

        ``x @ y.T`` reads back as the outer product, but NumPy's 1-D ``y.T`` is ``y``
        itself, so the parser warns about it: a result pasted back must not.  The
        column is the product so far (``outer(A @ x, y) @ B``).
        """
        # a leading elementwise product gets parentheses too: (a * b) @ B reads better
        text = self.paren(args[0], MUL, strict=e.args[0].op == "mul")
        shape = e.args[0].shape  # of the product so far
        alone = True  # the product so far is the first factor only
        for a, p in zip(e.args[1:], args[1:], strict=True):
            if self._outer(shape, a):
                column = args[0].text if alone else text
                text = f"outer({column}, {self.piece(a.args[0]).text})"
            else:
                text = f"{text} @ {self.paren(p, MUL, strict=True)}"
            shape, alone = _product_shape(shape, a.shape), False
        return Piece(text, MUL, e)

    def _print_transpose(self, e: Expr, args: list[Piece]) -> Piece:
        return Piece(f"{self.paren(args[0], POSTFIX)}.T", POSTFIX, e)

    def _print_pi(self, e: Expr, _: list[Piece]) -> Piece:
        return Piece("pi", ATOM, e)

    # -- broadcasting -------------------------------------------------------------------
    def _bare(self, e: Expr, pieces: list[Piece]) -> list[Piece]:
        """The operands of a sum or product, a vector broadcast over rows written bare.

        In ``X @ W + b`` the sum broadcasts ``b`` again when it is read back (its
        canonical form keeps an operand of the full shape beside a broadcast).
        """
        return [self.piece(a.args[0]) if a.op == "broadcast" else p
                for a, p in zip(e.args, pieces, strict=True)]

    def _print_broadcast(self, e: Expr, args: list[Piece]) -> Piece:
        # alone, a vector repeated over the rows reads back from a sum with zeros
        rows, cols = e.shape
        return Piece(f"zeros({rows}, {cols}) + {self.paren(args[0], ADD, strict=True)}", ADD, e)

    # -- functions ----------------------------------------------------------------------
    def _call(self, name: str, e: Expr, args: list[Piece], options: str = "") -> Piece:
        return Piece(f"{name}({', '.join(p.text for p in args)}{options})", ATOM, e)

    def _print_fn(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(e.attrs[0], e, args)

    def _print_einsum(self, e: Expr, args: list[Piece]) -> Piece:
        return Piece(f'einsum("{e.attrs[0]}", {", ".join(p.text for p in args)})', ATOM, e)

    def _print_reshape(self, e: Expr, args: list[Piece]) -> Piece:
        return Piece(f"reshape({args[0].text}, {', '.join(map(str, e.shape))})", ATOM, e)

    def _print_unvec(self, e: Expr, args: list[Piece]) -> Piece:
        return Piece(f"unvec({args[0].text}, {e.shape[0]}, {e.shape[1]})", ATOM, e)





INLINE_MAX = 100  # a result this short in full is printed in full: names only what it shares
REPEATED_MIN = 24  # ... unless it repeats a part this long (sigmoid(A2 @ tanh(A1 @ x)))


def names_needed(root: Expr) -> bool:
    """Whether ``root`` printed in full would be longer than :data:`INLINE_MAX`."""
    printer = TextPrinter()
    printer.print(root, {}, generate=True)
    body = printer.piece(root).text
    return _expanded_length(body, printer.definitions, set()) > INLINE_MAX


def _expanded_length(body: str, definitions: list[tuple[str, Piece]], keep: set[str]) -> int:
    """The length of ``body`` with every generated name (not in ``keep``) written out.

    Computed from the definitions' lengths, never by writing the text out (which
    may be exponentially long); capped, since only the comparison matters.
    """
    cap = 10 * INLINE_MAX
    full: dict[str, int] = {}
    generated = {n for n, _ in definitions} - keep

    def length(text: str) -> int:
        total = len(text)
        for word in _IDENTIFIER.findall(text):
            if word in generated:
                total += full.get(word, 0) - len(word)
        return min(total, cap)

    for name, piece in definitions:  # operands first: a definition uses earlier ones
        full[name] = length(piece.text) + 2  # parentheses, where it is written out
    return length(body)


_IDENTIFIER = re.compile(r"[^\W\d]\w*")


def _number(v: Number) -> tuple[str, int]:
    """A number's text and binding: ``2``, ``-0.5``, ``1 / 3`` (read back exactly)."""
    if isinstance(v, Fraction) and not finite_decimal(v):
        return f"{v.numerator} / {v.denominator}", MUL
    return format_number(v), UNARY if v < 0 else ATOM


def _product_shape(a: Shape, b: Shape) -> Shape:
    """The shape of ``a @ b`` for the factors of a chain (columns, rows and matrices)."""
    if len(a) == 1 and len(b) == 2 and b[0] == 1:
        return (a[0], b[1])  # column times row
    if len(a) == 1:
        return () if len(b) == 1 else (b[1],)
    if len(b) == 1:
        return () if a[0] == 1 else (a[0],)  # row times column: a scalar
    return (a[0], b[1])


def _is_reciprocal(e: Expr) -> bool:
    """A power with a negative constant exponent, printed ``1 / x^q``."""
    return e.op == "pow" and e.args[1].op == "const" and e.args[1].attrs[0] < 0
