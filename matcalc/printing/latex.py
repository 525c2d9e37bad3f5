"""The LaTeX form: standard matrix-calculus notation, accepted by TeX and KaTeX.

A visitor with one ``_print_<op>`` method per operator, built like
:mod:`matcalc.printing.text`: nodes are printed bottom-up over the DAG with an
explicit stack, each method gets its operands' printed :class:`Piece` s, and
every parenthesis comes from :meth:`LatexPrinter.paren` over the precedence
table of :mod:`matcalc.printing.precedence`.

Notation (SPEC section 7): juxtaposition ``A x`` for matrix products,
``\\odot`` for elementwise products, ``^{\\top}``, ``^{-1}``, ``\\operatorname{tr}``,
``\\det``, ``\\otimes``; elementwise powers of matrices are Hadamard powers
``X^{\\circ 2}`` so that they do not read as matrix powers.  Tensors of order 3
and more (``einsum`` nodes) are written in index notation as in the Ricci
calculus, with explicit ``\\sum`` over contracted indices and Kronecker deltas
for identities.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from matcalc.algebra.contraction import LETTERS, parse_spec
from matcalc.core.dims import Dim, Shape
from matcalc.core.expr import Expr, Number, postorder
from matcalc.ops.record import function as lookup
from matcalc.printing.numbers import finite_decimal, format_number
from matcalc.printing.precedence import ADD, ATOM, MUL, POSTFIX, POW, UNARY

# An explicit sum ``\sum_{j} a_{j} b_{j}`` reaches as far right as it can: it binds
# more loosely than ``+``, so it is parenthesised everywhere except at the top.
SUMMATION = ADD - 1


@dataclass(frozen=True)
class Indexed:
    """An entry of a tensor in index notation: ``\\sum_{summed}`` of a product of factors.

    Each factor is ``(base, letters, bracketed)``: printed ``base_{letters}``, or
    ``\\left[base\\right]_{letters}`` when ``base`` is compound or already has a
    subscript; a factor without letters is a scalar.
    """

    out: str
    summed: tuple[str, ...]
    factors: tuple[tuple[str, str, bool], ...]

    def body(self) -> str:
        words = []
        for base, letters, bracketed in self.factors:
            if not letters:
                words.append(base)
            elif bracketed:
                words.append(rf"\left[{base}\right]_{{{letters}}}")
            else:
                words.append(f"{base}_{{{letters}}}")
        text = _juxtapose(words)
        if self.summed:
            text = rf"\sum_{{{','.join(self.summed)}}} {text}"
        return text


@dataclass(frozen=True)
class Piece:
    text: str
    prec: int
    node: Expr
    sup: bool = False  # ends in a superscript: another ^ would be a double superscript
    index: Indexed | None = None  # einsum nodes: their entries in index notation


def to_latex(e: Expr, *, bold: bool = False) -> str:
    """``e`` in LaTeX; ``bold=True`` sets vectors and matrices in bold."""
    return LatexPrinter(bold=bold).print(e)


class LatexPrinter:
    """Prints each node from the pieces of its operands."""

    def __init__(self, bold: bool = False) -> None:
        self.bold = bold
        self.done: dict[int, Piece] = {}
        self.keep: list[Expr] = []  # nodes made while printing stay alive (ids stay unique)

    def print(self, root: Expr) -> str:
        return self.piece(root).text

    def piece(self, root: Expr) -> Piece:
        """The printed piece of ``root``, reusing pieces printed before."""
        done = self.done
        if id(root) in done:
            return done[id(root)]
        self.keep.append(root)
        for node in postorder(root, known=done):
            method = getattr(self, f"_print_{node.op}", None)
            if method is None:
                raise TypeError(f"no LaTeX form for {node.op}")
            done[id(node)] = method(node, [done[id(a)] for a in node.args])
        return done[id(root)]

    @staticmethod
    def paren(p: Piece, level: int, strict: bool = False, script: bool = False) -> str:
        """``p``'s text, in parentheses if it binds less tightly than ``level``.

        ``strict``: also at equal binding; ``script``: also if ``p`` ends in a
        superscript (it is about to get another one).
        """
        if p.prec < level or (strict and p.prec == level) or (script and p.sup):
            return rf"\left({p.text}\right)"
        return p.text

    # -- leaves -----------------------------------------------------------------------
    def _print_const(self, e: Expr, _: list[Piece]) -> Piece:
        v: Number = e.attrs[0]
        text, prec, sup = number_latex(-v if v < 0 else v)
        if v < 0:
            return Piece(f"-{text}", min(prec, UNARY), e, sup)
        return Piece(text, prec, e, sup)

    def _print_var(self, e: Expr, _: list[Piece]) -> Piece:
        text, _sub = latex_name(e.attrs[0], bold=self.bold and e.ndim > 0)
        return Piece(text, ATOM, e)

    def _print_dim(self, e: Expr, _: list[Piece]) -> Piece:
        d = e.attrs[0]
        return Piece(dim_latex(d), MUL if isinstance(d, str) and "*" in d else ATOM, e)

    def _print_zeros(self, e: Expr, _: list[Piece]) -> Piece:
        return _constant_array(r"\mathbf{0}", e)

    def _print_ones(self, e: Expr, _: list[Piece]) -> Piece:
        return _constant_array(r"\mathbf{1}", e)

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
                denom.append(self.piece(_reciprocal_power(a)))
            else:
                numer.append(p)
        if negate:
            coeff = -coeff
        sign = "-" if coeff < 0 else ""
        c = abs(Fraction(coeff))
        if denom:
            top = bottom = None
            if c != 1:
                if c.denominator == 1 or _decimal_style(c):
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
                text = _juxtapose([text, word])
        return text or ""

    def _print_pow(self, e: Expr, args: list[Piece]) -> Piece:
        base, exponent = args
        power = e.args[1]
        if _hadamard_power(e.args[0]):
            text = rf"{self.paren(base, POSTFIX, script=True)}^{{\circ {exponent.text}}}"
            return Piece(text, POW, e, sup=True)
        if power.op == "const" and power.attrs[0] < 0:
            inv = self.piece(_reciprocal_power(e))
            return Piece(rf"\frac{{1}}{{{inv.text}}}", MUL, e)
        if power.op == "const" and power.attrs[0] == Fraction(1, 2):
            return Piece(rf"\sqrt{{{base.text}}}", ATOM, e)
        text = f"{self.paren(base, POSTFIX, script=True)}^{{{exponent.text}}}"
        return Piece(text, POW, e, sup=True)

    def _print_matmul(self, e: Expr, args: list[Piece]) -> Piece:
        return Piece(_juxtapose([self.paren(p, UNARY, strict=True) for p in args]), MUL, e)

    def _print_transpose(self, e: Expr, args: list[Piece]) -> Piece:
        inner = e.args[0]
        if inner.op == "inv":  # (X^{-1})^T is written X^{-T}
            base = self.piece(inner.args[0])
            return Piece(rf"{self.paren(base, POSTFIX, script=True)}^{{-\top}}", POSTFIX, e,
                         sup=True)
        return Piece(rf"{self.paren(args[0], POSTFIX, script=True)}^{{\top}}", POSTFIX, e,
                     sup=True)

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

    def _print_sum(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{sum}", e, args[0])

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

    def _print_tr(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{tr}", e, args[0])

    def _print_det(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\det", e, args[0])

    def _print_logdet(self, e: Expr, args: list[Piece]) -> Piece:
        # logdet is log|det X| (SPEC section 2); the bars are dropped only where det X > 0
        if e.args[0].op == "var" and e.args[0].structure == "spd":
            return self._call(r"\log\det", e, args[0])
        return Piece(rf"\log\left|\det\left({args[0].text}\right)\right|", ATOM, e)

    def _print_diag(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{diag}", e, args[0])

    def _print_diagpart(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{diag}", e, args[0])

    def _print_softmax(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{softmax}", e, args[0])

    def _print_logsumexp(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{logsumexp}", e, args[0])

    def _print_ismax(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{ismax}", e, args[0])

    def _print_vec(self, e: Expr, args: list[Piece]) -> Piece:
        return self._call(r"\operatorname{vec}", e, args[0])

    def _print_reshape(self, e: Expr, args: list[Piece]) -> Piece:
        size = r" \times ".join(dim_latex(d) for d in e.shape)
        return self._call(rf"\operatorname{{reshape}}_{{{size}}}", e, args[0])

    def _print_unvec(self, e: Expr, args: list[Piece]) -> Piece:
        size = rf"{dim_latex(e.shape[0])} \times {dim_latex(e.shape[1])}"
        return self._call(rf"\operatorname{{unvec}}_{{{size}}}", e, args[0])

    # -- tensors ------------------------------------------------------------------------
    def _print_einsum(self, e: Expr, args: list[Piece]) -> Piece:
        """``\\left[\\sum_{j} A_{ij} B_{jk}\\right]_{ik}``: the tensor whose ``ik`` entry is ...

        Contracted indices are summed explicitly rather than by Einstein's
        convention, so that a repeated index inside one factor (``A_{ii}``, a
        Kronecker delta ``\\delta_{ij}``) cannot be misread.  Nested contractions
        are inlined with their inner indices renamed.
        """
        terms, out = parse_spec(e.attrs[0], e.args)
        used = set("".join(terms))
        summed = [ch for ch in dict.fromkeys("".join(terms)) if ch not in out]
        factors: list[tuple[str, str, bool]] = []
        for node, p, letters in zip(e.args, args, terms, strict=True):
            if p.index is not None:
                rename = dict(zip(p.index.out, letters, strict=True))
                for ch in p.index.summed:
                    fresh = next(x for x in LETTERS if x not in used)
                    used.add(fresh)
                    rename[ch] = fresh
                    summed.append(fresh)
                factors.extend((base, "".join(rename[ch] for ch in idx), bracketed)
                               for base, idx, bracketed in p.index.factors)
            else:
                factors.append(self._entry(node, p, letters))
        index = Indexed(out, tuple(summed), tuple(factors))
        body = index.body()
        if out:
            return Piece(rf"\left[{body}\right]_{{{out}}}", ATOM, e, index=index)
        if summed:
            return Piece(body, SUMMATION, e, index=index)
        return Piece(body, MUL if len(factors) > 1 else ATOM, e, index=index)

    def _entry(self, node: Expr, p: Piece, letters: str) -> tuple[str, str, bool]:
        """One operand of a contraction as a factor of index notation."""
        if node.op == "transpose" and node.ndim == 2 and node.args[0].ndim == 2:
            node, letters = node.args[0], letters[::-1]  # [A^T]_{ij} = A_{ji}
            p = self.piece(node)
        if not letters:
            return self.paren(p, UNARY, strict=True), "", False
        if node.op == "eye":
            return r"\delta", letters, False
        if node.op == "var":  # an entry is a scalar: never bold
            text, subscripted = latex_name(node.name)
            return text, letters, subscripted
        return p.text, letters, True


# ----------------------------------------------------------------------------------------
# derivatives and shapes


def derivative_latex(f: Expr, x_name: str, result: Expr, *, f_ndim: int | None = None,
                     order: int = 1, bold: bool = False) -> str:
    """``\\frac{\\partial f}{\\partial x} = result \\in \\mathbb{R}^{...}``.

    ``f`` is the function differentiated, ``result`` its ``order``-th
    derivative by ``x_name``.  The shape groups the function's dimensions (the
    first ``f_ndim``; by default those of ``f`` and of the lower derivatives)
    apart from the variable's: ``m \\times (p \\times q)`` for a vector by a matrix.
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
    if f.op == "var":
        lhs = rf"\frac{{{d} {fp.text}}}{{{wrt}}}"
    else:
        lhs = rf"\frac{{{d}}}{{{wrt}}} {printer.paren(fp, POW)}"
    return rf"{lhs} = {printer.print(result)} \in {shape_latex(result.shape, f_ndim)}"


