"""``codegen``: a standalone NumPy module for a value and its derivatives (SPEC section 4).

The value, each derivative and each Hessian are one hash-consed DAG, so a
subexpression they share is one node and becomes one assignment in the
generated function.  Before code is written the DAG is *lowered* for speed
(:mod:`matcalc.lowering`), and the plan is written the way a person writes
closed forms by hand:

* matrix products are chains ordered by cost: a chain ending in a vector is
  evaluated right to left (``A.T @ (A @ x)``), one starting with a row left to
  right, three matrices in the cheaper order for the actual sizes (decided at
  run time when the symbolic sizes cannot decide), four or more with
  ``np.linalg.multi_dot``; a contiguous part of a chain that the DAG computes
  anyway is reused;
* ``diag(v) @ M`` is ``v[:, None] * M``, ``M @ diag(v)`` is ``M * v``,
  ``diag(v) @ x`` is ``v * x``; identities in products vanish;
* an ``einsum`` node absorbs nested einsums used only by it (so no order-3 or
  order-4 intermediate is built for a smaller result), its Kronecker deltas
  become renamed indices or a write into a diagonal view of a zero tensor (an
  identity is never built), and it runs along a contraction path computed once
  per shape;
* ``tr(P @ Q)`` is ``einsum("ij,ji->", P, Q)`` and ``norm(r)^2`` is ``r @ r``.

Each node is one named temporary; nodes used once that read well inline
(``A @ x - y``) are written into their user's line instead.  Nothing here
evaluates anything: the output is text, and the generated module uses NumPy
only.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

from matcalc.core.dims import Dim
from matcalc.core.errors import DiffError, MatcalcError
from matcalc.core.expr import Expr
from matcalc.numeric.lowering import EinsumPlan, Factor, Lowering, kind_of
from matcalc.ops.record import function as lookup

# precedence levels of Python expressions, loosest first
COND, ADD, MUL, UNARY, POW, ATOM = range(6)

INLINE_LIMIT = 64  # longest expression written into its user's line instead of named

_FUNCTIONS = {
    "exp": "np.exp", "log": "np.log", "sin": "np.sin", "cos": "np.cos", "tan": "np.tan",
    "tanh": "np.tanh", "sinh": "np.sinh", "cosh": "np.cosh", "sqrt": "np.sqrt",
    "abs": "np.abs", "sign": "np.sign", "sigmoid": "_sigmoid", "softplus": "_softplus",
    "relu": "_relu", "step": "_step",
}

_STEMS = {
    "add": "s", "mul": "p", "matmul": "mm", "pow": "pw", "einsum": "tensor", "inv": "inv",
    "det": "det", "logdet": "logdet", "tr": "trace", "sum": "total", "norm": "norm",
    "norm1": "norm1", "norminf": "norminf", "diag": "D", "diagpart": "dg",
    "softmax": "softmax", "logsumexp": "lse", "ismax": "ismax", "transpose": "t",
    "kron": "kron", "vec": "vec", "unvec": "mat", "zeros": "zeros", "ones": "ones",
    "eye": "eye", "reshape": "r",
}

# helper functions of the generated module, written only when used
_HELPERS = {
    "_array": '''
def _array(values, name, ndim):
    """values[name] as a float array with ndim axes."""
    if name not in values:
        raise ValueError(f"no value given for {name}")
    a = np.asarray(values[name], dtype=float)
    if a.ndim != ndim:
        raise ValueError(f"{name} should have {ndim} axes but has shape {a.shape}")
    return a
''',
    "_size": '''
def _size(values, name):
    """The size of dimension name, which no input array fixes."""
    if name not in values:
        raise ValueError(f"the size of dimension {name} is not known: give it as {name}=...")
    return int(values[name])
''',
    "_sigmoid": '''
def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)
''',
    "_softplus": '''
def _softplus(x):
    return np.logaddexp(0.0, x)
''',
    "_relu": '''
def _relu(x):
    return np.maximum(x, 0.0)
''',
    "_step": '''
def _step(x):
    return np.where(x > 0, 1.0, 0.0)
''',
    "_softmax": '''
def _softmax(x):
    z = np.exp(x - np.max(x))
    return z / np.sum(z)
''',
    "_logsumexp": '''
def _logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))
''',
    "_ismax": '''
def _ismax(x):
    out = np.zeros(np.shape(x))
    out.flat[int(np.argmax(x))] = 1.0
    return out
''',
    "_einsum": '''
_PATHS = {}


def _einsum(spec, *operands):
    """np.einsum along the best path (greedy beyond 6 operands), found once per spec."""
    key = (spec, *(o.shape for o in operands))
    path = _PATHS.get(key)
    if path is None:
        path = _PATHS[key] = np.einsum_path(
            spec, *operands, optimize="optimal" if len(operands) <= 6 else "greedy")[0]
    return np.einsum(spec, *operands, optimize=path)
''',
}

_RESERVED = {"np", "values", "value_and_derivatives", "float", "int", "ValueError", "_PATHS",
             *_HELPERS}


# ----------------------------------------------------------------------------------------
# public entry point


def codegen(f: Expr, wrt: Iterable[Any] = (), order: int = 1) -> str:
    """The source of a NumPy module computing ``f`` and its derivatives (SPEC section 4).

    The module defines ``value_and_derivatives(**values)``, which returns the value,
    then ``diff(f, w)`` for each ``w`` in ``wrt``, and with ``order=2`` then
    ``hessian(f, w)`` for each ``w``.
    """
    from matcalc.calculus.differentiate import diff, hessian

    if not isinstance(f, Expr):
        raise MatcalcError("codegen needs an expression; parse the text first (matcalc.parse)")
    if isinstance(wrt, str | Expr):
        wrt = [wrt]
    names = [w.name if isinstance(w, Expr) and w.op == "var" else w for w in wrt]
    if order not in (1, 2):
        raise DiffError(f"codegen computes first or second derivatives, not order {order!r}")
    if order == 2 and f.shape:
        raise DiffError(f"a Hessian needs a scalar function, but f has shape {f.shape}")
    outputs: list[tuple[str, Expr]] = [("value", f)]
    first = "grad" if not f.shape else "jac"
    for w in names:
        outputs.append((f"{first}_{w}", diff(f, w)))
    if order == 2:
        for w in names:
            outputs.append((f"hess_{w}", hessian(f, w)))
    return _Module(f, outputs, names, order).source()


# ----------------------------------------------------------------------------------------
# writing the module


class _Module:
    def __init__(self, f: Expr, outputs: list[tuple[str, Expr]], wrt: list[str], order: int):
        self.f = f
        self.outputs = outputs
        self.wrt = wrt
        self.order = order
        self.helpers: set[str] = {"_array"}
        self.taken: set[str] = set(_RESERVED)
        self.local: dict[str, str] = {}  # variable name -> local name
        self.dims: dict[str, str] = {}  # dimension name -> local name
        self.code: dict[int, tuple[str, int]] = {}  # id -> (code, precedence) of each node
        self.lines: list[str] = []
        self.counters: dict[str, int] = {}

    # -- names ---------------------------------------------------------------------------
    def fresh(self, stem: str) -> str:
        if stem not in self.taken and not keyword.iskeyword(stem):
            self.taken.add(stem)
            return stem
        while True:
            k = self.counters.get(stem, 0) + 1
            self.counters[stem] = k
            name = f"{stem}{k}"
            if name not in self.taken:
                self.taken.add(name)
                return name

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

    # -- the source ----------------------------------------------------------------------
    def source(self) -> str:
        roots = [e for _, e in self.outputs]
        low = Lowering(roots)
        order = low.order(roots)
        uses: dict[int, int] = {}
        for node in order:
            for d in low.deps[id(node)]:
                uses[id(d)] = uses.get(id(d), 0) + 1
        for _, e in self.outputs:  # outputs are named
            uses[id(e)] = uses.get(id(e), 0) + 2
        out_names: dict[int, str] = {}
        self._prologue(order)
        for name, e in self.outputs:
            if id(e) not in out_names and e.op not in ("var", "const", "dim", "zeros", "ones",
                                                       "eye", "transpose"):
                out_names[id(e)] = name
        for node in order:
            if id(node) in self.code:
                continue
            rendered = self._render(node, low)
            target = out_names.get(id(node))
            if callable(rendered):  # several statements
                name = target or self.fresh(self._stem(node))
                self.lines.extend(rendered(name))
                self.code[id(node)] = (name, ATOM)
                continue
            code, prec = rendered
            inline = target is None and (
                node.op in ("var", "const", "dim")
                or (node.op == "transpose" and node.args[0].op == "var")
                or _is_negation(node) or _is_reciprocal_of_leaf(node)
                or (uses.get(id(node), 0) <= 1 and len(code) <= INLINE_LIMIT
                    and node.op not in ("zeros", "ones", "eye")))
            if inline:
                self.code[id(node)] = (code, prec)
            else:
                name = target or self.fresh(self._stem(node))
                self.lines.append(self._assign(name, code, node))
                self.code[id(node)] = (name, ATOM)
        results = []
        for _, e in self.outputs:
            code = self.code[id(e)][0]
            if not e.shape:
                code = f"np.float64({code})"
            elif e.op in ("var", "transpose"):
                code = f"np.array({code})"
            results.append(code)
        return self._module_text(results)

    def _stem(self, node: Expr) -> str:
        if node.op == "fn":
            return str(node.attrs[0])
        if node.op == "inv" and node.args[0].op == "var":
            return f"inv_{self.local[node.args[0].name]}"
        return _STEMS.get(node.op, node.op)

    def _assign(self, name: str, code: str, node: Expr) -> str:
        line = f"    {name} = {code}"
        text = _short_text(node)
        if text and text != code and "\n" not in text:
            pad = max(1, 44 - len(line))
            line += " " * pad + f"  # {text}"
        return line

    # -- inputs and their shapes ---------------------------------------------------------
    def _prologue(self, order: list[Expr]) -> None:
        variables = self.f.variables()
        for name in variables:
            local = name if (name not in self.taken and not keyword.iskeyword(name)) else None
            self.local[name] = local or self.fresh(f"{name}_")
            self.taken.add(self.local[name])
        bound: set[str] = set()
        self.source_of: dict[str, str] = {}  # dimension -> the variable whose array fixed it
        later: list[str] = []  # variables with product dimensions, checked at the end
        for name, v in variables.items():
            local = self.local[name]
            self.lines.append(f"    {local} = _array(values, {name!r}, {v.ndim})")
            self.code[id(v)] = (local, ATOM)
            new = [d for d in v.shape if isinstance(d, str) and "*" not in d and d not in bound]
            for d in new:
                self.dims[d] = self._dim_name(d)
            if v.shape and len(new) == v.ndim and len(set(new)) == len(new):
                names = ", ".join(self.dims[d] for d in new)
                self.lines.append(f"    {names}{',' if v.ndim == 1 else ''} = {local}.shape")
                bound.update(new)
                for d in new:
                    self.source_of[d] = name
                continue
            for axis, d in enumerate(v.shape):
                if isinstance(d, str) and "*" not in d and d not in bound:
                    self.lines.append(f"    {self.dims[d]} = {local}.shape[{axis}]")
                    bound.add(d)
                    self.source_of[d] = name
            if any(isinstance(d, str) and "*" in d for d in v.shape):
                later.append(name)
            elif v.shape:
                self._check(name, v)
        for node in order:  # dimensions that no input array fixes
            dims = [d for d in node.shape if isinstance(d, str)]
            if node.op == "dim":
                dims.append(node.attrs[0])
            for d in dims:
                for part in str(d).split("*"):
                    if part.isdigit() or part in bound:
                        continue
                    self.dims[part] = self._dim_name(part)
                    self.helpers.add("_size")
                    self.lines.append(f"    {self.dims[part]} = _size(values, {part!r})")
                    bound.add(part)
        for name in later:  # product dimensions, once their factors are known
            self._check(name, variables[name])

    def _dim_name(self, d: str) -> str:
        if d in self.dims:
            return self.dims[d]
        ok = d.isidentifier() and not keyword.iskeyword(d) and d not in self.taken
        name = d if ok else self.fresh("dim_" + "".join(ch if ch.isalnum() else "_" for ch in d))
        self.taken.add(name)
        return name

    def _check(self, name: str, v: Expr) -> None:
        local = self.local[name]
        want = self.shape(v.shape)
        declared = "(" + ", ".join(map(str, v.shape)) + ("," if v.ndim == 1 else "") + ")"
        sources: dict[str, list[str]] = {}
        for d in v.shape:
            for part in str(d).split("*"):
                other = self.source_of.get(part)
                if other is not None and other != name and part not in sources.get(other, []):
                    sources.setdefault(other, []).append(part)
        why = "; ".join(f"{', '.join(ds)} from {other}" for other, ds in sources.items())
        self.lines.append(f"    if {local}.shape != {want}:")
        self.lines.append(f"        raise ValueError(f\"{name} should have shape {declared} = "
                          f"{{{want}}}{f' ({why})' if why else ''} but has shape "
                          f"{{{local}.shape}}\")")

    # -- one node ------------------------------------------------------------------------
    def _render(self, node: Expr, low: Lowering) -> Any:
        op = node.op
        recipe = low.recipe.get(id(node))
        if recipe == "alias":  # computed as an equal expression (see lowering)
            return self.code[id(low.deps[id(node)][0])]
        if op == "const":
            return _number(node.attrs[0])
        if op == "dim":
            return self.dim(node.attrs[0]), ATOM
        if op == "zeros":
            return f"np.zeros({self.shape(node.shape)})", ATOM
        if op == "ones":
            return f"np.ones({self.shape(node.shape)})", ATOM
        if op == "eye":
            return f"np.eye({self.dim(node.shape[0])})", ATOM
        if op == "add":
            return self._add(node)
        if op == "mul":
            return self._mul(node.args)
        if op == "pow":
            if recipe == "squared_norm":
                r = low.deps[id(node)][0]
                if r.ndim == 1:
                    return f"{self.ref(r, ATOM)} @ {self.ref(r, ATOM)}", MUL
                return f"np.vdot({self.ref(r, COND)}, {self.ref(r, COND)})", ATOM
            base, p = node.args
            if p.op == "const" and p.attrs[0] == Fraction(1, 2):
                return f"np.sqrt({self.ref(base, COND)})", ATOM
            return f"{self.ref(base, ATOM)} ** {self.ref(p, UNARY)}", POW
        if op == "matmul":
            return self._chain(node, recipe)
        if op == "einsum":
            return self._einsum(node, recipe)
        if op == "transpose":
            a = node.args[0]
            if a.ndim == 1:
                return f"{self.ref(a, ATOM)}[None, :]", ATOM
            if a.shape[0] == 1:
                return f"{self.ref(a, ATOM)}[0]", ATOM
            return f"{self.ref(a, ATOM)}.T", ATOM
        if op == "fn":
            name = node.attrs[0]
            call = _FUNCTIONS.get(name)
            if call is None:
                entry = lookup(name)
                raise MatcalcError(f"function {name} is user-defined: its NumPy code cannot be "
                                   "written into a standalone module" if entry else
                                   f"unknown function {name!r}")
            if call.startswith("_"):
                self.helpers.add(call)
            return f"{call}({self.ref(node.args[0], COND)})", ATOM
        if op == "tr" and recipe == "trace_of_product":
            p, q = node.args[0].args
            return f'np.einsum("ij,ji->", {self.ref(p, COND)}, {self.ref(q, COND)})', ATOM
        a = [self.ref(x, COND) for x in node.args]
        simple = {
            "sum": "np.sum({0})", "norm": "np.linalg.norm({0})",
            "norm1": "np.sum(np.abs({0}))", "norminf": "np.max(np.abs({0}))",
            "tr": "np.trace({0})", "det": "np.linalg.det({0})",
            "logdet": "np.linalg.slogdet({0})[1]", "inv": "np.linalg.inv({0})",
            "diag": "np.diag({0})", "diagpart": "np.diagonal({0}).copy()",
            "softmax": "_softmax({0})", "logsumexp": "_logsumexp({0})", "ismax": "_ismax({0})",
            "kron": "np.kron({0}, {1})",
        }
        if op in simple:
            template = simple[op]
            if template.startswith("_"):
                self.helpers.add(template.split("(")[0])
            return template.format(*a), ATOM
        if op == "vec":
            return f'{self.ref(node.args[0], ATOM)}.reshape(-1, order="F")', ATOM
        if op == "unvec":
            return (f'{self.ref(node.args[0], ATOM)}.reshape({self.shape(node.shape)}, '
                    'order="F")'), ATOM
        if op == "reshape":
            return f"np.reshape({a[0]}, {self.shape(node.shape)})", ATOM
        raise MatcalcError(f"codegen has no NumPy rule for the operator {op!r}")

    def _add(self, node: Expr) -> tuple[str, int]:
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

    def _mul(self, factors: Sequence[Expr]) -> tuple[str, int]:
        num: list[tuple[str, int]] = []
        den: list[str] = []
        sign = ""
        for k, e in enumerate(factors):
            if k == 0 and e.op == "const" and e.attrs[0] == -1 and len(factors) > 1:
                sign = "-"
                continue
            if id(e) not in self.code:  # a number made while writing a difference
                self.code[id(e)] = _number(e.attrs[0])
            code, prec = self.code[id(e)]
            if (e.op == "pow" and e.args[1].op == "const" and e.args[1].attrs[0] < 0
                    and prec != ATOM):  # written inline: a division
                p = -e.args[1].attrs[0]
                den.append(self.ref(e.args[0], POW if p == 1 else ATOM)
                           + ("" if p == 1 else f" ** {_number(p)[0]}"))
                continue
            num.append((code, prec))
        if not num:
            num.append(("1.0", ATOM))
        if len(num) == 1 and not den:
            code, prec = num[0]
            if sign:
                return f"-{_paren(code, prec, UNARY)}", UNARY
            return code, prec
        parts = [_paren(c, p, MUL if i == 0 else UNARY) for i, (c, p) in enumerate(num)]
        code = sign + " * ".join(parts) + "".join(f" / {d}" for d in den)
        return code, MUL

    # -- matrix chains -------------------------------------------------------------------
    def _vector(self, f: Factor) -> tuple[str, int]:
        """Code of a row or column factor as a 1-D array."""
        if f.value is not None:
            return f.value  # type: ignore[no-any-return]
        if f.kind == "row2":
            return f"{self.ref(f.node, ATOM)}[0]", ATOM
        if f.row_sums:
            return f"{self.ref(f.node, ATOM)}.sum(axis=1)", ATOM
        return self.code[id(f.node)]

    def _chain(self, node: Expr, factors: list[Factor]) -> tuple[str, int]:
        inner = [f for f in factors if f.kind == "scalar"]
        if inner:
            code, prec = self._chain(node, [f for f in factors if f.kind != "scalar"])
            scale = " * ".join(self.ref(f.node, UNARY) for f in inner)
            return f"{scale} * {_paren(code, prec, UNARY)}", MUL
        while True:  # a vector followed by a vector or a matrix: NumPy's 1-D left operand
            k = next((i for i in range(len(factors) - 1) if factors[i].kind == "col"
                      and factors[i + 1].kind not in ("row", "row2")), None)
            if k is None:
                break
            code, prec, kind = self._product(factors[:k + 1])
            if kind == "scalar":
                rest, rprec = self._chain(node, factors[k + 1:])
                return f"{_paren(code, prec, MUL)} * {_paren(rest, rprec, UNARY)}", MUL
            partial = Factor("row", None, value=(code, prec))  # type: ignore[arg-type]
            factors = [partial, *factors[k + 1:]]
        code, prec, kind = self._product(factors)
        if kind == "vec" and kind_of(node) == "row":
            return f"{_paren(code, prec, ATOM)}[None, :]", ATOM
        return code, prec

    def _product(self, factors: list[Factor]) -> tuple[str, int, str]:
        """A chain whose vectors are only at its ends or in outer products."""
        segments: list[list[Factor]] = [[]]
        for k, f in enumerate(factors):
            if k and f.kind in ("row", "row2") and factors[k - 1].kind == "col":
                segments.append([])
            segments[-1].append(f)
        results = [self._segment(s) for s in segments]  # (code, prec, kind: vec/mat/scalar)
        if len(results) == 1:
            return results[0]
        scalars = [r for r in results[1:-1]]
        first, last = results[0], results[-1]
        vectors = [r for r in (first, last) if r[2] == "vec"]
        scalars += [r for r in (first, last) if r[2] == "scalar"]
        scale = " * ".join(c if p >= UNARY else f"({c})" for c, p, _ in scalars)
        if len(vectors) == 2:
            u, w = vectors[0][0], vectors[1][0]
            if scale:
                w = f"{scale} * {_paren(w, vectors[1][1], UNARY)}"
            code, prec, kind = f"np.outer({u}, {w})", ATOM, "mat"
        elif vectors:
            v = vectors[0]
            code = f"{scale} * {_paren(v[0], v[1], UNARY)}" if scale else v[0]
            prec, kind = (MUL if scale else v[1]), "vec"
        else:
            code, prec, kind = scale, MUL, "scalar"
        return code, prec, kind

    def _segment(self, seg: list[Factor]) -> tuple[str, int, str]:
        vectors = ("row", "row2", "col")
        left = seg[0] if seg[0].kind in vectors and len(seg) > 1 else None
        right = seg[-1] if seg[-1].kind == "col" and seg[-1] is not left else None
        if len(seg) == 1 and seg[0].kind in vectors:
            right = seg[0]
        middle = seg[(1 if left else 0):(len(seg) - 1 if right else len(seg))]
        if right is not None:  # right to left: matrix-vector products
            code, prec = self._vector(right)
            for f in reversed(middle):
                op = "*" if f.kind == "diag" else "@"
                code, prec = f"{self.ref(f.node, MUL)} {op} {_paren(code, prec, UNARY)}", MUL
            if left is not None:
                lcode, lprec = self._vector(left)
                return f"{_paren(lcode, lprec, MUL)} @ {_paren(code, prec, UNARY)}", MUL, \
                    "scalar"
            return code, prec, "vec"
        if left is not None:  # left to right: vector-matrix products
            code, prec = self._vector(left)
            for f in middle:
                op = "*" if f.kind == "diag" else "@"
                code, prec = f"{_paren(code, prec, MUL)} {op} {self.ref(f.node, UNARY)}", MUL
            return code, prec, "vec"
        code, prec = self._matrices(middle)
        return code, prec, "mat"

    def _matrices(self, seg: list[Factor]) -> tuple[str, int]:
        """A chain of matrices and diagonal matrices (no vectors at its ends)."""
        mats: list[tuple[str, int, Dim, Dim]] = []  # code, precedence, rows, cols
        pending: list[str] = []  # diagonals waiting for the next matrix
        for k, f in enumerate(seg):
            if f.kind == "diag":
                next_is_matrix = k + 1 < len(seg) and seg[k + 1].kind == "mat"
                if mats and not next_is_matrix and not pending:  # M @ diag(v) = M * v
                    code, prec, r, c = mats[-1]
                    mats[-1] = (f"{_paren(code, prec, MUL)} * {self.ref(f.node, UNARY)}",
                                MUL, r, c)
                else:
                    pending.append(self.ref(f.node, ATOM))
                continue
            code, prec = self.ref(f.node, ATOM), ATOM
            if pending:  # diag(v) @ M = v[:, None] * M
                scale = pending[0] if len(pending) == 1 else "(" + " * ".join(pending) + ")"
                code, prec = f"{scale}[:, None] * {_paren(code, prec, UNARY)}", MUL
                pending = []
            mats.append((code, prec, f.node.shape[0], f.node.shape[1]))
        if pending:  # only diagonal matrices
            return "np.diag(" + " * ".join(pending) + ")", ATOM
        if len(mats) == 1:
            return mats[0][0], mats[0][1]
        if len(mats) == 2:
            (a, pa, *_), (b, pb, *_) = mats
            return f"{_paren(a, pa, MUL)} @ {_paren(b, pb, UNARY)}", MUL
        if len(mats) == 3:
            (a, pa, p0, p1), (b, pb, _, p2), (c, pc, _, p3) = mats
            left = f"{_paren(a, pa, MUL)} @ {_paren(b, pb, UNARY)} @ {_paren(c, pc, UNARY)}"
            right = f"{_paren(a, pa, MUL)} @ ({_paren(b, pb, MUL)} @ {_paren(c, pc, UNARY)})"
            choice = _static_order(p0, p1, p2, p3)
            if choice == "left":
                return left, MUL
            if choice == "right":
                return right, MUL
            d0, d1, d2, d3 = (self.dim(p) for p in (p0, p1, p2, p3))
            test = f"{d0} * {d2} * ({d1} + {d3}) <= {d1} * {d3} * ({d0} + {d2})"
            return f"{left} if {test} else {right}", COND
        return "np.linalg.multi_dot([" + ", ".join(m[0] for m in mats) + "])", ATOM

    # -- einsum --------------------------------------------------------------------------
    def _einsum(self, node: Expr, plan: EinsumPlan) -> Any:
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
        text = _short_text(node)
        comment = f"  # {text}" if text else ""

        def statements(target: str) -> list[str]:
            return [f"    {target} = np.zeros({shape}){comment}",
                    f'    np.einsum("{full}->{reduced}", {target})[...] = {rhs}']

        return statements

    def _einsum_call(self, spec: str, ops: list[str]) -> str:
        if len(ops) <= 1:
            return f'np.einsum("{spec}", {", ".join(ops)})'
        self.helpers.add("_einsum")
        return f'_einsum("{spec}", {", ".join(ops)})'

    # -- the module text -----------------------------------------------------------------
    def _module_text(self, results: list[str]) -> str:
        f_text = str(self.f)
        shapes = ", ".join(f"{n}: ({', '.join(map(str, v.shape))}{',' if v.ndim == 1 else ''})"
                           for n, v in self.f.variables().items())
        returned = [f"{name} {_shape_text(e.shape)}" for name, e in self.outputs]
        head = [
            '"""NumPy code generated by matcalc (https://pypi.org/project/matcalc-symbolic/).',
            "",
            f"    f = {f_text}",
            f"    variables: {shapes}",
            f"    derivatives by: {', '.join(self.wrt) or '-'}"
            + (" (and Hessians)" if self.order == 2 else ""),
            "",
            "value_and_derivatives(**values) returns (" + ", ".join(returned) + ").",
            '"""',
            "",
            "import numpy as np",
            "",
        ]
        body = []
        for h in _HELPERS:
            if h in self.helpers:
                body.append(_HELPERS[h].strip("\n"))
                body.extend(["", ""])
        returns = ", ".join(n for n, _ in self.outputs)
        fn = ["def value_and_derivatives(**values):",
              f'    """The value of f and its derivatives: ({returns})."""',
              *self.lines,
              f"    return ({', '.join(results)}{',' if len(results) == 1 else ''})",
              ""]
        return "\n".join(head + ["", *body] + fn) if body else "\n".join(head + ["", *fn])


