"""What ``matcalc serve`` answers: one request (plain JSON) in, one page of sections out.

A request is a JSON object whose fields are read by the table :data:`FIELDS`
(each field: its reader, which checks it and says what to write instead).  The
answer is ``{"ok": true, "sections": [...]}`` or ``{"ok": false, "error":
{"kind", "message"}}``; each section is ``{"id", "title", "blocks"}`` and each
block one of ``math`` (MathML with its LaTeX), ``text``, ``table`` or ``code``,
which the page renders without knowing what the section is.  So a new input
(the claimed derivative of ``check``, a presentation ``form``) is one reader in
:data:`FIELDS`, one builder in :data:`SECTIONS` and one input element on the page.

The input is parsed by matcalc, never evaluated as Python.  Every failure
becomes a message, never a traceback: a :class:`MatcalcError` keeps its caret.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matcalc.core.dims import derivative_split, format_shape
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr

__all__ = ["FIELDS", "MAX_EXPRESSION", "MAX_ORDER", "SECTIONS", "Request", "answer"]

MAX_EXPRESSION = 2000  # characters: a page for a person, not a batch service
MAX_ORDER = 4  # order-5 tensors of a matrix are too large to be worth showing

Json = dict[str, Any]


@dataclass
class Request:
    """The request's fields, read and checked."""

    expression: str = ""
    wrt: list[str] = field(default_factory=list)  # empty: every variable of f
    order: int = 1
    form: str = "array"  # or "differential", "vec" (SPEC section 3's presentations)
    claims: list[str] = field(default_factory=list)  # a claimed derivation, line by line


def _text(value: Any, what: str, example: str) -> str:
    """``value`` if it is text of at most :data:`MAX_EXPRESSION` characters."""
    if not isinstance(value, str):
        raise MatcalcError(f"the {what} must be text, {example}")
    if len(value) > MAX_EXPRESSION:
        raise MatcalcError(f"the {what} is {len(value)} characters long; this page takes "
                           f"at most {MAX_EXPRESSION} (use the command line or the library)")
    return value


def _expression(value: Any, req: Request) -> None:
    value = _text(value, "expression", "e.g. \"0.5*norm(y - A@x)^2\"")
    if not value.strip():
        raise MatcalcError("type an expression, e.g. \"0.5*norm(y - A@x)^2\"")
    req.expression = value


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _wrt(value: Any, req: Request) -> None:
    if not isinstance(value, str):
        raise MatcalcError("the variables must be text: names separated by commas, e.g. \"x, A\"")
    names = [n for n in re.split(r"[\s,]+", value.strip()) if n]
    for n in names:
        if not _NAME.fullmatch(n):
            raise MatcalcError(f"{n!r} is not a variable name; write names separated by "
                               "commas, e.g. \"x, A\"")
    req.wrt = list(dict.fromkeys(names))


def _order(value: Any, req: Request) -> None:
    try:
        order = int(value)
    except (TypeError, ValueError):
        raise MatcalcError(f"the order must be a whole number from 1 to {MAX_ORDER}, "
                           f"not {value!r}") from None
    if not 1 <= order <= MAX_ORDER:
        raise MatcalcError(f"the order must be from 1 to {MAX_ORDER}, not {order}")
    req.order = order


FORMS = ("array", "differential", "vec")


def _form(value: Any, req: Request) -> None:
    if value not in FORMS:
        raise MatcalcError(f"the form must be one of {', '.join(FORMS)}, not {value!r}")
    req.form = value


def _claims(value: Any, req: Request) -> None:
    value = _text(value, "claimed derivation", "one line per step")
    req.claims = [line.strip() for line in value.splitlines()
                  if line.strip() and not line.strip().startswith("#")]


# request field -> its reader (a new input of the page is one entry here)
FIELDS: dict[str, Callable[[Any, Request], None]] = {
    "expression": _expression, "wrt": _wrt, "order": _order, "form": _form,
    "claim": _claims,
}


def read_request(payload: Any) -> Request:
    if not isinstance(payload, dict):
        raise MatcalcError("the request must be a JSON object such as "
                           "{\"expression\": \"x^2\", \"wrt\": \"x\", \"order\": 1}")
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        raise MatcalcError(f"unknown field(s) {', '.join(unknown)}; the fields are "
                           f"{', '.join(FIELDS)}")
    req = Request()
    for name, reader in FIELDS.items():
        if name in payload:
            reader(payload[name], req)
    if not req.expression:
        raise MatcalcError("type an expression, e.g. \"0.5*norm(y - A@x)^2\"")
    return req


