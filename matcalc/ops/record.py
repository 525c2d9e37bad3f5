"""The operator records: what every stage needs to know about one kind of node.

Each node kind (``Expr.op``) has one :class:`Op`, and each elementwise function
(a ``fn`` node's name) one :class:`Function`.  The constructor of an operator and
its record sit together in one module of :mod:`matcalc.ops`; the stages —
parser, simplifier, printers, evaluator, code generator, verify, the second
opinion and the fuzzer — read the record instead of keeping tables of their
own, so an operator is added in one place (plus its derivative rule, which is
written in contractions a layer above, in :mod:`matcalc.calculus.rules`).

The registry is filled as the modules of :mod:`matcalc.ops` are imported, and
by :func:`matcalc.register_function` for a user's function;
:func:`matcalc.ops.registry_complete` checks that every entry a stage needs is
there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from matcalc.core.errors import MatcalcError

if TYPE_CHECKING:
    from matcalc.core.expr import Expr

Array = Any  # a NumPy array or scalar
Rebuild = Callable[["Expr", tuple["Expr", ...]], "Expr"]


@dataclass(frozen=True)
class Fuzz:
    """One production of the fuzzer's grammar: ``call(operands)`` of a given result.

    ``result`` and ``operands`` are kinds the fuzzer knows how to draw:
    ``scalar``, ``vector``, ``product-vector`` (length m*n), ``matrix``,
    ``square``, ``invertible`` (well conditioned), ``spd``, ``positive-vector``.
    """

    weight: float
    result: str
    operands: tuple[str, ...]
    call: str = ""  # the name written, if not the operator's first call name


@dataclass(frozen=True)
class Call:
    """A name of the language's call syntax: ``name(operands)`` builds ``build(*operands)``."""

    name: str
    build: Callable[..., Expr]
    arity: int = 1
    # options after the operands, by keyword or position (``sum(X, axis=0)``, ``sum(X, 0)``,
    # ``norm(x, inf)``): ``build(*operands, **{keyword: value})`` with ``value`` an int, a
    # Fraction or the text ``"inf"``
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Op:
    """One kind of node.

    ``rebuild(node, operands)`` gives ``node`` with new operands, through the
    constructor, so canonical forms are kept.  ``calls`` are the names the
    language's call syntax builds this node with (``tr`` and ``trace``; ``dot``
    and ``outer`` build matrix products); leaves and infix operators have none.
    ``numpy(*arrays)`` is the value (``numpy(*arrays, shape=...)`` with
    ``shaped``); ``code`` the NumPy expression written into
    generated modules, ``{0}``, ``{1}`` the operands' code and ``{shape}`` the
    result's shape, calling ``helpers`` (functions of :mod:`matcalc.ops.kernels`
    whose source the module carries); ``codes`` the template for another backend
    of :func:`matcalc.codegen` where the NumPy one, with ``np.`` read as that
    library's namespace, does not fit (``{"torch": "torch.diagonal({0}).clone()"}``);
    ``stem`` names the module's temporaries.
    ``text`` and ``latex`` are the name the generic call printers use (``None``:
    the printer has its own method).  ``domain`` is what sampling must respect
    (``invertible``, ``positive``, ``unit``), ``kink`` the branch verify watches
    near a point (``sign``, ``absmax``, ``argmax``, ``detsign``).  ``sympy`` is
    the value over NumPy object arrays of SymPy entries (the second opinion):
    ``sympy(node, operands, context)`` with ``operands`` the operands' entries
    and ``context`` a :class:`matcalc.ops.sympy_arrays.Context` (the sizes of
    the dimensions and the variables' entries), so that leaves and operators
    that read their node (``einsum``'s subscripts, ``unvec``'s shape) have one
    signature with the others; ``fn`` applies its function's ``sympy``.

    ``options`` is what the text form writes after the operands (``", axis=0"``:
    one record per axis, so that values and code need no parameter).
    """

    name: str
    arity: int | None  # operands; None for any number (add, mul, matmul, einsum)
    rebuild: Rebuild | None = None
    calls: tuple[Call, ...] = ()
    numpy: Callable[..., Array] | None = None
    shaped: bool = False
    code: str | None = None
    helpers: tuple[str, ...] = ()
    codes: Mapping[str, str] = field(default_factory=dict, compare=False)  # backend -> template
    stem: str = "t"
    text: str | None = None
    options: str = ""  # written after the operands in the text call form: ", axis=0"
    latex: str | None = None
    domain: str = ""
    kink: str = ""
    sympy: Callable[..., Any] | None = None
    fuzz: tuple[Fuzz, ...] = ()
    leaf: bool = False


@dataclass(frozen=True)
class Function:
    """One elementwise function (a ``fn`` node with this name).

    ``derivative(u)`` is ``f'(u)`` as an expression (``None``: no derivative
    known); ``numpy`` its value (a function of :mod:`matcalc.ops.kernels` where
    it needs care, so generated code carries the same implementation, named by
    ``helpers``), ``code`` the NumPy callable written into generated modules
    (``None``: a user's function, which a standalone module cannot contain),
    ``codes`` the callable for another backend where ``code`` with ``np.`` read
    as that library's namespace does not fit (kernels ``_name`` keep their name:
    each backend carries its own source of them).
    ``sympy`` is its SymPy form (a callable that imports SymPy when applied:
    :func:`matcalc.ops.sympy_arrays.function`); ``sympy_head`` the name of the
    SymPy function (``"exp"`` for ``sympy.exp``) that translates back to it,
    ``opaque`` whether the scalar simplifier keeps it as a symbol.  ``domain``
    (``positive``, ``unit``), ``kink`` (``sign``, ``tan``) and ``periodic``
    tell sampling and verify where to draw points; ``fuzz`` is the function's weight in the fuzzer.
    """

    name: str
    numpy: Callable[[Array], Array]
    derivative: Callable[[Expr], Expr] | None
    latex: str
    code: str | None = None
    helpers: tuple[str, ...] = ()
    codes: Mapping[str, str] = field(default_factory=dict, compare=False)  # backend -> callable
    source: str | None = None  # a user's function: the source generated modules carry
    sympy: Callable[[Any], Any] | None = None
    sympy_head: str | None = None  # sympy.<name>, the function that reads back as this
    opaque: bool = False  # kept as a symbol when simplifying with SymPy
    domain: str = ""
    kink: str = ""
    periodic: bool = False
    fuzz: float = 0.0
    builtin: bool = True


OPS: dict[str, Op] = {}
FUNCTIONS: dict[str, Function] = {}


def register(*records: Op) -> None:
    for r in records:
        OPS[r.name] = r


def register_function_record(record: Function) -> None:
    existing = FUNCTIONS.get(record.name)
    if existing is not None and existing.builtin and not record.builtin:
        raise MatcalcError(f"{record.name!r} is a built-in function and cannot be redefined")
    FUNCTIONS[record.name] = record


def op(name: str) -> Op:
    """The record of node kind ``name``; a missing one is an error that names it."""
    record = OPS.get(name)
    if record is None:
        raise MatcalcError(f"no operator record for {name!r}")
    return record


def function(name: str) -> Function | None:
    """The record of the elementwise function ``name``, or None."""
    return FUNCTIONS.get(name)


def calls() -> dict[str, Call]:
    """The language's call names (``tr``, ``trace``, ``dot``, ...) and what they build."""
    return {c.name: c for r in OPS.values() for c in r.calls}
