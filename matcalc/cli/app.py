"""The command line: ``matcalc parse|diff|verify|latex|codegen|check|serve|help``.

Exit codes: 0 success, 1 a verification that failed, 2 bad input (the error
message on stderr, never a traceback).  ``diff`` and ``latex`` say what they
assumed (the ``where`` line of :mod:`matcalc.cli.assumptions`); doubtful readings
(:class:`~matcalc.core.errors.MatcalcWarning`) follow as ``note:`` lines on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from matcalc.calculus.steps import Derivation
from matcalc.check.verify import verify
from matcalc.cli import check as check_cli
from matcalc.cli.assumptions import variable_shapes, where_line
from matcalc.cli.encoding import ascii_fallback
from matcalc.cli.language import LANGUAGE_POINTER, language_help
from matcalc.cli.serve import configure_parser as configure_serve
from matcalc.cli.verify import configure_parser, parse_shapes, run_cli
from matcalc.core.dims import derivative_split, format_shape
from matcalc.core.errors import MatcalcError, MatcalcWarning, ShapeError
from matcalc.core.expr import Expr

Handler = Callable[[argparse.Namespace, TextIO], int]


def _parse(args: argparse.Namespace) -> Expr:
    from matcalc.lang.infer import parse

    return parse(args.expression, shapes=parse_shapes(args.shape))


# ----------------------------------------------------------------------------------------
# subcommands


def cmd_parse(args: argparse.Namespace, out: TextIO) -> int:
    f = _parse(args)
    if args.json:
        print(json.dumps({"expression": str(f), "shape": [str(d) for d in f.shape],
                          "variables": {k: [str(d) for d in v.shape]
                                        for k, v in f.variables().items()},
                          "latex": f.latex()}, indent=2), file=out)
        return 0
    print(f, file=out)
    for name, v in f.variables().items():
        kind = f" ({v.structure})" if v.structure else ""
        print(f"  {name}: {format_shape(v.shape)}{kind}", file=out)
    print(f"  result: {format_shape(f.shape)}", file=out)
    return 0


def _x_shape(f: Expr, wrt: str) -> tuple[Any, ...] | None:
    x = f.variables().get(wrt)
    return x.shape if x is not None else None


def _derivative(args: argparse.Namespace, f: Expr, wrt: str) -> Expr | Derivation:
    """The ``--order``-th derivative; a Derivation for ``--steps`` (first order only)."""
    from matcalc.calculus.differentiate import diff

    if args.order < 1:
        raise MatcalcError(f"--order must be at least 1, not {args.order}")
    result = f
    for _ in range(args.order - 1):
        result = diff(result, wrt)
    form = getattr(args, "form", "array")
    if form != "array":  # the last derivative presented as a differential or vec Jacobian
        return diff(result, wrt, form=form)
    return diff(result, wrt, layout=args.layout,
                steps=bool(getattr(args, "steps", False)) and args.order == 1)


def _form_lhs(args: argparse.Namespace, wrt: str) -> str:
    """``dF = `` or ``d vec(F)/d vec(X)' = `` before a result in another form."""
    if args.form == "differential":
        return "dF = "
    return f"d vec(F)/d vec({wrt})' = "


def _print_form(args: argparse.Namespace, f: Expr, wrt: str, g: Expr, out: TextIO) -> int:
    """A result of ``--form differential|vec``: the form, then what F and the shape are."""
    from matcalc.printing.latex import form_latex

    base = f
    if args.order > 1:
        from matcalc.calculus.differentiate import diff

        for _ in range(args.order - 1):
            base = diff(base, wrt)
    if getattr(args, "json", False):
        print(json.dumps({"expression": str(g), "shape": [str(s) for s in g.shape],
                          "shape_text": format_shape(g.shape),
                          "function": str(base), "wrt": wrt, "order": args.order,
                          "form": args.form, "variables": variable_shapes(f),
                          "where": where_line(f),
                          "latex": form_latex(base, wrt, g, args.form)}, indent=2),
              file=out)
        return 0
    if getattr(args, "latex", False) or args.command == "latex":
        print(form_latex(base, wrt, g, args.form), file=out)
        return 0
    print(f"{_form_lhs(args, wrt)}{g}", file=out)
    print(f"  F = {base}", file=out)
    print(f"  shape: {format_shape(g.shape)}", file=out)
    return 0