# ----------------------------------------------------------------------------------------
# blocks


def math_block(latex: str, display: bool = True) -> Json:
    from matcalc.printing.mathml import to_mathml

    return {"kind": "math", "latex": latex, "mathml": to_mathml(latex, display=display)}


def text_block(text: str) -> Json:
    return {"kind": "text", "text": text}


# ----------------------------------------------------------------------------------------
# sections: each builder reads the parsed function and the request


@dataclass
class Work:
    """What the builders share: the request, the function, its derivatives."""

    req: Request
    f: Expr
    derivatives: dict[str, Any] = field(default_factory=dict)  # name -> Expr | Derivation


def _function(w: Work) -> list[Json]:
    from matcalc.printing.latex import latex_name, shape_latex

    f = w.f
    where_tex, where_txt = [], []
    for name, v in sorted(f.variables().items()):
        kind = f"{v.structure} " if v.structure else ""
        where_txt.append(f"{name}: {kind}{format_shape(v.shape)}")
        note = rf"\ \text{{({v.structure})}}" if v.structure else ""
        where_tex.append(rf"{latex_name(name)[0]} \in {shape_latex(v.shape)}{note}")
    blocks = [math_block(rf"f = {f.latex()} \in {shape_latex(f.shape)}"),
              text_block(f"f = {f}    ({format_shape(f.shape)})")]
    if where_tex:
        blocks += [math_block(r"\text{where}\quad " + r",\quad ".join(where_tex)),
                   text_block("where " + ", ".join(where_txt))]
    return [{"id": "function", "title": "Function", "blocks": blocks}]


def _derivatives(w: Work) -> list[Json]:
    from matcalc.calculus.differentiate import diff
    from matcalc.calculus.steps import Derivation

    sections = []
    for x in w.req.wrt:
        result: Any = w.f
        for _ in range(w.req.order - 1):
            result = diff(result, x)
        if w.req.form != "array":
            sections.append(_form_section(w, x, result))
            continue
        d = diff(result, x, steps=w.req.order == 1)
        w.derivatives[x] = d
        g = d.result if isinstance(d, Derivation) else d
        name = _name(x, w.req.order)
        v = w.f.variables().get(x)
        split = derivative_split(g.shape, v.shape if v is not None else None)
        blocks = [math_block(_derivative_latex(x, w.req.order, g, split)),
                  text_block(f"{name} = {g}"),
                  text_block(f"shape: {format_shape(g.shape, split)}")]
        sections.append({"id": f"derivative-{x}", "title": name, "blocks": blocks})
        if isinstance(d, Derivation):
            steps = [f"{k}. {s}" for k, s in enumerate(d.steps, 1)]
            sections.append({"id": f"steps-{x}", "title": f"Derivation of {name}, step by step",
                             "blocks": [math_block(d.latex()),
                                        {"kind": "code", "text": str(d), "copy": False}]
                             if steps else [text_block("no steps: " + str(d))]})
    return sections


def _form_section(w: Work, x: str, base: Expr) -> Json:
    """The derivative as a differential (dF = ...) or a vec Jacobian (d vec(F)/d vec(x)')."""
    from matcalc.calculus.differentiate import diff
    from matcalc.printing.latex import form_latex

    g = diff(base, x, form=w.req.form)
    lhs = "dF" if w.req.form == "differential" else f"d vec(F)/d vec({x})'"
    blocks = [math_block(form_latex(base, x, g, w.req.form)),
              text_block(f"{lhs} = {g}"), text_block(f"F = {base}"),
              text_block(f"shape: {format_shape(g.shape)}")]
    return {"id": f"form-{x}", "title": f"{lhs} ({w.req.form} form)", "blocks": blocks}


def _check(w: Work) -> list[Json]:
    """The claimed derivation, line by line, against the derivative by the first variable."""
    from matcalc.check.derivation import check

    if not w.req.claims:
        return []
    if w.req.order > 2:
        return [{"id": "check", "title": "Your derivation", "blocks": [text_block(
            "claims are checked for orders 1 and 2")]}]
    x = w.req.wrt[0]
    report = check(w.f, x, w.req.claims, order=w.req.order)
    return [{"id": "check", "title": f"Your derivation of {_name(x, w.req.order)}",
             "blocks": [math_block(report.latex()),
                        {"kind": "code", "text": str(report), "copy": False}]}]