def shape_latex(shape: Shape, split: int | None = None) -> str:
    """``\\mathbb{R}^{m \\times n}``; with ``split``, ``m \\times (p \\times q)`` for order ≥ 3.

    The first ``split`` dimensions (the function's) and the rest (the
    variable's) are grouped apart; a group of one dimension needs no parentheses.
    """
    if not shape:
        return r"\mathbb{R}"
    dims = [dim_latex(d) for d in shape]
    if split is None or len(shape) < 3 or not 0 < split < len(shape):
        body = r" \times ".join(dims)
    else:
        groups = [dims[:split], dims[split:]]
        body = r" \times ".join(g[0] if len(g) == 1 else "(" + r" \times ".join(g) + ")"
                                for g in groups)
    return rf"\mathbb{{R}}^{{{body}}}"


def dim_latex(d: Dim) -> str:
    """A dimension: ``n``, ``3``, or a product ``m*p`` as ``m p``."""
    if isinstance(d, int):
        return str(d)
    return " ".join(f if f.isdigit() else latex_name(f)[0] for f in d.split("*"))


# ----------------------------------------------------------------------------------------
# numbers


def number_latex(v: Number) -> tuple[str, int, bool]:
    """A non-negative number: text, precedence, whether it ends in a superscript.

    Integers as they are; fractions whose denominator is a power of ten (typed
    as decimals) or over 1000 as decimals, ``1e-12`` as ``10^{-12}``; others as
    ``\\frac{p}{q}``.
    """
    if isinstance(v, int) or v.denominator == 1:
        return str(int(v)), ATOM, False
    if not _decimal_style(v):
        return rf"\frac{{{v.numerator}}}{{{v.denominator}}}", MUL, False
    text = format_number(v)
    if "e" not in text:
        return text, ATOM, False
    mantissa, exponent = text.split("e")
    if mantissa == "1":
        return f"10^{{{exponent}}}", POW, True
    return rf"{mantissa} \cdot 10^{{{exponent}}}", MUL, True


