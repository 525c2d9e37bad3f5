"""Raw tree → typed expression for given variable shapes, with the ordinary constructors.

One build walks the raw tree bottom-up (an explicit stack: inputs may be deeply
nested), resolves each name to its variable, dimension or definition and each
call to its constructor (the tables of :mod:`matcalc.lang.surface`).  A shape
error is raised as :class:`Blame`, which carries the raw operands of the node
that failed, so that inference can change the rank of a variable in them.
"""

from __future__ import annotations

from typing import Protocol

from matcalc.algebra.contraction import build_einsum
from matcalc.core.dims import Dim, Shape, product_dim, shapes_equal
from matcalc.core.errors import MatcalcError, ParseError, ShapeError
from matcalc.core.expr import Expr
from matcalc.core.names import remember_names
from matcalc.lang.parser import CHAINS, Parsed, Raw
from matcalc.lang.scope import Scope
from matcalc.lang.surface import (
    CALLS,
    DIM_FUNCTIONS,
    INFIX,
    PREFIX,
    RESERVED,
    elementwise,
    is_elementwise,
)
from matcalc.ops import construct as c


class Blame(Exception):
    """A shape error together with the raw operands of the node that raised it."""

    def __init__(self, error: ShapeError, operands: list[Raw]):
        super().__init__(str(error))
        self.error = error
        self.operands = operands


class IdentityDims(Protocol):
    """Where the size of each bare ``I`` comes from (keyed by its raw node)."""

    def identity_dim(self, key: int) -> Dim: ...


class ExprBuilder:
    """Builds the expression of one parsed text, as often as inference asks."""

    def __init__(self, text: str, parsed: Parsed, scope: Scope):
        self.text = text
        self.parsed = parsed
        self.scope = scope
        self._shapes: dict[str, Shape] = {}
        self._dims: IdentityDims | None = None
        self._identity_dims: dict[int, Dim] = {}

    def build(self, shapes: dict[str, Shape], dims: IdentityDims) -> Expr:
        """The expression with these variable shapes; raises :class:`Blame` on a shape error."""
        self._shapes = shapes
        self._dims = dims  # placeholders (first passes) or resolved names (final)
        self._identity_dims = {}
        definitions = self.scope.definitions
        built: dict[int, Expr] = {}
        definitions_built: dict[str, Expr] = {}
        in_progress: set[str] = set()
        root = self.parsed.expr
        stack: list[tuple[Raw, bool]] = [(root, False)]
        while stack:
            r, expanded = stack.pop()
            if id(r) in built:
                continue
            kids = self._children(r)
            if not expanded:
                if r.kind == "name" and r.value in definitions:
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
                raise Blame(e, self._operands(r)) from None
            except MatcalcError as e:
                if not e.text:
                    e.at(self.text, r.pos)
                raise
            built[id(r)] = node
            if r.kind == "name" and r.value in definitions:
                definitions_built[r.value] = node
                in_progress.discard(r.value)
        result = built[id(root)]
        remember_names(result, definitions_built)  # printed by these names (core.names)
        return result

    def _children(self, r: Raw) -> list[Raw]:
        """The raw nodes whose expressions ``r`` is built from."""
        if r.kind == "name" and r.value in self.scope.definitions:
            return [self.scope.definitions[r.value].body]
        if r.kind == "call" and r.value in DIM_FUNCTIONS:
            return []
        if r.kind == "call" and r.value in ("unvec", "reshape"):
            return r.children[:1]
        if r.kind == "call" and r.value == "einsum":
            return r.children[1:]
        if r.kind in CHAINS:  # a + b - c + ...: the operands, not the partial sums
            spine = _spine(r)
            return [spine[0].children[0]] + [n.children[1] for n in spine]
        return r.children

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
        if k in PREFIX:
            return PREFIX[k](args[0])
        if k in INFIX:
            return INFIX[k](args[0], args[1])
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
                    # the constructor's own shape rule (it unifies placeholders); its
                    # error is not kept, _step_error raises the pair's.  The partial
                    # product is not built, a shape stands for it.
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
        try:
            INFIX[n.kind](left, right)
        except ShapeError as e:
            if not e.text:
                e.at(self.text, n.pos)
            raise Blame(e, n.children) from None

    def _name(self, r: Raw, args: list[Expr]) -> Expr:
        name = r.value
        if not name.isidentifier():
            raise ParseError(f"{name!r} is not a valid name", self.text, r.pos)
        if name in self.scope.definitions:
            return args[0]
        if name == "I":
            return c.eye(self._identity_dim(r))
        if name == "where":
            raise ParseError("'where' introduces declarations and comes after the expression, "
                             "as in: A @ x where A: matrix(m, n)", self.text, r.pos)
        if name in RESERVED or is_elementwise(name):
            raise ParseError(f"{name} is a function; call it as {name}(...)", self.text, r.pos)
        if not self.scope.is_variable(name):
            return c.dim(name)
        decl = self.scope.declared.get(name)
        structure = decl.structure if decl else ""
        return c.var(name, self._shapes[name], structure)

    def _identity_dim(self, r: Raw) -> Dim:
        if id(r) not in self._identity_dims:
            assert self._dims is not None  # set by build()
            self._identity_dims[id(r)] = self._dims.identity_dim(id(r))
        return self._identity_dims[id(r)]

    def _call(self, r: Raw, args: list[Expr]) -> Expr:
        name = r.value
        if not name.isidentifier():
            raise ParseError(f"{name!r} is not a valid function name", self.text, r.pos)
        if name in DIM_FUNCTIONS:
            function = DIM_FUNCTIONS[name]
            self._arity(r, function.lo, function.hi)
            return function.build(tuple(self._dim_arg(a) for a in r.children))
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
        call = CALLS.get(name)
        if call is not None:
            self._arity(r, call.arity, call.arity)
            return call.build(*args)
        if is_elementwise(name):
            self._arity(r, 1, 1)
            return elementwise(name, args[0])
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
        if a.kind == "name" and a.value not in self.scope.declared:
            name: str = a.value
            return name
        if a.kind == "mul":  # a product of dimensions, m*p
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