def _derivative_payload(args: argparse.Namespace, f: Expr, wrt: str) -> dict[str, Any]:
    from matcalc.printing.latex import derivative_latex
    from matcalc.printing.text import dims_in_shapes, to_text

    d = _derivative(args, f, wrt)
    derivation = d if isinstance(d, Derivation) else None
    g = d.result if isinstance(d, Derivation) else d
    report = verify(f, wrt, order=min(args.order, 2)) if args.order <= 2 else None
    payload: dict[str, Any] = {
        "expression": str(g), "shape": [str(s) for s in g.shape],
        "shape_text": format_shape(g.shape, derivative_split(g.shape, _x_shape(f, wrt))),
        "wrt": wrt,
        "latex": derivative_latex(f, wrt, g, order=args.order)}
    if report is not None:
        payload["verification"] = report.to_dict()
    if derivation:
        dims = dims_in_shapes(f)
        payload["steps"] = [{"rule": s.rule, "expression": to_text(s.expression, dims),
                             "operand": to_text(s.operand, dims),
                             "derivative": to_text(s.derivative, dims),
                             "part": list(s.part)}
                            for s in derivation.steps]
    return payload


def _print_derivative(args: argparse.Namespace, f: Expr, wrt: str, out: TextIO) -> None:
    from matcalc.printing.latex import derivative_latex

    d = _derivative(args, f, wrt)
    derivation = d if isinstance(d, Derivation) else None
    g = d.result if isinstance(d, Derivation) else d
    if args.latex:
        print(derivation.latex() if derivation else
              derivative_latex(f, wrt, g, order=args.order), file=out)
        return
    print(derivation if derivation else g, file=out)
    print(f"  shape: {format_shape(g.shape, derivative_split(g.shape, _x_shape(f, wrt)))}",
          file=out)


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    f = _parse(args)
    wrts: list[str] = list(dict.fromkeys(args.wrt))  # each once, in the order given
    if args.json and args.form != "array":
        for wrt in wrts:
            d = _derivative(args, f, wrt)
            assert isinstance(d, Expr)
            _print_form(args, f, wrt, d, out)
        return 0
    if args.json:
        common = {"function": str(f), "order": args.order, "layout": args.layout,
                  "variables": variable_shapes(f), "where": where_line(f)}
        derivatives = [_derivative_payload(args, f, wrt) for wrt in wrts]
        payload = ({**derivatives[0], **common} if len(derivatives) == 1
                   else {**common, "derivatives": derivatives})
        print(json.dumps(payload, indent=2), file=out)
        return 0
    for wrt in wrts:
        if len(wrts) > 1:
            print(f"by {wrt}:", file=out)
        if args.form != "array":
            d = _derivative(args, f, wrt)
            assert isinstance(d, Expr)  # a form is never a Derivation
            _print_form(args, f, wrt, d, out)
            continue
        _print_derivative(args, f, wrt, out)
    _say_assumed(f, sys.stderr if args.latex else out)
    return 0


def _say_assumed(f: Expr, out: TextIO) -> None:
    """The where line: on stdout beside text, on stderr beside LaTeX (kept pasteable)."""
    line = where_line(f)
    if line:
        print(f"  {line}" if out is not sys.stderr else line, file=out)


def cmd_latex(args: argparse.Namespace, out: TextIO) -> int:
    from matcalc.printing.latex import derivative_latex

    f = _parse(args)
    if args.wrt is None:
        print(f.latex(), file=out)
        _say_assumed(f, sys.stderr)
        return 0
    args.layout = "denominator"
    d = _derivative(args, f, args.wrt)
    if args.form != "array" and isinstance(d, Expr):
        code = _print_form(args, f, args.wrt, d, out)
        _say_assumed(f, sys.stderr)
        return code
    if isinstance(d, Derivation):
        print(d.latex(), file=out)
    else:
        print(derivative_latex(f, args.wrt, d, order=args.order), file=out)
    _say_assumed(f, sys.stderr)
    return 0


def cmd_codegen(args: argparse.Namespace, out: TextIO) -> int:
    from matcalc.numeric.codegen import codegen

    f = _parse(args)
    source = codegen(f, wrt=args.wrt or [], order=args.order, backend=args.backend,
                     hessian=args.hessian, hvp=args.hvp)
    print(source, file=out, end="")
    return 0


def cmd_help(args: argparse.Namespace, out: TextIO) -> int:
    if args.topic != "language":
        raise MatcalcError(f"no help on {args.topic!r}; try: matcalc help language")
    print(language_help(), file=out)
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("expression", help="the expression, e.g. \"0.5*norm(y - A@x)^2\" "
                   "(the language: matcalc help language)")
    p.add_argument("--shape", action="append", default=[], metavar="A=m,n",
                   help="declare a shape: A=m,n; x=n; s= (scalar); S=spd(n)")


