"""The command line (SPEC section 6): ``matcalc parse|diff|verify|latex|codegen``.

Exit codes: 0 success, 1 a verification that failed, 2 bad input (the error
message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from matcalc.calculus.steps import Derivation
from matcalc.check.verify import verify
from matcalc.cli.verify import configure_parser, parse_shapes, run_cli
from matcalc.core.dims import format_shape
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr

Handler = Callable[[argparse.Namespace, TextIO], int]


def _shape_text(shape: tuple[Any, ...], split: int | None = None) -> str:
    """``m×n``; a derivative's shape grouped as ``m×(m×n)`` after ``split`` axes."""
    if not shape:
        return "scalar"
    if split is None or split == 0 or split == len(shape):
        return format_shape(shape)
    head, tail = format_shape(shape[:split]), format_shape(shape[split:])

    def wrap(s: str, n: int) -> str:
        return f"({s})" if n > 1 else s

    return f"{wrap(head, split)}×{wrap(tail, len(shape) - split)}"


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
        print(f"  {name}: {_shape_text(v.shape)}{kind}", file=out)
    print(f"  result: {_shape_text(f.shape)}", file=out)
    return 0


def _derivative(args: argparse.Namespace, f: Expr) -> Expr | Derivation:
    """The ``--order``-th derivative; a Derivation for ``--steps`` (first order only)."""
    from matcalc.calculus.differentiate import diff

    if args.order < 1:
        raise MatcalcError(f"--order must be at least 1, not {args.order}")
    result = f
    for _ in range(args.order - 1):
        result = diff(result, args.wrt)
    return diff(result, args.wrt, layout=args.layout,
                steps=bool(getattr(args, "steps", False)) and args.order == 1)


def cmd_diff(args: argparse.Namespace, out: TextIO) -> int:
    from matcalc.printing.latex import derivative_latex
    from matcalc.printing.text import dims_in_shapes, to_text

    f = _parse(args)
    d = _derivative(args, f)
    derivation = d if isinstance(d, Derivation) else None
    g = d.result if isinstance(d, Derivation) else d
    split = f.ndim if args.layout == "denominator" or g.ndim != 1 + f.ndim else None
    latex = derivative_latex(f, args.wrt, g, f_ndim=f.ndim, order=args.order)
    if args.json:
        report = verify(f, args.wrt, order=min(args.order, 2)) \
            if args.order <= 2 else None
        payload = {"expression": str(g), "shape": [str(s) for s in g.shape],
                   "function": str(f), "wrt": args.wrt, "order": args.order,
                   "layout": args.layout, "latex": latex}
        if report is not None:
            payload["verification"] = report.to_dict()
        if derivation:
            dims = dims_in_shapes(f)
            payload["steps"] = [{"rule": s.rule, "expression": to_text(s.expression, dims),
                                 "operand": to_text(s.operand, dims),
                                 "derivative": to_text(s.derivative, dims),
                                 "part": list(s.part)}
                                for s in derivation.steps]
        print(json.dumps(payload, indent=2), file=out)
        return 0
    if args.latex:
        print(derivation.latex() if derivation else latex, file=out)
        return 0
    if derivation:
        print(derivation, file=out)
    else:
        print(g, file=out)
    print(f"  shape: {_shape_text(g.shape, split)}", file=out)
    return 0


def cmd_latex(args: argparse.Namespace, out: TextIO) -> int:
    from matcalc.printing.latex import derivative_latex

    f = _parse(args)
    if args.wrt is None:
        print(f.latex(), file=out)
        return 0
    args.layout = "denominator"
    d = _derivative(args, f)
    if isinstance(d, Derivation):
        print(d.latex(), file=out)
    else:
        print(derivative_latex(f, args.wrt, d, f_ndim=f.ndim, order=args.order), file=out)
    return 0


def cmd_codegen(args: argparse.Namespace, out: TextIO) -> int:
    from matcalc.numeric.codegen import codegen

    f = _parse(args)
    source = codegen(f, wrt=args.wrt or [], order=args.order, backend=args.backend,
                     hessian=args.hessian, hvp=args.hvp)
    print(source, file=out, end="")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("expression", help="the expression, e.g. \"0.5*norm(y - A@x)^2\"")
    p.add_argument("--shape", action="append", default=[], metavar="A=m,n",
                   help="declare a shape: A=m,n; x=n; s= (scalar); S=spd(n)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="matcalc", description="symbolic matrix calculus: derivatives in matrix notation, "
        "LaTeX, NumPy code, numerical verification")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="the expression back with every shape")
    _common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_parse)

    p = sub.add_parser("diff", help="differentiate")
    _common(p)
    p.add_argument("--wrt", required=True, metavar="X", help="the variable")
    p.add_argument("--order", type=int, default=1, help="2 for the Hessian, and so on")
    p.add_argument("--layout", choices=("denominator", "numerator"), default="denominator")
    p.add_argument("--steps", action="store_true", help="show the derivation step by step")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    p.set_defaults(handler=cmd_diff)

    p = sub.add_parser("verify", help="check derivatives against finite differences")
    configure_parser(p)
    p.set_defaults(handler=lambda a, out: run_cli(a, out=out))

    p = sub.add_parser("latex", help="LaTeX of an expression or its derivative")
    _common(p)
    p.add_argument("--wrt", metavar="X", help="the variable (omit for the expression)")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--steps", action="store_true", help="an align* block of the derivation")
    p.set_defaults(handler=cmd_latex)

    p = sub.add_parser("codegen", help="a standalone NumPy (JAX, PyTorch, Dask) module on stdout")
    _common(p)
    p.add_argument("--wrt", action="append", default=[], metavar="X")
    p.add_argument("--order", type=int, default=1, help="2 adds the Hessian")
    p.add_argument("--backend", choices=("numpy", "jax", "torch", "dask"), default="numpy",
                   help="the array library the module uses (and the only one it imports)")
    p.add_argument("--hessian", choices=("blocks", "matrix"), default="blocks",
                   help="with --order 2: every block d2f/dwi dwj in --wrt order (blocks), or "
                   "one matrix over the variables raveled and concatenated (matrix)")
    p.add_argument("--hvp", action="store_true",
                   help="also hessian_vector_product(v, **values): H @ v, never forming H")
    p.set_defaults(handler=cmd_codegen)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: 2 on bad arguments, 0 for --help
        return int(e.code or 0)
    handler: Handler = args.handler
    try:
        return handler(args, sys.stdout)
    except MatcalcError as e:
        # a message quoting the input starts on its own line, so the caret stays aligned
        print(f"error: {e}" if e.text is None else f"error:\n{e}", file=sys.stderr)
        return 2
    except RecursionError:
        print("error: the expression is nested too deeply", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
