"""The expression renderer of generated code: one node's lowered plan as Python text.

A :class:`Renderer` knows the code of every node written so far (a name, or an
expression inlined into its user) and writes the next node from it: the
operator's template (its record's ``code``), sums and products with
the fewest parentheses, matrix chains along the schedule that the evaluator
runs too (:mod:`matcalc.numeric.schedule`), einsums along their lowering plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from fractions import Fraction

from matcalc.core.dims import Dim
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr
from matcalc.numeric.codegen.backend import Backend
from matcalc.numeric.codegen.helpers import RESERVED
from matcalc.numeric.codegen.syntax import (
    ADD,
    ATOM,
    COND,
    MUL,
    POW,
    UNARY,
    Code,
    number,
    paren,
    short_text,
)
from matcalc.numeric.lowering import ChainPlan, EinsumPlan, Lowering
from matcalc.numeric.schedule import Factor, Step, fold_schedule, left_first, step_ndim
from matcalc.ops.record import function as function_record
from matcalc.ops.record import op as op_record

Statements = Callable[[str], list[str]]  # the lines that compute a node into a name


class Renderer:
    def __init__(self, backend: Backend) -> None:
        self.b = backend
        self.code: dict[int, Code] = {}  # id -> (code, precedence) of each node written
        self.dims: dict[str, str] = {}  # dimension name -> the local holding its size
        self.helpers: set[str] = {"_array"}  # helper functions the module needs
        self.functions: dict[str, str] = {}  # a user's function written in: name -> source

    def dim(self, d: Dim) -> str:
        """Code for the size of dimension ``d``."""
        if isinstance(d, int):
            return str(d)
        parts = d.split("*")
        codes = [p if p.isdigit() else self.dims[p] for p in parts]
        return codes[0] if len(codes) == 1 else "(" + " * ".join(codes) + ")"

    def shape(self, shape: Sequence[Dim]) -> str:
        if len(shape) == 1:
            return f"({self.dim(shape[0])},)"
        return "(" + ", ".join(self.dim(d) for d in shape) + ")"

    def ref(self, e: Expr, need: int) -> str:
        code, prec = self.code[id(e)]
        return f"({code})" if prec < need else code

    def render(self, node: Expr, low: Lowering) -> Code | Statements:
        """The code of ``node`` (an expression), or the statements computing it."""
        op = node.op
        recipe = low.recipe.get(id(node))
        if recipe == "alias":  # computed as an equal expression (see lowering)
            return self.code[id(low.deps[id(node)][0])]
        if op == "const":
            return number(node.attrs[0])
        if op == "dim":
            return self.dim(node.attrs[0]), ATOM
        if op == "zeros":
            return self.b.template("zeros").format(shape=self.shape(node.shape)), ATOM
        if op == "ones":
            return self.b.template("ones").format(shape=self.shape(node.shape)), ATOM
        if op == "eye":
            return self.b.template("eye").format(self.dim(node.shape[0])), ATOM
        if op == "commutation":  # the identity's rows permuted: no product is formed
            template = self.b.code(op_record(op).code, op_record(op).codes)
            assert template is not None
            return template.format(*(self.dim(d) for d in node.attrs)), ATOM
        if op == "add":
            return self._add(node)
        if op == "mul":
            return self._mul(node.args)
        if op == "pow":
            if recipe == "squared_norm":
                r = low.deps[id(node)][0]
                if r.ndim == 1:
                    return f"{self.ref(r, ATOM)} @ {self.ref(r, ATOM)}", MUL
                return self.b.template("vdot").format(self.ref(r, UNARY), self.ref(r, UNARY)), ATOM
            base, p = node.args
            if p.op == "const" and p.attrs[0] == Fraction(1, 2):
                return self.b.translate(f"np.sqrt({self.ref(base, COND)})"), ATOM
            return f"{self.ref(base, ATOM)} ** {self.ref(p, UNARY)}", POW
        if op == "matmul":
            assert isinstance(recipe, ChainPlan)
            return self._chain(recipe)
        if op == "einsum":
            assert isinstance(recipe, EinsumPlan)
            return self._einsum(node, recipe)
        if op == "transpose":
            a = node.args[0]
            if a.ndim == 1:
                return f"{self.ref(a, ATOM)}[None, :]", ATOM
            if a.shape[0] == 1:
                return f"{self.ref(a, ATOM)}[0]", ATOM
            return f"{self.ref(a, ATOM)}.T", ATOM
        if op == "fn":
            return f"{self._function(node.attrs[0])}({self.ref(node.args[0], COND)})", ATOM
        if op == "tr" and recipe == "trace_of_product":
            p, q = node.args[0].args
            return self.b.translate(
                f'np.einsum("ij,ji->", {self.ref(p, COND)}, {self.ref(q, COND)})'), ATOM
        record = op_record(op)
        template = self.b.code(record.code, record.codes)
        if template is not None:  # the operator's template, calling its kernels
            self.need(template)
            operands = [self.ref(x, COND) for x in node.args]
            shape = self.shape(node.shape)
            tshape = self.shape(tuple(reversed(node.shape)))
            return template.format(*operands, shape=shape, tshape=tshape), ATOM
        raise MatcalcError(f"codegen has no {self.b.name} rule for the operator {op!r}")

    def need(self, code: str) -> None:
        """Note the helpers (kernels) that ``code`` calls."""
        for name in re.findall(r"\b(_[A-Za-z]\w*)\(", code):
            if name in self.b.helpers:
                self.helpers.add(name)

    def _function(self, name: str) -> str:
        """The callable written for the elementwise function ``name``, noting what it needs."""
        entry = function_record(name)
        if entry is None:
            raise MatcalcError(f"unknown function {name!r}")
        if entry.code is None:
            raise MatcalcError(f"function {name} is user-defined: its NumPy code cannot be "
                               "written into a standalone module (register a module-level "
                               "def as numpy_fn, whose source the module can carry)")
        if entry.source is not None and self.b.name != "numpy":
            raise MatcalcError(f"function {name} is user-defined with NumPy code; a "
                               f"{self.b.name} module cannot carry it: use backend='numpy'")
        code = self.b.code(entry.code, entry.codes)
        assert code is not None
        self.need(code + "(")
        if entry.source is not None:  # a user's function: the module carries its def
            if entry.code in RESERVED:
                raise MatcalcError(f"function {name}'s NumPy code is named {entry.code}, "
                                   "a name generated modules use for themselves")
            if self.functions.get(entry.code, entry.source) != entry.source:
                raise MatcalcError(f"two functions' NumPy code is named {entry.code}")
            self.functions[entry.code] = entry.source
        return code

    # -- sums and products ---------------------------------------------------------------
    def _add(self, node: Expr) -> Code:
        parts: list[str] = []
        for k, t in enumerate(node.args):
            negative = self._negated(t)
            if negative is not None and k > 0:
                code, prec = self._mul(negative)
                parts.append(f"- {code if prec > ADD else f'({code})'}")
            elif k == 0:
                parts.append(self.ref(t, ADD))
            else:
                parts.append(f"+ {self.ref(t, MUL)}")
        return " ".join(parts), ADD

    def _negated(self, t: Expr) -> list[Expr] | None:
        """The factors of ``-t`` when ``t`` is written inline as a negative multiple."""
        from matcalc.ops import construct as c

        if self.code[id(t)][1] == ATOM and t.op != "const":
            return None  # a named temporary: "+ name"
        if t.op == "mul" and t.args[0].op == "const" and t.args[0].attrs[0] < 0:
            c0 = -t.args[0].attrs[0]
            return list(t.args[1:]) if c0 == 1 else [c.const(c0), *t.args[1:]]
        if t.op == "const" and t.attrs[0] < 0:
            return [c.const(-t.attrs[0])]
        return None

    def _mul(self, factors: Sequence[Expr]) -> Code:
        num: list[tuple[str, int]] = []
        den: list[str] = []
        sign = ""
        for k, e in enumerate(factors):
            if k == 0 and e.op == "const" and e.attrs[0] == -1 and len(factors) > 1:
                sign = "-"
                continue
            if id(e) not in self.code:  # a number made while writing a difference
                self.code[id(e)] = number(e.attrs[0])
            code, prec = self.code[id(e)]
            if (e.op == "pow" and e.args[1].op == "const" and e.args[1].attrs[0] < 0
                    and prec != ATOM):  # written inline: a division
                p = -e.args[1].attrs[0]
                den.append(self.ref(e.args[0], POW if p == 1 else ATOM)
                           + ("" if p == 1 else f" ** {number(p)[0]}"))
                continue
            num.append((code, prec))
        if not num:
            num.append(("1.0", ATOM))
        if len(num) == 1 and not den:
            code, prec = num[0]
            if sign:
                return f"-{paren(code, prec, UNARY)}", UNARY
            return code, prec
        parts = [paren(c, p, MUL if i == 0 else UNARY) for i, (c, p) in enumerate(num)]
        code = sign + " * ".join(parts) + "".join(f" / {d}" for d in den)
        return code, MUL

    # -- matrix chains: the schedule written out -----------------------------------------
    def _factor(self, f: Factor, atom: bool) -> Code:
        if f.kind == "row2":
            return f"{self.ref(f.node, ATOM)}[0]", ATOM
        if f.row_sums:
            return f"{self.ref(f.node, ATOM)}.sum(axis=1)", ATOM
        if atom:
            return self.ref(f.node, ATOM), ATOM
        return self.code[id(f.node)]

    def _chain(self, plan: ChainPlan) -> Code:
        """The code of a chain's schedule."""
        def fold(step: Step, args: list[tuple[Code, int]]) -> tuple[Code, int]:
            ndims = [n for _, n in args]
            code = self._step(step, [c for c, _ in args], plan.factors, ndims)
            return code, step_ndim(step, ndims, plan.factors)

        return fold_schedule(plan, fold)[0]

    def _transposed(self, step: Step, factors: list[Factor]) -> Expr | None:
        """M when ``step`` is the factor M.T of a matrix M, else None."""
        if step.kind != "factor" or factors[step.index].kind != "mat":
            return None
        node = factors[step.index].node
        if node.op == "transpose" and id(node.args[0]) in self.code:
            return node.args[0]
        return None

    def _step(self, step: Step, a: list[Code], factors: list[Factor], ndims: list[int]) -> Code:
        kind = step.kind
        if kind == "factor":
            return self._factor(factors[step.index], step.atom)
        if kind == "matmul" and ndims[1] == 1 and "transposed_matvec" in self.b.templates:
            m = self._transposed(step.args[0], factors)
            if m is not None:  # M.T @ v written as the backend prefers (v @ M for JAX)
                return self.b.template("transposed_matvec").format(
                    vec=paren(*a[1], MUL), mat=self.ref(m, UNARY)), MUL
        if kind in ("matmul", "mul"):
            op = "@" if kind == "matmul" else "*"
            return f"{paren(*a[0], MUL)} {op} {paren(*a[1], UNARY)}", MUL
        if kind == "product":
            return " * ".join(paren(c, p, UNARY) for c, p in a), MUL
        if kind == "outer":
            return self.b.translate(f"np.outer({a[0][0]}, {a[1][0]})"), ATOM
        if kind == "asrow":
            return f"{paren(*a[0], ATOM)}[None, :]", ATOM
        if kind == "rowscale":
            diagonals = [c for c, _ in a[:-1]]
            scale = diagonals[0] if len(diagonals) == 1 else "(" + " * ".join(diagonals) + ")"
            return f"{scale}[:, None] * {paren(*a[-1], UNARY)}", MUL
        if kind == "diagonal":
            return self.b.translate("np.diag(" + " * ".join(c for c, _ in a) + ")"), ATOM
        if kind == "chain3":
            (x, px), (y, py), (z, pz) = a
            left = f"{paren(x, px, MUL)} @ {paren(y, py, UNARY)} @ {paren(z, pz, UNARY)}"
            right = f"{paren(x, px, MUL)} @ ({paren(y, py, MUL)} @ {paren(z, pz, UNARY)})"
            p0, p1, p2, p3 = step.dims
            choice = static_order(p0, p1, p2, p3)
            if choice == "left":
                return left, MUL
            if choice == "right":
                return right, MUL
            d0, d1, d2, d3 = (self.dim(p) for p in step.dims)
            test = f"{d0} * {d2} * ({d1} + {d3}) <= {d1} * {d3} * ({d0} + {d2})"
            return f"{left} if {test} else {right}", COND
        if kind == "multidot":
            chain = " @ ".join(paren(c, p, UNARY) for c, p in a)
            return self.b.template("multidot").format(ops=", ".join(c for c, _ in a),
                                                      chain=chain), ATOM
        raise MatcalcError(f"codegen has no rule for the chain step {kind!r}")

    # -- einsum --------------------------------------------------------------------------
    def _einsum(self, node: Expr, plan: EinsumPlan) -> Code | Statements:
        terms, full, reduced = plan.specs()
        present = set(terms) - {","}
        scale = [self.dim(d) for d in plan.scalars]
        ops = [self.ref(e, COND) for e, _ in plan.operands]
        if not plan.alias:
            code = self._einsum_call(terms + "->" + full, ops) if ops else "1.0"
            if scale:
                return " * ".join([*scale, code]), MUL
            return code, ATOM
        kept = "".join(ch for ch in reduced if ch in present)
        rhs = self._einsum_call(terms + "->" + kept, ops) if ops else "1.0"
        if ops and kept != reduced:
            rhs += "[" + ", ".join(":" if ch in present else "None" for ch in reduced) + "]"
        if scale:
            rhs = " * ".join([*scale, rhs])
        shape = self.shape(node.shape)
        text = short_text(node)
        comment = f"  # {text}" if text else ""
        sizes = [self.dim(node.shape[full.index(ch)]) for ch in reduced]

        def statements(target: str) -> list[str]:
            lines = self.b.embed(target, shape, full, reduced, rhs, sizes)
            return [lines[0] + comment, *lines[1:]]

        return statements

    def _einsum_call(self, spec: str, ops: list[str]) -> str:
        if len(ops) <= 1:
            return self.b.translate(f'np.einsum("{spec}", {", ".join(ops)})')
        code = self.b.template("einsum").format(spec=spec, ops=", ".join(ops))
        self.need(code)
        return code


def static_order(p0: Dim, p1: Dim, p2: Dim, p3: Dim) -> str | None:
    """``left`` for (AB)C, ``right`` for A(BC) when the symbolic sizes decide, else None.

    Costs: (AB)C is p0·p2·(p1 + p3), A(BC) is p1·p3·(p0 + p2); as polynomials in
    independent sizes they are equal exactly when {p0, p2} = {p1, p3}.  With
    numbers, :func:`~matcalc.numeric.schedule.left_first` decides, as it does for
    the evaluator at run time (and the generated test below repeats it).
    """
    if (isinstance(p0, int) and isinstance(p1, int) and isinstance(p2, int)
            and isinstance(p3, int)):
        return "left" if left_first(p0, p1, p2, p3) else "right"
    if sorted(map(str, (p0, p2))) == sorted(map(str, (p1, p3))):
        return "left"
    return None