def _short_text(node: Expr, limit: int = 100) -> str:
    """The text form of ``node`` for a comment, or "" when it would be long.

    The printed tree is counted first (with repetitions, stopping early), so deep
    DAGs are never printed whole: writing a module stays linear in its size.
    """
    count = 0
    stack = [node]
    while stack:
        e = stack.pop()
        count += 1
        if count > limit // 3:
            return ""
        stack.extend(e.args)
    text = str(node)
    return text if len(text) <= limit else ""


def _is_negation(e: Expr) -> bool:
    """``-x``: written where it is used (``a - x``) rather than computed once."""
    return (e.op == "mul" and len(e.args) == 2 and e.args[0].op == "const"
            and e.args[0].attrs[0] == -1)


def _is_reciprocal_of_leaf(e: Expr) -> bool:
    """``1/n``: written where it is used (``a / n``)."""
    return (e.op == "pow" and e.args[0].op in ("var", "dim", "const")
            and e.args[1].op == "const" and e.args[1].attrs[0] == -1)


def _shape_text(shape: Sequence[Dim]) -> str:
    if not shape:
        return "(scalar)"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _number(v: Any) -> tuple[str, int]:
    if isinstance(v, int):
        text = str(v)
    else:
        text = repr(float(v))
    return text, (UNARY if text.startswith("-") else ATOM)


def _paren(code: str, prec: int, need: int) -> str:
    return f"({code})" if prec < need else code


def _static_order(p0: Dim, p1: Dim, p2: Dim, p3: Dim) -> str | None:
    """``left`` for (AB)C, ``right`` for A(BC) when the symbolic sizes decide, else None.

    Costs: (AB)C is p0·p2·(p1 + p3), A(BC) is p1·p3·(p0 + p2); as polynomials in
    independent sizes they are equal exactly when {p0, p2} = {p1, p3}.
    """
    if all(isinstance(p, int) for p in (p0, p1, p2, p3)):
        left = p0 * p2 * (p1 + p3)  # type: ignore[operator]
        right = p1 * p3 * (p0 + p2)  # type: ignore[operator]
        return "left" if left <= right else "right"
    if sorted(map(str, (p0, p2))) == sorted(map(str, (p1, p3))):
        return "left"
    return None
