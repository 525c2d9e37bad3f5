"""``matcalc check "EXPR" --wrt x --claim "G1" [--claim "G2" ...]`` (SPEC section 6).

Is my derivation right, and where does it go wrong?  The arguments, the table
and the JSON output of the check subcommand; the check itself is
:func:`matcalc.check.derivation.check`.  Exit codes: 0 every claim right, 1 a
claim wrong, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from matcalc.check.check_report import CheckReport
from matcalc.check.claims import read_claims
from matcalc.check.derivation import check
from matcalc.cli.verify import parse_dims, parse_shapes
from matcalc.core.dims import format_shape
from matcalc.core.errors import MatcalcError
from matcalc.core.expr import Expr

__all__ = ["configure_parser", "run", "where_line"]

DESCRIPTION = """\
Check a derivative you worked out yourself.  Each --claim is one line of your
derivation, an expression claimed to equal the derivative of EXPR by the --wrt
variable (a gradient has the shape of the variable; with --layout numerator, a
gradient by a vector is a row).  Claims use the variables of EXPR with the same
shapes.  Each claim is evaluated at random points (at distinct sizes, so that a
transpose cannot agree by accident) and compared with matcalc's derivative,
itself checked against finite differences.  A wrong claim is diagnosed:
transposed, factor (which), sign, layout, symmetric (the gradient by a symmetric
matrix) or differs.  Exit status: 0 all right, 1 a claim wrong, 2 bad input."""

EPILOG = """\
example:
  matcalc check "0.5*norm(y - A@x)^2 where A: matrix(m,n), x: vector(n), y: vector(m)" \\
      --wrt x --claim "-A' @ (y - A@x)" --claim "A' @ A @ x - A' @ y"
a claims file has one claimed line per line; text after # is a comment."""


def configure_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``matcalc check`` (for registering it as a subcommand)."""
    p.description = DESCRIPTION
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("expression", help="the function, e.g. \"0.5*norm(y - A@x)^2\"")
    p.add_argument("--wrt", required=True, metavar="X", help="the variable")
    p.add_argument("--claim", action="append", default=[], metavar="G",
                   help="a claimed derivative (repeat: the lines of a derivation)")
    p.add_argument("--claims", metavar="FILE",
                   help="read claimed lines from FILE (one a line, # comments)")
    p.add_argument("--shape", action="append", default=[], metavar="A=m,n",
                   help="declare a shape: A=m,n; x=n; s= (scalar); S=spd(n)")
    p.add_argument("--dims", action="append", default=[], metavar="m=3,n=4",
                   help="sizes of the dimensions (default: small distinct sizes)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--order", type=int, default=1, help="2 to check a claimed Hessian")
    p.add_argument("--layout", choices=("denominator", "numerator"), default="denominator",
                   help="numerator: a gradient by a vector is a row (1×n)")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    return p


def where_line(f: Expr) -> str:
    """``where A: m×n, x: n, y: m`` with every variable's shape (and symmetry)."""
    parts = []
    for name, v in sorted(f.variables().items()):
        shape = format_shape(v.shape) if v.shape else "scalar"
        parts.append(f"{name}: {shape}" + (f" {v.structure}" if v.structure else ""))
    return "where " + ", ".join(parts) if parts else "where (no variables)"


def _claims(args: argparse.Namespace) -> list[str]:
    claims = list(args.claim)
    if args.claims:
        try:
            text = Path(args.claims).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise MatcalcError(f"cannot read the claims file {args.claims}: {e}") from None
        claims += read_claims(text)
    if not claims:
        raise MatcalcError("no claims: give --claim \"EXPR\" (repeat it for the lines of a "
                           "derivation) or --claims FILE")
    return claims


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``matcalc check``; returns 0 or 1 (bad input raises MatcalcError: exit 2)."""
    from matcalc.lang.infer import parse

    if args.seed < 0:
        raise MatcalcError(f"--seed must be a non-negative integer, not {args.seed}")
    f = parse(args.expression, shapes=parse_shapes(args.shape))
    report = check(f, args.wrt, _claims(args), dims=parse_dims(args.dims) or None,
                   seed=args.seed, order=args.order, layout=args.layout)
    if args.json:
        payload: dict[str, Any] = report.to_dict()
        payload["where"] = where_line(f)
        print(json.dumps(payload, indent=2, ensure_ascii=False), file=out)
    else:
        print(format_report(f, report), file=out)
    return 0 if report.ok else 1


def format_report(f: Expr, report: CheckReport) -> str:
    """The table of ``matcalc check``, with the ``where`` line under the function."""
    lines = str(report).splitlines()
    return "\n".join([lines[0], where_line(f), *lines[1:]])