def _decimal_style(v: Fraction) -> bool:
    """Written as a decimal: a power of ten below (``0.1``) or a long ``\\frac`` (``1.5e-12``)."""
    q = v.denominator
    while q % 10 == 0:
        q //= 10
    return q == 1 or (v.denominator > 1000 and finite_decimal(v))


# ----------------------------------------------------------------------------------------
# names


GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
    "nu xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split())

UNICODE_GREEK = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ϑ": r"\vartheta",
    "ι": r"\iota", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi",
    "ο": "o", "π": r"\pi", "ϖ": r"\varpi", "ρ": r"\rho", "ϱ": r"\varrho", "σ": r"\sigma",
    "ς": r"\varsigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\varphi", "ϕ": r"\phi",
    "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Α": r"\mathrm{A}", "Β": r"\mathrm{B}", "Γ": r"\Gamma", "Δ": r"\Delta",
    "Ε": r"\mathrm{E}", "Ζ": r"\mathrm{Z}", "Η": r"\mathrm{H}", "Θ": r"\Theta",
    "Ι": r"\mathrm{I}", "Κ": r"\mathrm{K}", "Λ": r"\Lambda", "Μ": r"\mathrm{M}",
    "Ν": r"\mathrm{N}", "Ξ": r"\Xi", "Ο": r"\mathrm{O}", "Π": r"\Pi", "Ρ": r"\mathrm{P}",
    "Σ": r"\Sigma", "Τ": r"\mathrm{T}", "Υ": r"\Upsilon", "Φ": r"\Phi", "Χ": r"\mathrm{X}",
    "Ψ": r"\Psi", "Ω": r"\Omega",
}

