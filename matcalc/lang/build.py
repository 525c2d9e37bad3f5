"""Raw tree → typed expression for given variable shapes, with the ordinary constructors.

One build walks the raw tree bottom-up (an explicit stack: inputs may be deeply
nested), resolves each name to its variable, dimension or definition and each
call to its constructor (the tables of :mod:`matcalc.lang.surface`).  A shape
error is raised as :class:`Blame`, which carries the raw operands of the node
that failed, so that inference can change the rank of a variable in them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Protocol

from matcalc.algebra.contraction import build_einsum
from matcalc.core.dims import (
    Dim,
    Shape,
    active_unifier,
    format_shape,
    is_placeholder,
    product_dim,
)
from matcalc.core.errors import MatcalcError, ParseError, ShapeError
from matcalc.core.expr import Expr
from matcalc.core.names import remember_names
from matcalc.lang.habits import unknown_function
from matcalc.lang.parser import CHAINS, Parsed, Raw, chain_spine
from matcalc.lang.readings import Readings, written
from matcalc.lang.scope import Scope, lone_name
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
from matcalc.ops.record import Call


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
        self.leaf_uses: Counter[str] = Counter()
        self.node_shapes: dict[int, Shape] = {}  # of each raw node in the last build
        self.readings: Readings | None = None  # set for the final build only

    def build(self, shapes: dict[str, Shape], dims: IdentityDims,
              tolerate: Callable[[Blame], bool] | None = None) -> Expr | None:
        """The expression with these variable shapes; raises :class:`Blame` on a shape error.

        With ``tolerate``, a shape error it accepts (it repaired the shapes for the
        next build) does not end the build: the failed node's unifications are
        taken back, it and the nodes above it are skipped, the rest is built, so
        that one build finds every independent repair; the result is then None.
        """
        self.node_shapes = {}
        self._shapes = shapes
        self._dims = dims  # placeholders (first passes) or resolved names (final)
        self._identity_dims = {}
        self.leaf_uses = Counter()  # built occurrences of each variable, this build
        definitions = self.scope.definitions
        built: dict[int, Expr] = {}
        failed: set[int] = set()  # raw nodes skipped after a tolerated shape error
        unifier = active_unifier()
        definitions_built: dict[str, Expr] = {}
        in_progress: set[str] = set()
        root = self.parsed.expr
        stack: list[tuple[Raw, bool]] = [(root, False)]
        while stack:
            r, expanded = stack.pop()
            if id(r) in built or id(r) in failed:
                continue
            kids = self._children(r)
            if expanded and any(id(k) in failed for k in kids):
                failed.add(id(r))
                if r.kind == "name":
                    in_progress.discard(r.value)
                continue
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
            mark = unifier.mark() if unifier is not None else 0
            try:
                node = self._node(r, args)
            except ShapeError as e:
                if not e.text:
                    e.at(self.text, r.pos)
                self._quote_written(e, kids, args)
                blame = Blame(e, self._operands(r))
                if tolerate is None or not tolerate(blame):
                    raise blame from None
                if unifier is not None:
                    unifier.undo(mark)
                failed.add(id(r))
                continue
            except Blame as blame:  # a chain's step (_step_error)
                if tolerate is None or not tolerate(blame):
                    raise
                if unifier is not None:
                    unifier.undo(mark)
                failed.add(id(r))
                continue
            except MatcalcError as e:
                if not e.text:
                    e.at(self.text, r.pos)
                raise
            built[id(r)] = node
            self.node_shapes[id(r)] = node.shape
            if self.readings is not None:
                self.readings.see(r, kids, args)
            if r.kind == "name" and r.value in definitions:
                definitions_built[r.value] = node
                in_progress.discard(r.value)
            elif r.kind == "name" and node.op == "var":
                self.leaf_uses[r.value] += 1
        if failed:
            return None
        result = built[id(root)]
        remember_names(result, definitions_built)  # printed by these names (core.names)
        return result

    def only_here(self, name: str, blame: Blame) -> bool:
        """Whether every occurrence of variable ``name`` built so far is an operand of
        the node that failed, so that no rule that succeeded has unified its dimensions."""
        direct = sum(1 for r in blame.operands if r.kind == "name" and r.value == name)
        return self.leaf_uses[name] == direct

    def _quote_written(self, e: ShapeError, kids: list[Raw], args: list[Expr]) -> None:
        """Quote the operands in ``e`` as the user wrote them, not in their canonical form."""
        message = e.message
        for k, a in sorted(zip(kids, args, strict=False), key=lambda ka: -len(str(ka[1]))):
            canonical, as_written = str(a), written(self.text, k)
            if as_written and canonical != as_written and len(canonical) > 1:
                message = message.replace(canonical, as_written)
        if message != e.message:
            e.reword(message)

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
            spine = chain_spine(r)
            return [spine[0].children[0]] + [n.children[1] for n in spine]
        if r.kind == "call":  # options (axis=0, a norm's order) are read, not built
            call = CALLS.get(r.value)
            operands = [k for k in r.children if k.kind != "keyword"]
            return operands[:call.arity] if call is not None and call.keywords else operands
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
            return self._chain(chain_spine(r), args)
        if k in PREFIX:
            return PREFIX[k](args[0])
        if k == "pow":
            self._transpose_habit(r)
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
                if e.shape and first is not None and c.fits(first.shape, e.shape) is None:
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
                elif (n.kind == "div" and c.is_zero(e)) or c.fits(shape, e.shape) is None:
                    raise ShapeError("")
                else:  # scalars and vectors broadcast (X @ W + b)
                    shape = c.fits(shape, e.shape) or ()
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
            if n.kind in ("mul", "div") and _only_matmul_fits(left.shape, right.shape):
                lt, rt = written(self.text, n.children[0]), written(self.text, n.children[1])
                e.reword(f"{lt} {'*' if n.kind == 'mul' else '/'} {rt} is elementwise and needs "
                         f"equal shapes, {format_shape(left.shape)} and "
                         f"{format_shape(right.shape)} differ; for the matrix product write "
                         f"{lt} @ {rt}" if n.kind == "mul" else
                         f"{lt} / {rt} is elementwise and needs equal shapes; to solve a "
                         f"linear system write {lt} @ inv({rt})")
            else:
                self._quote_written(e, n.children, [left, right])
            if n.kind in ("mul", "div"):
                # a lone name (s, 2*s) beside a factor it does not fit is a scalar: with
                # one, * and / always type-check (s * A broadcasts s, s * A + s * y cannot)
                lone = tuple((i, 0) for i, k in enumerate(n.children) if self._lone_name(k))
                e.suspects = lone + tuple(s for s in e.suspects if s[0] not in dict(lone))
            raise Blame(e, n.children) from None

    def _lone_name(self, raw: Raw) -> bool:
        """Whether ``raw`` is one undeclared variable with numbers only (``s``, ``2*s``)."""
        name = lone_name(raw)
        scope = self.scope
        return name is not None and name not in scope.declared and \
            name not in scope.definitions and scope.is_variable(name)

    def _transpose_habit(self, r: Raw) -> None:
        """``x^T`` with ``T`` not declared: the transpose habit of the course notes."""
        exponent = r.children[1]
        if (exponent.kind == "name" and exponent.value in ("T", "H", "top")
                and exponent.value not in self.scope.declared
                and exponent.value not in self.scope.dim_names):
            base = written(self.text, r.children[0])
            raise ParseError(f"{written(self.text, r)} would be {base} to the power of a "
                             f"variable {exponent.value}: the transpose is written {base}' or "
                             f"{base}.T (declare {exponent.value}: scalar if you mean the power)",
                             self.text, exponent.pos)

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
        if name == "pi" and not self.scope.is_variable(name):
            return c.pi()
        if name == "inf" and not self.scope.is_variable(name):
            raise ParseError("inf is only the order of a norm, as in norm(x, inf); declare it "
                             "(where inf: scalar) to use the name otherwise", self.text, r.pos)
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
        if name in ("max", "min") and len(r.children) == 2 and (
                r.children[0].kind == "number" or (args[0].ndim == 1
                                                   and r.children[1].kind == "number")):
            x = written(self.text, r.children[1 if r.children[0].kind == "number" else 0])
            bound = written(self.text, r.children[0 if r.children[0].kind == "number" else 1])
            hint = f"relu({x})" if name == "max" and float(bound) == 0 else (
                f"{name}({x}) for its {'largest' if name == 'max' else 'smallest'} entry")
            raise ParseError(f"{written(self.text, r)} is not an elementwise {name} with a number "
                             f"here ({name}'s second argument is an axis): write {hint}",
                             self.text, r.pos)
        call = CALLS.get(name)
        if call is not None and call.keywords:
            return call.build(*args, **self._options(r, call))
        keyword = next((k for k in r.children if k.kind == "keyword"), None)
        if keyword is not None:
            raise ParseError(f"{name} takes no keyword arguments ({keyword.value}=)", self.text,
                             keyword.pos)
        if call is not None:
            self._arity(r, call.arity, call.arity)
            return call.build(*args)
        if is_elementwise(name):
            self._arity(r, 1, 1)
            return elementwise(name, args[0])
        arguments = ", ".join(written(self.text, a) for a in r.children)
        raise ParseError(unknown_function(name, arguments), self.text, r.pos)

    def _options(self, r: Raw, call: Call) -> dict[str, object]:
        """The options of call ``r`` after its operands, by position or keyword."""
        positional = [k for k in r.children if k.kind != "keyword"]
        if not call.arity <= len(positional) <= call.arity + len(call.keywords):
            self._arity(r, call.arity, call.arity + len(call.keywords))
        options = {name: self._option(k, name, r.value)
                   for name, k in zip(call.keywords, positional[call.arity:], strict=False)}
        for k in r.children:
            if k.kind != "keyword":
                continue
            if k.value not in call.keywords:
                accepted = ", ".join(f"{w}=" for w in call.keywords)
                raise ParseError(f"{r.value} takes the keyword {accepted} , not {k.value}=",
                                 self.text, k.pos)
            if k.value in options:
                raise ParseError(f"{r.value}'s {k.value} is given twice", self.text, k.pos)
            options[k.value] = self._option(k.children[0], k.value, r.value)
        return options

    def _option(self, a: Raw, keyword: str, name: str) -> object:
        """An option's value: a number (an int where it is whole), or ``"inf"``."""
        negative = a.kind == "neg"
        if negative:
            a = a.children[0]
        if a.kind == "number":
            value = c.number(a.value)
            return -value if negative else value
        if a.kind == "name" and a.value == "inf" and not negative:
            return "inf"
        what = "a number or inf" if keyword == "ord" else "a whole number: 0 or 1"
        raise ParseError(f"{name}'s {keyword} is {what}, written out", self.text, a.pos)

    def _arity(self, r: Raw, lo: int, hi: int) -> None:
        n = len(r.children)
        if not lo <= n <= hi:
            want = str(lo) if lo == hi else f"{lo} or {hi}"
            raise ParseError(f"{r.value} takes {want} argument{'s' if hi != 1 else ''}, "
                             f"got {n}", self.text, r.pos)

    def _dim_arg(self, a: Raw) -> Dim:
        if a.kind == "number" and a.value.isdigit() and len(a.value) > c.MAX_DIGITS:
            raise ParseError(f"a dimension has at most {c.MAX_DIGITS} digits", self.text, a.pos)
        if a.kind == "number" and a.value.isdigit() and int(a.value) >= 1:
            return int(a.value)
        if a.kind == "name" and a.value not in self.scope.declared:
            name: str = a.value
            return name
        if a.kind == "mul":  # a product of dimensions, m*p
            return product_dim(self._dim_arg(k) for k in a.children)
        raise ParseError("expected a dimension (a name, a positive integer or a product "
                         "of them)", self.text, a.pos)


def _only_matmul_fits(left: Shape, right: Shape) -> bool:
    """Whether ``left @ right`` fits (concrete shapes of arrays that are not equal)."""
    if not left or not right or any(is_placeholder(d) for d in (*left, *right)):
        return False
    return len(left) == 2 and len(right) in (1, 2) and left[1] == right[0] and left != right


def _product(run: str, factors: list[Expr]) -> Expr:
    return c.matmul(*factors) if run == "matmul" else c.mul(*factors)