def _verification(w: Work) -> list[Json]:
    from matcalc.check.verify import verify

    if w.req.order > 2:
        return [{"id": "verify", "title": "Verification", "blocks": [text_block(
            "finite differences check orders 1 and 2; this page does not verify order "
            f"{w.req.order} (the command line's verify does, with --order)")]}]
    head = ["derivative", "result", "max abs error", "max rel error", "sizes", "seed",
            "checked", "evaluations"]
    rows = []
    messages = []
    for x in w.req.wrt:
        r = verify(w.f, x, order=w.req.order)
        sizes = ", ".join(f"{k}={v}" for k, v in r.sizes.items()) or "–"
        checked = "the whole Jacobian" if r.full_jacobian else f"{r.directions} directions"
        rows.append([_name(x, w.req.order), r.status, f"{r.max_abs_error:.2e}",
                     f"{r.max_rel_error:.2e}", sizes, str(r.seed), checked,
                     str(r.evaluations)])
        if r.message:
            messages.append(text_block(f"{_name(x, w.req.order)}: {r.message}"))
    return [{"id": "verify", "title": "Verification against finite differences",
             "blocks": [{"kind": "table", "head": head, "rows": rows}, *messages]}]


def _code(w: Work) -> list[Json]:
    from matcalc.numeric.codegen import codegen

    if w.req.order > 2:
        text = f"codegen writes orders 1 and 2; this derivative is of order {w.req.order}"
        return [{"id": "code", "title": "Generated code", "blocks": [text_block(text)]}]
    source = codegen(w.f, wrt=w.req.wrt, order=w.req.order)
    return [{"id": "code", "title": "Generated NumPy code",
             "blocks": [{"kind": "code", "text": source, "copy": True}]}]


# the sections of an answer, in order (a new section is one builder here)
SECTIONS: list[Callable[[Work], list[Json]]] = [_function, _derivatives, _check, _verification,
                                               _code]


def _derivative_latex(x: str, order: int, g: Expr, split: int) -> str:
    """``\\frac{\\partial f}{\\partial x} = g \\in \\mathbb{R}^{...}`` (f named, as on the page)."""
    from matcalc.printing.latex import latex_name, shape_latex

    xs = latex_name(x)[0]
    if order == 1:
        lhs = rf"\frac{{\partial f}}{{\partial {xs}}}"
    else:
        lhs = rf"\frac{{\partial^{{{order}}} f}}{{\partial {xs}^{{{order}}}}}"
    return rf"{lhs} = {g.latex()} \in {shape_latex(g.shape, split)}"


def _name(x: str, order: int) -> str:
    if order == 1:
        return f"∂f/∂{x}"
    sup = str(order).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"∂{sup}f/∂{x}{sup}"


def answer(payload: Any) -> Json:
    """The answer to one request; every failure is a message (with its caret), never raised."""
    try:
        from matcalc.lang.infer import parse

        req = read_request(payload)
        f = parse(req.expression)
        variables = f.variables()
        if not req.wrt:
            req.wrt = sorted(variables)
        missing = [x for x in req.wrt if x not in variables]
        if missing:
            have = ", ".join(sorted(variables)) or "none"
            raise MatcalcError(f"{', '.join(missing)} is not a variable of the expression "
                               f"(its variables: {have})")
        if not req.wrt:
            raise MatcalcError("the expression has no variables to differentiate by")
        work = Work(req, f)
        sections = [s for build in SECTIONS for s in build(work)]
    except MatcalcError as e:
        # str() starts with a newline (for tracebacks): the page's box starts with the input
        return error(type(e).__name__, str(e).lstrip("\n"))
    except RecursionError:
        return error("ParseError", "the expression is nested too deeply")
    except Exception as e:  # noqa: BLE001  (a bug: shown as one line, never a traceback)
        return error("InternalError", f"matcalc failed on this input ({type(e).__name__}: "
                     f"{e}); please report it with the expression")
    return {"ok": True, "sections": sections}


def error(kind: str, message: str) -> Json:
    return {"ok": False, "error": {"kind": kind, "message": message}}
