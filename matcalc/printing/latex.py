"""The LaTeX form: standard matrix-calculus notation, accepted by TeX and KaTeX.

A visitor with one ``_print_<op>`` method per operator, built like
:mod:`matcalc.printing.text`: nodes are printed bottom-up over the DAG with an
explicit stack, each method gets its operands' printed :class:`Piece` s, and
every parenthesis comes from :meth:`LatexPrinter.paren` over the precedence
table of :mod:`matcalc.printing.precedence`.  The operators written as a plain
call are named by their records (``Op.latex``); the methods are the irregular forms.  Names,
numbers, pieces and index notation have modules of their own (``latex_*``).

Notation (SPEC section 7): juxtaposition ``A x`` for matrix products,
``\\odot`` for elementwise products, ``^{\\top}``, ``^{-1}``, ``\\operatorname{tr}``,
``\\det``, ``\\otimes``; elementwise powers of matrices are Hadamard powers
``X^{\\circ 2}`` so that they do not read as matrix powers.  Tensors of order 3
and more (``einsum`` nodes) are written in index notation as in the Ricci
calculus, with explicit ``\\sum`` over contracted indices and Kronecker deltas
for identities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from matcalc.core.expr import Expr, Number, derived_from, presented_form
from matcalc.core.names import given_names
from matcalc.ops.record import Op
from matcalc.ops.record import function as lookup
from matcalc.printing.latex_breaks import PAGE_WIDTH, equation_latex
from matcalc.printing.latex_names import dim_latex, latex_name, shape_latex
from matcalc.printing.latex_numbers import decimal_style, number_latex
from matcalc.printing.latex_pieces import Piece, juxtapose, paren
from matcalc.printing.latex_tensors import einsum_piece
from matcalc.printing.precedence import ADD, ATOM, MUL, POSTFIX, POW, UNARY
from matcalc.printing.text import names_needed
from matcalc.printing.visitor import Visitor

__all__ = ["LatexPrinter", "derivative_latex", "dim_latex", "display_latex", "latex_name",
           "number_latex", "shape_latex", "to_latex"]


def to_latex(e: Expr, *, bold: bool = False) -> str:
    """``e`` in LaTeX; ``bold=True`` sets vectors and matrices in bold."""
    return LatexPrinter(bold=bold).print(e)


class LatexPrinter(Visitor[Piece]):
    """Prints each node from the pieces of its operands."""

    form = "LaTeX"

    def __init__(self, bold: bool = False, directions: frozenset[str] = frozenset()) -> None:
        self.bold = bold
        self.directions = directions  # names of direction variables: dX prints as d X
        super().__init__()

    def print(self, root: Expr) -> str:
        """``root``, its long shared and user-named parts defined in a where block."""
        self.name_shared(root, given_names(root), generate=names_needed(root))
        body = self.piece(root).text
        if not self.definitions:
            return body
        defs = r",\ ".join(f"{latex_name(n)[0]} = {p.text}" for n, p in self.definitions)
        return rf"{body} \quad \text{{where }} {defs}"

    def size(self, piece: Piece) -> int:
        return len(piece.text)

    def named(self, name: str, node: Expr) -> Piece:
        return Piece(latex_name(name)[0], ATOM, node)

    def call_form(self, record: Op) -> Callable[[Expr, list[Piece]], Piece] | None:
        name = record.latex
        if name is None:
            return None
        return lambda e, args: self._call(name, e, args[0])

    paren = staticmethod(paren)  # the one place parentheses come from

    # -- leaves -----------------------------------------------------------------------
    def _print_const(self, e: Expr, _: list[Piece]) -> Piece:
        v: Number = e.attrs[0]
        text, prec, sup = number_latex(-v if v < 0 else v)
        if v < 0:
            return Piece(f"-{text}", min(prec, UNARY), e, sup)
        return Piece(text, prec, e, sup)

    def _print_var(self, e: Expr, _: list[Piece]) -> Piece:
        name = e.attrs[0]
        if name in self.directions:  # the differential's direction: \mathrm{d}X
            text, _sub = latex_name(name[1:], bold=self.bold and e.ndim > 0)
            return Piece(rf"\mathrm{{d}}{text}", ATOM, e)
        text, _sub = latex_name(name, bold=self.bold and e.ndim > 0)
        return Piece(text, ATOM, e)

    def _print_dim(self, e: Expr, _: list[Piece]) -> Piece:
        d = e.attrs[0]
        return Piece(dim_latex(d), MUL if isinstance(d, str) and "*" in d else ATOM, e)

    def _print_zeros(self, e: Expr, _: list[Piece]) -> Piece:
        return _constant_array(r"\mathbf{0}", e)

    def _print_ones(self, e: Expr, _: list[Piece]) -> Piece:
        return _constant_array(r"\mathbf{1}", e)

    def _print_commutation(self, e: Expr, _: list[Piece]) -> Piece:
        m, n = (dim_latex(d) for d in e.attrs)  # K_{mn} (Magnus & Neudecker)
        return Piece(f"K_{{{m} {n}}}", ATOM, e)

    def _print_eye(self, e: Expr, _: list[Piece]) -> Piece:
        symbol = r"\mathbf{I}" if self.bold else "I"
        return Piece(f"{symbol}_{{{dim_latex(e.shape[0])}}}", ATOM, e)

    # -- arithmetic ---------------------------------------------------------------------
    def _print_add(self, e: Expr, args: list[Piece]) -> Piece:
        parts = [self.paren(args[0], ADD)]
        for p in args[1:]:
            negative, positive = self._split_sign(p)
            if negative:
                parts.append(f" - {self.paren(positive, ADD, strict=True)}")
            else:
                parts.append(f" + {self.paren(p, ADD, strict=True)}")
        return Piece("".join(parts), ADD, e)

    def _split_sign(self, p: Piece) -> tuple[bool, Piece]:
        """Whether a printed term is negative, and the term without its sign."""
        node = p.node
        if id(node) in self.named_nodes:  # printed by its name: no sign to take out
            return False, p
        if node.op == "const" and node.attrs[0] < 0:
            text, prec, sup = number_latex(-node.attrs[0])
            return True, Piece(text, prec, node, sup)
        if node.op == "mul" and node.args[0].op == "const" and node.args[0].attrs[0] < 0:
            return True, self._mul_piece(node, [self.piece(a) for a in node.args], negate=True)
        return False, p

    def _print_mul(self, e: Expr, args: list[Piece]) -> Piece:
        return self._mul_piece(e, args, negate=False)

    def _mul_piece(self, e: Expr, pieces: list[Piece], negate: bool) -> Piece:
        """A product: coefficient, scalar factors, then arrays joined by ``\\odot``.

        Reciprocal powers of scalars and vectors become one ``\\frac``; those of
        matrices stay Hadamard powers ``X^{\\circ -1}``.
        """
        coeff: Number = 1
        numer: list[Piece] = []
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
        if denom:
            top = bottom = None
            if c != 1:
                if c.denominator == 1 or decimal_style(c):
                    top = number_latex(c)[0]
                else:
                    top = str(c.numerator) if c.numerator != 1 else None
                    bottom = str(c.denominator)
            numerator = self._product(numer, top) or "1"
            text = rf"{sign}\frac{{{numerator}}}{{{self._product(denom, bottom)}}}"
            return Piece(text, MUL, e)
        lead = number_latex(c)[0] if c != 1 else None
        if lead is None and len(numer) == 1:
            only = numer[0]
            if not sign:
                return Piece(only.text, only.prec, e, only.sup)
            return Piece(f"-{self.paren(only, MUL)}", min(only.prec, UNARY), e, only.sup)
        return Piece(sign + self._product(numer, lead), MUL, e)

    def _product(self, factors: Sequence[Piece], lead: str | None) -> str:
        """Factors after an optional numeric ``lead``: scalars juxtaposed, arrays ``\\odot``.

        A matrix product as the last factor after scalars only reads as one
        (``2 A x``); anywhere else it is parenthesised, like sums and signed terms.
        """
        if not factors:
            return lead or ""
        if lead is None and len(factors) == 1:
            return factors[0].text  # alone in a \frac's numerator or denominator
        arrays = [bool(p.node.shape) for p in factors]
        text: str | None = lead
        for i, p in enumerate(factors):
            loose = i == len(factors) - 1 and not any(arrays[:i]) and p.prec == MUL
            word = p.text if loose else self.paren(p, UNARY, strict=True)
            if text is None:
                text = word
            elif i > 0 and arrays[i - 1] and arrays[i]:
                text += rf" \odot {word}"
            else:
                text = juxtapose([text, word])
        return text or ""

    def _print_pow(self, e: Expr, args: list[Piece]) -> Piece:
        base, exponent = args
        power = e.args[1]
        if _hadamard_power(e.args[0]):
            text = rf"{self.paren(base, POSTFIX, script=True)}^{{\circ {exponent.text}}}"
            return Piece(text, POW, e, sup=True)
        if power.op == "const" and power.attrs[0] < 0:
            return Piece(rf"\frac{{1}}{{{self._reciprocal(e).text}}}", MUL, e)
        return self._power(e, base, exponent.text,
                           power.attrs[0] if power.op == "const" else None)

    def _power(self, e: Expr, base: Piece, exponent: str, value: Number | None) -> Piece:
        """A power of a scalar or vector: ``x^{p}``, and ``\\sqrt{x}`` for ``p = 1/2``."""
        p_norm = self._p_norm(e, value)
        if p_norm is not None:
            return p_norm
        if value == Fraction(1, 2):
            return Piece(rf"\sqrt{{{base.text}}}", ATOM, e)
        text = f"{self.paren(base, POSTFIX, script=True)}^{{{exponent}}}"
        return Piece(text, POW, e, sup=True)

    def _p_norm(self, e: Expr, value: Number | None) -> Piece | None:
        """``sum(abs(x)^p)^(q/p)``, how ``norm(x, p)`` is built, as ``||x||_p^q``."""
        base = e.args[0] if e.op == "pow" else None
        if value is None or base is None or base.op != "sum":
            return None
        inner = base.args[0]
        if not (inner.op == "pow" and inner.args[1].op == "const"
                and inner.args[0].op == "fn" and inner.args[0].attrs[0] == "abs"):
            return None
        p = inner.args[1].attrs[0]
        q = Fraction(value) * p
        x = self.piece(inner.args[0].args[0]).text
        text = rf"\left\| {x} \right\|_{{{number_latex(p)[0]}}}"
        if q == 1:
            return Piece(text, ATOM, e)
        return Piece(rf"{text}^{{{number_latex(q)[0]}}}", POW, e, sup=True)

    def _reciprocal(self, e: Expr) -> Piece:
        """``x^{q}`` for a power ``e = x^{-q}`` (q > 0), printed from ``e``'s operands.

        What the constructors would make of ``x^q``: ``x`` itself for ``q = 1``;
        otherwise the power, since a canonical ``x^{-q}`` has no foldable base.  The
        piece stands for a node of ``e``'s shape, which is what products look at.
        """
        base, q = e.args[0], -e.args[1].attrs[0]
        if q == 1:
            return self.piece(base)
        return self._power(e, self.piece(base), number_latex(q)[0], q)

    def _print_matmul(self, e: Expr, args: list[Piece]) -> Piece:
        return Piece(juxtapose([self.paren(p, UNARY, strict=True) for p in args]), MUL, e)

    def _print_transpose(self, e: Expr, args: list[Piece]) -> Piece:
        inner = e.args[0]
        if inner.op == "inv":  # (X^{-1})^T is written X^{-T}
            base = self.piece(inner.args[0])
            return Piece(rf"{self.paren(base, POSTFIX, script=True)}^{{-\top}}", POSTFIX, e,
                         sup=True)
        return Piece(rf"{self.paren(args[0], POSTFIX, script=True)}^{{\top}}", POSTFIX, e,
                     sup=True)

    def _print_pi(self, e: Expr, _: list[Piece]) -> Piece:
        return Piece(r"\pi", ATOM, e)

    def _print_broadcast(self, e: Expr, args: list[Piece]) -> Piece:
        # a vector repeated over the rows: the outer product 1 b^T of textbooks
        vector = self.paren(args[0], POSTFIX, script=True)
        return Piece(rf"\mathbf{{1}} {vector}^{{\top}}", MUL, e, sup=True)

    def _print_inv(self, e: Expr, args: list[Piece]) -> Piece:
        return Piece(f"{self.paren(args[0], POSTFIX, script=True)}^{{-1}}", POSTFIX, e,
                     sup=True)

    def _print_kron(self, e: Expr, args: list[Piece]) -> Piece:
        left, right = (self.paren(p, UNARY, strict=True) for p in args)
        return Piece(rf"{left} \otimes {right}", MUL, e)

    # -- functions ----------------------------------------------------------------------
    def _call(self, name: str, e: Expr, arg: Piece) -> Piece:
        return Piece(rf"{name}\left({arg.text}\right)", ATOM, e)

    def _print_fn(self, e: Expr, args: list[Piece]) -> Piece:
        entry = lookup(e.attrs[0])
        name = entry.latex if entry is not None else rf"\operatorname{{{e.attrs[0]}}}"
        if name == r"\sqrt":  # takes its argument in braces
            return Piece(rf"\sqrt{{{args[0].text}}}", ATOM, e)
        return self._call(name, e, args[0])

    def _norm(self, e: Expr, arg: Piece, subscript: str) -> Piece:
        if _is_matrix(e.args[0]) and subscript != "F":
            # entrywise norms of a matrix (numpy: sum / max of |x_ij|), not induced norms
            arg = self._call(r"\operatorname{vec}", e, arg)
        return Piece(rf"\left\| {arg.text} \right\|_{{{subscript}}}", ATOM, e)

    def _print_norm(self, e: Expr, args: list[Piece]) -> Piece:
        return self._norm(e, args[0], "F" if _is_matrix(e.args[0]) else "2")

    def _print_norm1(self, e: Expr, args: list[Piece]) -> Piece:
        return self._norm(e, args[0], "1")

    def _print_norminf(self, e: Expr, args: list[Piece]) -> Piece:
        return self._norm(e, args[0], r"\infty")

    def _print_logdet(self, e: Expr, args: list[Piece]) -> Piece:
        # logdet is log|det X| (SPEC section 2); the bars are dropped only where det X > 0
        if e.args[0].op == "var" and e.args[0].structure == "spd":
            return self._call(r"\log\det", e, args[0])
        return Piece(rf"\log\left|\det\left({args[0].text}\right)\right|", ATOM, e)

    def _print_reshape(self, e: Expr, args: list[Piece]) -> Piece:
        size = r" \times ".join(dim_latex(d) for d in e.shape)
        return self._call(rf"\operatorname{{reshape}}_{{{size}}}", e, args[0])

    def _print_unvec(self, e: Expr, args: list[Piece]) -> Piece:
        size = rf"{dim_latex(e.shape[0])} \times {dim_latex(e.shape[1])}"
        return self._call(rf"\operatorname{{unvec}}_{{{size}}}", e, args[0])

    # -- tensors ------------------------------------------------------------------------
    def _print_einsum(self, e: Expr, args: list[Piece]) -> Piece:
        return einsum_piece(e, args, self.piece)


# The operators printed as a call ``\name\left(a\right)``, and the LaTeX name of each;
# the methods above are the irregular forms.


# ----------------------------------------------------------------------------------------
# derivatives and shapes


def derivative_latex(f: Expr, x_name: str, result: Expr, *, f_ndim: int | None = None,
                     order: int = 1, bold: bool = False, name: str | None = None,
                     width: float | None = PAGE_WIDTH) -> str:
    """``\\frac{\\partial f}{\\partial x} = result \\in \\mathbb{R}^{...}``.

    ``f`` is the function differentiated, ``result`` its ``order``-th
    derivative by ``x_name``.  The shape groups the function's dimensions (the
    first ``f_ndim``; by default those of ``f`` and of the lower derivatives)
    apart from the variable's: ``m \\times (p \\times q)`` for a vector by a matrix.
    ``name`` writes the function by a name (``\\partial f``) instead of in full.  A
    result wider than ``width`` points breaks into lines at its outermost sums
    (:func:`matcalc.printing.latex_breaks.equation_latex`; ``None``: one line).
    """
    x = f.variables().get(x_name)
    x_ndim = x.ndim if x is not None else max(result.ndim - f.ndim, 0) // max(order, 1)
    if f_ndim is None:
        f_ndim = result.ndim - x_ndim
    printer = LatexPrinter(bold=bold)
    xs = latex_name(x_name, bold=bold and x_ndim > 0)[0]
    d = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
    wrt = rf"\partial {xs}" if order == 1 else rf"\partial {xs}^{{{order}}}"
    fp = printer.piece(f)
    if name is not None:
        lhs = rf"\frac{{{d} {latex_name(name)[0]}}}{{{wrt}}}"
    elif f.op == "var":
        lhs = rf"\frac{{{d} {fp.text}}}{{{wrt}}}"
    else:
        lhs = rf"\frac{{{d}}}{{{wrt}}} {printer.paren(fp, POW)}"
    return equation_latex(lhs, printer.print(result),
                          rf" \in {shape_latex(result.shape, f_ndim)}", width)


def display_latex(e: Expr, *, bold: bool = False) -> str:
    """What a notebook shows for ``e``: a derivative as ``\\frac{\\partial f}{\\partial x} = ...``.

    A result of :func:`matcalc.diff` knows what it is the derivative of
    (:func:`matcalc.core.expr.derived_from`); anything else is its bare LaTeX.
    """
    form = presented_form(e)
    if form is not None:  # a differential (dF = ...) or a vec Jacobian
        f, wrt, kind = form
        return form_latex(f, wrt, e, kind, bold=bold)
    origin = derived_from(e)
    if origin is None:
        return to_latex(e, bold=bold)
    f, wrt, order = origin
    # f by name, unless f is itself a derivative (by another variable): then in full
    name = "f" if derived_from(f) is None else None
    return derivative_latex(f, wrt, e, order=order, bold=bold, name=name)


def form_latex(f: Expr, x_name: str, result: Expr, form: str, *, bold: bool = False) -> str:
    r"""A derivative presented as a differential or a vec Jacobian (SPEC section 3).

    ``\mathrm{d}F = ...`` in the direction ``\mathrm{d}X``, or
    ``\frac{\partial \operatorname{vec} F}{\partial \operatorname{vec}(X)^{\top}} = ...``;
    ``F`` names the function, written out after the result.
    """
    printer = LatexPrinter(bold=bold, directions=frozenset({"d" + x_name}))
    x = f.variables().get(x_name)
    xs = latex_name(x_name, bold=bold and x is not None and x.ndim > 0)[0]
    fp = printer.piece(f)
    if form == "differential":
        lhs = r"\mathrm{d}F"
    else:
        lhs = rf"\frac{{\partial \operatorname{{vec}} F}}{{\partial \operatorname{{vec}}" \
              rf"({xs})^{{\top}}}}"
    return (rf"{lhs} = {printer.print(result)} \in {shape_latex(result.shape, None)}"
            rf", \quad F = {fp.text}")


# ----------------------------------------------------------------------------------------
# helpers


def _constant_array(symbol: str, e: Expr) -> Piece:
    """``\\mathbf{1}``; a row of them is ``\\mathbf{1}^{\\top}``."""
    if e.ndim == 2 and e.shape[0] == 1:
        return Piece(rf"{symbol}^{{\top}}", POSTFIX, e, sup=True)
    return Piece(symbol, ATOM, e)


def _is_matrix(e: Expr) -> bool:
    return e.ndim == 2 and e.shape[0] != 1


def _hadamard_power(base: Expr) -> bool:
    """Powers of matrices and tensors are elementwise: written ``X^{\\circ p}``."""
    return base.ndim >= 2 and base.shape[0] != 1



def _is_reciprocal(e: Expr) -> bool:
    """A power with a negative constant exponent, of a scalar or vector: a ``\\frac``."""
    return (e.op == "pow" and e.args[1].op == "const" and e.args[1].attrs[0] < 0
            and not _hadamard_power(e.args[0]))