def _form_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--form", choices=("array", "differential", "vec"), default="array",
                   help="array (the default; einsum for tensors), differential (dF in the "
                   "direction dX, matrix notation at every order) or vec (the Jacobian "
                   "d vec(F)/d vec(X)', with kron and commutation)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matcalc", description="symbolic matrix calculus: derivatives in matrix notation, "
        "LaTeX, NumPy code, numerical verification", epilog=LANGUAGE_POINTER)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="the expression back with every shape")
    _common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_parse)

    p = sub.add_parser("diff", help="differentiate")
    _common(p)
    p.add_argument("--wrt", action="append", required=True, metavar="X",
                   help="the variable (repeat for several: every derivative is printed)")
    p.add_argument("--order", type=int, default=1, help="2 for the Hessian, and so on")
    p.add_argument("--layout", choices=("denominator", "numerator"), default="denominator")
    p.add_argument("--steps", action="store_true", help="show the derivation step by step")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    _form_option(p)
    p.set_defaults(handler=cmd_diff)

    p = sub.add_parser("verify", help="check derivatives against finite differences")
    configure_parser(p)
    p.set_defaults(handler=lambda a, out: run_cli(a, out=out))

    p = sub.add_parser("latex", help="LaTeX of an expression or its derivative")
    _common(p)
    p.add_argument("--wrt", metavar="X", help="the variable (omit for the expression)")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--steps", action="store_true", help="an align* block of the derivation")
    _form_option(p)
    p.set_defaults(handler=cmd_latex)

    p = sub.add_parser("codegen", help="a standalone NumPy (JAX, PyTorch, Dask) module on stdout")
    _common(p)
    p.add_argument("--wrt", action="append", default=[], metavar="X")
    p.add_argument("--order", type=int, default=1, help="2 adds the Hessian")
    p.add_argument("--backend", choices=("numpy", "jax", "torch", "dask"), default="numpy",
                   help="the array library the module uses (and the only one it imports)")
    p.add_argument("--hessian", choices=("blocks", "matrix"), default="blocks",
                   help="with --order 2: blocks (the default) returns the Hessian by each "
                   "--wrt variable in order (hess_w, hess_b), then the mixed blocks d2f/da db "
                   "row by row (hess_w_b, hess_b_w); matrix returns one matrix over the "
                   "variables raveled and concatenated in --wrt order")
    p.add_argument("--hvp", action="store_true",
                   help="also hessian_vector_product(v, **values): H @ v, never forming H")
    p.set_defaults(handler=cmd_codegen)

    p = sub.add_parser("check", help="is my derivation right? where does it go wrong?")
    check_cli.configure_parser(p)
    p.set_defaults(handler=check_cli.run)

    p = sub.add_parser("serve", help="a local page: type an expression, see its derivative")
    configure_serve(p)

    p = sub.add_parser("help", help="the expression language: matcalc help language")
    p.add_argument("topic", nargs="?", default="language", choices=("language",))
    p.set_defaults(handler=cmd_help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    ascii_fallback()  # a terminal that cannot show ∂ or × gets d and x, not a crash
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: 2 on bad arguments, 0 for --help
        return int(e.code or 0)
    handler: Handler = args.handler
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MatcalcWarning)
        try:
            return handler(args, sys.stdout)
        except MatcalcError as e:
            _notes(caught)
            # a message quoting the input starts on its own line (str(e) begins with a
            # newline), so the caret stays aligned
            message = _cli_words(e)
            print(f"error:{message}" if message.startswith("\n") else f"error: {message}",
                  file=sys.stderr)
            return 2
        except RecursionError:
            print("error: the expression is nested too deeply", file=sys.stderr)
            return 2
        except BrokenPipeError:  # output piped into head and the like
            return 0
        finally:
            _notes(caught)


def _notes(caught: list[warnings.WarningMessage]) -> None:
    """Doubtful readings as ``note:`` lines on stderr (each once), then forgotten."""
    seen: set[str] = set()
    for w in caught:
        if issubclass(w.category, MatcalcWarning):
            first = str(w.message).splitlines()[0]
            if first not in seen:
                seen.add(first)
                print(f"note: {first}", file=sys.stderr)
    caught.clear()


def _cli_words(e: MatcalcError) -> str:
    """The message as the command line's user wrote the input: ``--shape``, not ``shapes=``."""
    if isinstance(e, ShapeError) and "shapes=" in e.message:
        e.reword(e.message.replace("in shapes=", "with --shape").replace("shapes=", "--shape"))
    return str(e)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