_DIGIT_SUFFIX = re.compile(r"(\D+?)(\d+)")


def latex_name(name: str, bold: bool = False) -> tuple[str, bool]:
    """A variable or dimension name in LaTeX, and whether it carries a subscript.

    ``theta`` → ``\\theta``, ``θ`` → ``\\theta``, ``W1`` and ``W_1`` → ``W_{1}``,
    ``beta2`` → ``\\beta_{2}``, ``sigma_max`` → ``\\sigma_{\\mathrm{max}}``, other
    multi-letter names upright: ``\\mathrm{loss}``.  ``bold`` sets the symbol
    (not the subscript) in bold: ``\\mathbf{x}``, ``\\boldsymbol{\\theta}``.
    """
    head, _, tail = name.partition("_")
    if head and tail:
        sub = tail if tail.isdigit() else _symbol(tail, False)
        return f"{_symbol(head, bold)}_{{{sub}}}", True
    m = _DIGIT_SUFFIX.fullmatch(name)
    if m and "_" not in m[1]:
        return f"{_symbol(m[1], bold)}_{{{m[2]}}}", True
    return _symbol(name, bold), False


def _symbol(s: str, bold: bool) -> str:
    """One symbol without subscript: a letter, a Greek letter, or an upright word."""
    if s in GREEK or (len(s) == 1 and s in UNICODE_GREEK):
        command = "\\" + s if s in GREEK else UNICODE_GREEK[s]
        if not bold:
            return command
        return rf"\mathbf{{{command[8:-1]}}}" if command.startswith(r"\mathrm") else \
            rf"\boldsymbol{{{command}}}"
    if len(s) == 1 and s.isascii():
        return rf"\mathbf{{{s}}}" if bold else s
    # a word: ASCII runs upright, Greek letters as commands, anything else as text
    parts: list[str] = []
    for run in re.findall(r"[A-Za-z0-9_]+|.", s):
        if run.isascii():
            parts.append(run.replace("_", r"\_"))
        elif run in UNICODE_GREEK:
            parts.append(f"{{{UNICODE_GREEK[run]}}}")
        else:
            parts.append(rf"\text{{{run}}}")
    font = r"\mathbf" if bold else r"\mathrm"
    return f"{font}{{{''.join(parts)}}}"


# ----------------------------------------------------------------------------------------
# helpers


def _juxtapose(words: Sequence[str]) -> str:
    """Words side by side; ``\\cdot`` where a number would run into the one before."""
    text = ""
    for w in words:
        if not text:
            text = w
        elif w[:1].isdigit():
            text += rf" \cdot {w}"
        else:
            text += f" {w}"
    return text


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
    return (e.op == "pow" and e.args[1].op == "const" and e.args[1].attrs[0] < 0
            and not _hadamard_power(e.args[0]))


def _reciprocal_power(e: Expr) -> Expr:
    from matcalc.ops.construct import const, power

    return power(e.args[0], const(-e.args[1].attrs[0]))
