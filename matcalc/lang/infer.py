"""Raw tree + declarations → typed expression, inferring undeclared shapes.

Undeclared variables start from the convention (capital letter: matrix,
otherwise vector) with placeholder dimensions.  The expression is built with
the ordinary constructors while a :class:`~matcalc.dims.Unifier` is active, so
every shape rule unifies the placeholders it compares.  When a rule fails and
blames an operand (``ShapeError.suspects``), undeclared variables in that
operand take the rank the rule wanted (``s * A`` makes ``s`` a scalar) and the
build is tried again.  Finally placeholders get short readable names and the
expression is built once more with concrete shapes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matcalc.algebra.contraction import build_einsum
from matcalc.core.dims import Dim, Shape, Unifier, is_placeholder, shapes_equal, unifying
from matcalc.core.errors import MatcalcError, ParseError, ShapeError
from matcalc.core.expr import Expr, remember_declared
from matcalc.lang.parser import CHAINS, Declaration, Definition, Parsed, Raw, parse_text
from matcalc.ops import construct as c
from matcalc.ops.record import function as lookup_elementwise

KINDS = {"scalar": 0, "vector": 1, "matrix": 2, "symmetric": 1, "spd": 1}

UNARY = {
    "sum": c.sum_, "norm": c.norm, "norm1": c.norm1, "norminf": c.norminf,
    "tr": c.trace, "trace": c.trace, "det": c.det, "logdet": c.logdet, "inv": c.inv,
    "diag": c.diag, "softmax": c.softmax, "logsumexp": c.logsumexp, "vec": c.vec,
    "ismax": c.ismax,
}
BINARY = {"dot": c.dot, "outer": c.outer, "kron": c.kron}
DIM_FUNCTIONS = {"eye": (1, 1), "ones": (1, 16), "zeros": (1, 16)}  # arrays of any order
RESERVED = set(UNARY) | set(BINARY) | set(DIM_FUNCTIONS) | {"einsum", "unvec", "reshape", "I",
                                                               "where"}

NAME_POOL = ["m", "n", "p", "q", "r", "k", "l", "d", "h", "s", "t", "u", "v", "w"]


@dataclass
class VarDecl:
    shape: Shape
    structure: str = ""


def parse(text: str, shapes: Mapping[str, Any] | None = None) -> Expr:
    """Parse ``text`` into a typed expression (SPEC section 2)."""
    parsed = parse_text(text)
    declared = _declarations(parsed.declarations, shapes or {}, text)
    expr = _Builder(text, parsed, declared).build()
    used = expr.variables()
    unused = {}
    for name, decl in declared.items():  # kept so that d/d(unused) has the right shape
        if name not in used and not any(isinstance(d, str) and name in d.split("*")
                                        for v in used.values() for d in v.shape):
            try:
                unused[name] = c.var(name, decl.shape, decl.structure)
            except ShapeError:
                continue
    if unused:
        remember_declared(expr, unused)
    return expr


# ----------------------------------------------------------------------------------------
# declarations


def parse_kind(spec: str, name: str = "?") -> VarDecl:
    """``"matrix(m, n)"`` → VarDecl; also accepts ``"scalar"``."""
    s = spec.strip()
    kind, _, rest = s.partition("(")
    kind = kind.strip()
    if kind not in KINDS:
        raise ShapeError(f"unknown kind {kind!r} for {name}; expected one of "
                         f"{', '.join(KINDS)}")
    dims: list[Dim] = []
    if rest:
        if not rest.endswith(")"):
            raise ShapeError(f"malformed kind {spec!r} for {name}")
        for part in rest[:-1].split(","):
            part = part.strip()
            dims.append(int(part) if part.isdigit() else part)
    return _kind_decl(kind, dims, name)


def _kind_decl(kind: str, dims: list[Dim], name: str) -> VarDecl:
    want = KINDS[kind]
    if len(dims) != want:
        raise ShapeError(f"{kind} takes {want} dimension{'s' if want != 1 else ''}, "
                         f"{name} has {len(dims)}")
    for d in dims:
        _check_dim(d, name)
    if kind in ("symmetric", "spd"):
        return VarDecl((dims[0], dims[0]), kind)
    return VarDecl(tuple(dims))


def _check_dim(d: Any, name: str) -> None:
    if isinstance(d, bool) or not isinstance(d, int | str):
        raise ShapeError(f"dimension {d!r} of {name} is not a name or an integer")
    if isinstance(d, int) and d < 1:
        raise ShapeError(f"dimension {d} of {name} must be at least 1")
    if isinstance(d, str) and not all(p.isidentifier() or p.isdigit() for p in d.split("*")):
        raise ShapeError(f"dimension {d!r} of {name} is not a name")


def _declarations(where: list[Declaration], shapes: Mapping[str, Any],
                  text: str) -> dict[str, VarDecl]:
    if not isinstance(shapes, Mapping):
        raise ShapeError("shapes= must be a dict from variable name to shape")
    out: dict[str, VarDecl] = {}
    for name, spec in shapes.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ShapeError(f"{name!r} in shapes= is not a variable name")
        if isinstance(spec, str):
            out[name] = parse_kind(spec, name)
        elif isinstance(spec, tuple | list):
            for d in spec:
                _check_dim(d, name)
            if len(spec) > 2:
                raise ShapeError(f"{name} has {len(spec)} dimensions; variables are scalars, "
                                 "vectors or matrices")
            out[name] = VarDecl(tuple(spec))
        else:
            raise ShapeError(f"the shape of {name} in shapes= must be a tuple or a kind "
                             f"string, not {spec!r}")
    for d in where:
        if d.kind not in KINDS:
            raise ShapeError(f"unknown kind {d.kind!r}; expected one of {', '.join(KINDS)}",
                             text, d.pos)
        try:
            decl = _kind_decl(d.kind, d.dims, d.name)
        except ShapeError as e:
            raise e.at(text, d.pos) from None
        if d.name in out and (out[d.name].shape != decl.shape
                              or (out[d.name].structure and decl.structure
                                  and out[d.name].structure != decl.structure)):
            raise ShapeError(f"{d.name} is declared {_show(out[d.name])} in shapes= and "
                             f"{_show(decl)} in the where clause", text, d.pos)
        if d.name in out and not decl.structure:
            decl.structure = out[d.name].structure
        out[d.name] = decl
    return out


def _show(d: VarDecl) -> str:
    from matcalc.core.dims import format_shape

    return (d.structure + " " if d.structure else "") + format_shape(d.shape)


# ----------------------------------------------------------------------------------------
# building


def _walk(root: Raw) -> list[Raw]:
    out: list[Raw] = []
    stack = [root]
    while stack:
        r = stack.pop()
        out.append(r)
        stack.extend(r.children)
    return out


class _Builder:
    def __init__(self, text: str, parsed: Parsed, declared: dict[str, VarDecl]):
        self.text = text
        self.parsed = parsed
        self.declared = declared
        self.definitions: dict[str, Definition] = {}
        for d in parsed.definitions:
            if d.name in self.definitions:
                raise ParseError(f"{d.name} is defined twice", text, d.pos)
            if d.name in declared:
                raise ShapeError(f"{d.name} is both declared and defined", text, d.pos)
            self.definitions[d.name] = d
        self.dim_names: set[str] = set()
        for decl in declared.values():
            for dd in decl.shape:
                if isinstance(dd, str):
                    self.dim_names.update(p for p in dd.split("*") if not p.isdigit())
        for r in self._all_raw():
            if r.kind == "call" and r.value in (*DIM_FUNCTIONS, "reshape", "unvec"):
                dim_args = r.children if r.value in DIM_FUNCTIONS else r.children[1:]
                for a in dim_args:
                    for leaf in _walk(a):
                        if leaf.kind == "name" and leaf.value not in declared:
                            self.dim_names.add(leaf.value)
        # variables: names that are not dimensions, definitions or the identity
        self.order: list[str] = []
        seen: set[str] = set()
        for r in self._in_order():
            if r.kind == "name" and r.value not in seen and self._is_variable(r.value):
                self.order.append(r.value)
                seen.add(r.value)
        self.ranks: dict[str, int] = {}
        self.flexible: set[str] = set()
        for name in self.order:
            if name in declared:
                self.ranks[name] = len(declared[name].shape)
            else:
                self.ranks[name] = 2 if name[:1].isupper() else 1
                self.flexible.add(name)

    # -- traversal helpers ---------------------------------------------------------
    def _all_raw(self) -> list[Raw]:
        nodes = _walk(self.parsed.expr)
        for d in self.parsed.definitions:
            nodes.extend(_walk(d.body))
        return nodes

    def _in_order(self) -> list[Raw]:
        """Raw nodes in reading order (for naming by first appearance)."""
        nodes = self._all_raw()
        return sorted(nodes, key=lambda r: r.pos)

    def _is_variable(self, name: str) -> bool:
        if name in self.definitions or name == "I":
            return False
        if name in self.declared:
            return True
        return name not in self.dim_names

    # -- the main loop ---------------------------------------------------------------
    def build(self) -> Expr:
        for _ in range(len(self.order) + 2):
            unifier = Unifier()
            placeholders = _Placeholders(unifier)
            shapes = self._placeholder_shapes(unifier)
            try:
                with unifying(unifier):
                    self._build_expr(shapes, placeholders, final=False)
            except _Blame as blame:
                if self._repair(blame):
                    continue
                self._raise_readable(blame, placeholders, shapes)
            names = self._name_dims(unifier, shapes)
            concrete = {v: tuple(_named(unifier.resolve(d), names) for d in s)
                        for v, s in shapes.items()}
            resolver = _Resolver(placeholders, names)
            try:
                return self._build_expr(concrete, resolver, final=True)
            except _Blame as blame:  # pragma: no cover - inference guarantees success
                raise blame.error from None
        raise ShapeError("could not infer the shapes of the variables", self.text, 0)

    def _placeholder_shapes(self, unifier: Unifier) -> dict[str, Shape]:
        shapes: dict[str, Shape] = {}
        for name in self.order:
            if name in self.declared:
                shapes[name] = self.declared[name].shape
            else:
                shapes[name] = tuple(unifier.fresh() for _ in range(self.ranks[name]))
        return shapes

    def _repair(self, blame: _Blame) -> bool:
        changed = False
        for index, rank in blame.error.suspects:
            if index >= len(blame.operands):
                continue
            for r in _walk(blame.operands[index]):
                if (r.kind == "name" and r.value in self.flexible
                        and self.ranks.get(r.value) != rank):
                    self.ranks[r.value] = rank
                    self.flexible.discard(r.value)  # each variable is repaired once
                    changed = True
        return changed

    def _raise_readable(self, blame: _Blame, placeholders: _Placeholders,
                        shapes: dict[str, Shape]) -> None:
        """Re-run with readable dimension names so the message has no placeholders."""
        unifier = placeholders.unifier
        names = self._name_dims(unifier, shapes)
        concrete = {v: tuple(_named(unifier.resolve(d), names) for d in s)
                    for v, s in shapes.items()}
        try:
            self._build_expr(concrete, _Resolver(placeholders, names), final=True)
        except _Blame as again:
            raise again.error from None
        except MatcalcError:
            pass
        raise blame.error from None

    def _name_dims(self, unifier: Unifier, shapes: dict[str, Shape]) -> dict[str, str]:
        taken = set(self.dim_names) | set(self.order) | set(self.definitions) | RESERVED
        for decl in self.declared.values():
            taken.update(str(d) for d in decl.shape)
        classes: dict[Dim, None] = {}  # in order of first appearance
        square: set[Dim] = set()
        by_rank = sorted(self.order, key=lambda v: -len(shapes.get(v, ())))
        for v in by_rank:
            resolved = [unifier.resolve(d) for d in shapes.get(v, ())]
            if len(resolved) == 2 and resolved[0] == resolved[1]:
                square.add(resolved[0])
            for d in resolved:
                if is_placeholder(d):
                    classes.setdefault(d, None)
        for d in list(unifier.parent) + [f"?{i}" for i in range(1, unifier.counter + 1)]:
            root = unifier.resolve(d)
            if is_placeholder(root):
                classes.setdefault(root, None)
        used = set(taken)
        pool = (name for name in itertools.chain(NAME_POOL, (f"d{i}" for i in itertools.count(1)))
                if name not in used)  # as many names as needed: A0 @ A1 @ ... @ A2000
        names: dict[str, str] = {}
        single = len(classes) == 1
        for cls in classes:
            choice = "n" if (cls in square or single) and "n" not in used else next(pool)
            used.add(choice)
            names[str(cls)] = choice
        return names

    # -- building one expression -------------------------------------------------------
    def _build_expr(self, shapes: dict[str, Shape], dims: Any, final: bool) -> Expr:
        self._shapes = shapes
        self._dims = dims  # Unifier (first passes) or _Resolver (final)
        self._identity_dims: dict[int, Dim] = {}
        built: dict[int, Expr] = {}
        definitions_built: dict[str, Expr] = {}
        in_progress: set[str] = set()

        def children(r: Raw) -> list[Raw]:
            if r.kind == "name" and r.value in self.definitions:
                return [self.definitions[r.value].body]
            if r.kind == "call" and r.value in DIM_FUNCTIONS | {"unvec": None, "reshape": None}:
                return r.children[:1] if r.value in ("unvec", "reshape") else []
            if r.kind == "call" and r.value == "einsum":
                return r.children[1:]
            if r.kind in CHAINS:  # a + b - c + ...: the operands, not the partial sums
                spine = _spine(r)
                return [spine[0].children[0]] + [n.children[1] for n in spine]
            return r.children

        root = self.parsed.expr
        stack: list[tuple[Raw, bool]] = [(root, False)]
        while stack:
            r, expanded = stack.pop()
            if id(r) in built:
                continue
            kids = children(r)
            if not expanded:
                if r.kind == "name" and r.value in self.definitions:
                    if r.value in in_progress:
                        raise ParseError(f"{r.value} is defined in terms of itself",
                                         self.text, r.pos)
                    if r.value in definitions_built:
                        built[id(r)] = definitions_built[r.value]
                        continue
                    in_progress.add(r.value)
                stack.append((r, True))
                for k in reversed(kids):
                    if id(k) not in built:
                        stack.append((k, False))
                continue
            args = [built[id(k)] for k in kids]
            try:
                node = self._node(r, args)
            except ShapeError as e:
                if not e.text:
                    e.at(self.text, r.pos)
                raise _Blame(e, self._operands(r)) from None
            except MatcalcError as e:
                if not e.text:
                    e.at(self.text, r.pos)
                raise
            built[id(r)] = node
            if r.kind == "name" and r.value in self.definitions:
                definitions_built[r.value] = node
                in_progress.discard(r.value)
        return built[id(root)]

    def _operands(self, r: Raw) -> list[Raw]:
        if r.kind == "call" and r.value == "einsum":
            return r.children[1:]
        return r.children

    def _node(self, r: Raw, args: list[Expr]) -> Expr:
        k = r.kind
        if k == "number":
            try:
                return c.const(r.value)
            except (ValueError, ZeroDivisionError, OverflowError):
                raise ParseError(f"{r.value!r} is not a number", self.text, r.pos) from None
        if k == "name":
            return self._name(r, args)
        if k == "string":
            raise ParseError("a string may only be einsum's first argument", self.text, r.pos)
        if k in CHAINS:
            return self._chain(_spine(r), args)
        if k == "neg":
            return c.neg(args[0])
        if k == "pow":
            return c.power(args[0], args[1])
        if k == "transpose":
            return c.transpose(args[0])
        if k == "call":
            return self._call(r, args)
        raise ParseError(f"internal: unknown raw node {k!r}", self.text, r.pos)

    def _chain(self, spine: list[Raw], args: list[Expr]) -> Expr:
        """A left-associated chain ``a + b - c ...`` or ``a * b / c @ d ...`` built at once.

        Building it pair by pair would flatten the partial sum again at every step,
        quadratic in its length.  Each step's shapes are checked as the pair would be;
        when one does not fit, that pair is built to raise the error it gives.
        """
        if CHAINS[spine[0].kind] == "sum":
            first = args[0] if args[0].shape else None
            terms = [args[0]]
            for n, e in zip(spine, args[1:], strict=True):
                if e.shape and first is not None and not shapes_equal(first.shape, e.shape):
                    self._step_error(n, c.add(*terms), e)
                first = first or (e if e.shape else None)
                terms.append(e if n.kind == "add" else c.neg(e))
            return c.add(*terms)
        run = "mul"  # the kind of the current run of factors: "mul" (* and /) or "matmul"
        factors = [args[0]]
        shape = args[0].shape  # of the product so far
        for n, e in zip(spine, args[1:], strict=True):
            kind = "matmul" if n.kind == "matmul" else "mul"
            if kind != run and len(factors) > 1:
                factors = [_product(run, factors)]
            run = kind
            try:
                if kind == "matmul":
                    shape = c.matmul_shape(shape, e.shape, c.ShapeOnly(shape), e)
                elif (n.kind == "div" and c.is_zero(e)) or (
                        shape and e.shape and not shapes_equal(shape, e.shape)):
                    raise ShapeError("")
                else:
                    shape = shape or e.shape
            except ShapeError:
                self._step_error(n, _product(run, factors), e)
            factors.append(c.div(c.const(1), e) if n.kind == "div" else e)
        return _product(run, factors)

    def _step_error(self, n: Raw, left: Expr, right: Expr) -> None:
        """Build the pair ``left <op> right`` of chain node ``n`` to raise its shape error."""
        build = {"add": c.add, "sub": c.sub, "mul": c.mul, "div": c.div, "matmul": c.matmul}
        try:
            build[n.kind](left, right)
        except ShapeError as e:
            if not e.text:
                e.at(self.text, n.pos)
            raise _Blame(e, n.children) from None

    def _name(self, r: Raw, args: list[Expr]) -> Expr:
        name = r.value
        if not name.isidentifier():
            raise ParseError(f"{name!r} is not a valid name", self.text, r.pos)
        if name in self.definitions:
            return args[0]
        if name == "I":
            return c.eye(self._identity_dim(r))
        if name == "where":
            raise ParseError("'where' introduces declarations and comes after the expression, "
                             "as in: A @ x where A: matrix(m, n)", self.text, r.pos)
        if name in RESERVED or lookup_elementwise(name) is not None:
            raise ParseError(f"{name} is a function; call it as {name}(...)", self.text, r.pos)
        if not self._is_variable(name):
            return c.dim(name)
        decl = self.declared.get(name)
        structure = decl.structure if decl else ""
        return c.var(name, self._shapes[name], structure)

    def _identity_dim(self, r: Raw) -> Dim:
        if id(r) not in self._identity_dims:
            self._identity_dims[id(r)] = self._dims.identity_dim(id(r))
        return self._identity_dims[id(r)]

    def _call(self, r: Raw, args: list[Expr]) -> Expr:
        name = r.value
        if not name.isidentifier():
            raise ParseError(f"{name!r} is not a valid function name", self.text, r.pos)
        if name in DIM_FUNCTIONS:
            lo, hi = DIM_FUNCTIONS[name]
            self._arity(r, lo, hi)
            dims = [self._dim_arg(a) for a in r.children]
            if name == "eye":
                return c.eye(dims[0])
            return c.ones(tuple(dims)) if name == "ones" else c.zeros(tuple(dims))
        if name == "einsum":
            if not r.children or r.children[0].kind != "string":
                raise ParseError('einsum needs a spec string first, as in einsum("ij,jk->ik", '
                                 "A, B)", self.text, r.pos)
            if len(r.children) < 2:
                raise ParseError("einsum needs at least one operand", self.text, r.pos)
            return build_einsum(r.children[0].value, tuple(args))
        if name == "reshape":
            if len(r.children) < 2:
                raise ParseError("reshape takes an array and its new dimensions", self.text,
                                 r.pos)
            return c.reshape(args[0], tuple(self._dim_arg(a) for a in r.children[1:]))
        if name == "unvec":
            self._arity(r, 3, 3)
            return c.unvec(args[0], self._dim_arg(r.children[1]), self._dim_arg(r.children[2]))
        if any(a.kind == "string" for a in r.children):
            raise ParseError(f"{name} takes no string arguments", self.text, r.pos)
        if name in UNARY:
            self._arity(r, 1, 1)
            return UNARY[name](args[0])
        if name in BINARY:
            self._arity(r, 2, 2)
            return BINARY[name](args[0], args[1])
        if lookup_elementwise(name) is not None:
            self._arity(r, 1, 1)
            return c.fn(name, args[0])
        raise ParseError(f"unknown function {name!r}", self.text, r.pos)

    def _arity(self, r: Raw, lo: int, hi: int) -> None:
        n = len(r.children)
        if not lo <= n <= hi:
            want = str(lo) if lo == hi else f"{lo} or {hi}"
            raise ParseError(f"{r.value} takes {want} argument{'s' if hi != 1 else ''}, "
                             f"got {n}", self.text, r.pos)

    def _dim_arg(self, a: Raw) -> Dim:
        if a.kind == "number" and a.value.isdigit() and int(a.value) >= 1:
            return int(a.value)
        if a.kind == "name" and a.value not in self.declared:
            return a.value
        if a.kind == "mul":  # a product of dimensions, m*p
            from matcalc.core.dims import product_dim

            return product_dim(self._dim_arg(k) for k in a.children)
        raise ParseError("expected a dimension (a name, a positive integer or a product "
                         "of them)", self.text, a.pos)


def _spine(r: Raw) -> list[Raw]:
    """The operator nodes of the left-associated chain that ends at ``r``, first to last."""
    family = CHAINS[r.kind]
    nodes = [r]
    while CHAINS.get(nodes[-1].children[0].kind) == family:
        nodes.append(nodes[-1].children[0])
    nodes.reverse()
    return nodes


def _product(run: str, factors: list[Expr]) -> Expr:
    return c.matmul(*factors) if run == "matmul" else c.mul(*factors)


def _named(d: Dim, names: dict[str, str]) -> Dim:
    if isinstance(d, str) and "?" in d:
        return "*".join(names.get(p, p) for p in d.split("*"))
    return d


class _Blame(Exception):
    """A shape error together with the raw operands of the node that raised it."""

    def __init__(self, error: ShapeError, operands: list[Raw]):
        super().__init__(str(error))
        self.error = error
        self.operands = operands


class _Placeholders:
    """First passes: each bare ``I`` gets its own placeholder dimension."""

    def __init__(self, unifier: Unifier):
        self.unifier = unifier
        self.identities: dict[int, str] = {}

    def identity_dim(self, key: int) -> Dim:
        if key not in self.identities:
            self.identities[key] = self.unifier.fresh()
        return self.identities[key]


class _Resolver:
    """Final pass: the placeholder of each bare ``I`` resolved and named."""

    def __init__(self, placeholders: _Placeholders, names: dict[str, str]):
        self.placeholders = placeholders
        self.names = names

    def identity_dim(self, key: int) -> Dim:
        d = self.placeholders.unifier.resolve(self.placeholders.identity_dim(key))
        return self.names.get(d, d) if isinstance(d, str) else d
