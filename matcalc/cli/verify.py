"""``matcalc verify "EXPR" --wrt x [--wrt y] [--dims m=3,n=4] [--seed 0] ...`` (SPEC section 6).

The arguments, the table and the JSON output of the verify subcommand; the
check itself is :func:`matcalc.check.verify.verify`.  ``parse_shapes`` reads the
``--shape`` declarations every subcommand takes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any

from matcalc.check.verify import VerifyReport, verify
from matcalc.cli.encoding import ascii_fallback
from matcalc.core.dims import derivative_split, format_shape
from matcalc.core.errors import DiffError, MatcalcError, ShapeError
from matcalc.core.expr import Expr


def configure_parser(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``matcalc verify`` (for registering it as a subcommand)."""
    p.add_argument("expression", help="the expression (the language: matcalc help language)")
    p.add_argument("--wrt", action="append", required=True, metavar="X",
                   help="variable to differentiate by (repeat for several)")
    p.add_argument("--dims", action="append", default=[], metavar="m=3,n=4",
                   help="sizes of symbolic dimensions (default: small distinct sizes)")
    p.add_argument("--shape", action="append", default=[], metavar="A=m,n",
                   help="declare a variable's shape (A=m,n; x=n; s=; S=spd(n))")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--order", type=int, default=1,
                   help="check derivatives up to this order (2: also the Hessian)")
    p.add_argument("--directions", type=int, default=8,
                   help="random directions for large variables (default 8)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def parse_shapes(items: Sequence[str]) -> dict[str, Any]:
    """``["A=m,n", "x=n", "s=", "S=spd(n)"]`` → a ``shapes=`` dict."""
    shapes: dict[str, Any] = {}
    for item in items:
        name, eq, spec = item.partition("=")
        name, spec = name.strip(), spec.strip()
        if not eq or not name:
            raise ShapeError(f"--shape expects NAME=DIMS (A=m,n) or NAME=KIND (S=spd(n)), "
                             f"not {item!r}")
        if "(" in spec or spec in ("scalar",):
            shapes[name] = spec
        elif not spec:
            shapes[name] = ()
        else:
            shapes[name] = tuple(int(d) if d.strip().isdigit() else d.strip()
                                 for d in spec.split(","))
    return shapes


def parse_dims(items: Sequence[str]) -> dict[str, int]:
    """``["m=3,n=4"]`` → ``{"m": 3, "n": 4}``."""
    dims: dict[str, int] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, eq, value = part.partition("=")
            value = value.strip()
            if not eq or not name.strip().isidentifier() or not value.isdigit() \
                    or int(value) < 1:
                raise ShapeError(f"--dims expects NAME=SIZE pairs with positive sizes "
                                 f"(m=3,n=4), not {part.strip()!r}")
            dims[name.strip()] = int(value)
    return dims


def run_cli(args: argparse.Namespace, out: Any = None, err: Any = None) -> int:
    """Run ``matcalc verify`` on parsed arguments; returns the exit code (0, 1 or 2)."""
    from matcalc.lang.infer import parse

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if args.order < 1:
            raise DiffError(f"--order must be at least 1, not {args.order}")
        if args.directions < 1:
            raise MatcalcError(f"--directions must be at least 1, not {args.directions}")
        f = parse(args.expression, shapes=parse_shapes(args.shape))
        dims = parse_dims(args.dims)
        reports = [verify(f, w, dims=dims, seed=args.seed, order=k,
                          directions=args.directions)
                   for w in args.wrt for k in range(1, args.order + 1)]
    except MatcalcError as e:
        print(f"error: {e}", file=err)
        return 2
    ok = all(r.ok for r in reports)
    if args.json:
        sizes: dict[str, int] = {}
        for r in reports:
            sizes.update(r.sizes)
        payload = {"expression": str(f), "shape": [str(d) for d in f.shape],
                   "seed": args.seed, "sizes": sizes, "ok": ok,
                   "checks": [r.to_dict() for r in reports]}
        print(json.dumps(payload, indent=2, ensure_ascii=False), file=out)
    else:
        print(format_table(f, reports), file=out)
    return 0 if ok else 1


def format_table(f: Expr, reports: Sequence[VerifyReport]) -> str:
    """The readable table of ``matcalc verify``."""
    lines = [f"f = {f}   ∈ {_space(f.shape)}"]
    rows = [("derivative", "shape", "sizes", "checked", "evals", "max abs err",
             "max rel err", "result")]
    for r in reports:
        sizes = ",".join(f"{k}={v}" for k, v in r.sizes.items()) or "-"
        checked = (f"{r.directions} {'entries (whole)' if r.full_jacobian else 'random dirs'}"
                   if r.directions else ("exact zero" if not r.inconclusive else "-"))
        rows.append((r.name, _derivative_shape(f, r), sizes, checked,
                     str(r.evaluations), _fmt(r.max_abs_error), _fmt(r.max_rel_error),
                     r.status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for k, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                     .rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    for r in reports:
        lines.append(f"{r.name} = {r.derivative}")
    for r in reports:
        if r.message:
            lines.append(f"{r.name}: {r.message}")
    seeds = sorted({r.seed for r in reports})
    passed = sum(r.ok for r in reports)
    lines.append(f"{passed} of {len(reports)} passed (seed {', '.join(map(str, seeds))})")
    return "\n".join(lines)


def _derivative_shape(f: Expr, r: VerifyReport) -> str:
    """``m×(m×n)``: the function's axes apart from the variable's (SPEC section 3's table)."""
    x = f.variables().get(r.wrt)
    shape = r.derivative.shape
    return format_shape(shape, derivative_split(shape, x.shape if x is not None else None))


def _space(shape: tuple[Any, ...]) -> str:
    return "ℝ" if not shape else "ℝ^(" + format_shape(shape) + ")"


def _fmt(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.2e}"


def main(argv: Sequence[str] | None = None) -> int:
    p = configure_parser(argparse.ArgumentParser(
        prog="matcalc verify",
        description="check symbolic derivatives against finite differences"))
    ascii_fallback()
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on bad arguments, 0 for --help
        return int(e.code or 0)
    return run_cli(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
