"""``python -m matcalc.cli.fuzz --examples N --seed S [--jobs J] [--replay I] ...``

The command line of the fuzzer (:mod:`matcalc.check.fuzz`): run a campaign and
print its figures with the minimal example of each distinct failure, or replay
one example.  Exit code 1 when anything failed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from matcalc.check.fuzz import Campaign, campaign, check, minimise, sample, shrink


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m matcalc.cli.fuzz",
                                description="fuzz the differentiator, printer and verify")
    p.add_argument("--examples", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--depth", type=int, default=3, help="nesting depth of expressions")
    p.add_argument("--exclude", action="append", default=[],
                   help="leave out an operator or function (kron, vec, tan, ...)")
    p.add_argument("--time-limit", type=float, default=None, help="stop after this many s")
    p.add_argument("--shrink-budget", type=float, default=60.0,
                   help="seconds to spend minimising each distinct failure (0: none)")
    p.add_argument("--replay", type=int, default=None, help="re-run one example and show it")
    p.add_argument("--output", default=None,
                   help="also write the figures so far to this file every 30 s")
    p.add_argument("--sympy", type=float, default=0.0,
                   help="fraction of passing examples also cross-checked with SymPy")
    p.add_argument("--jax", type=float, default=0.0,
                   help="fraction of passing examples also checked against jax.jacobian")
    p.add_argument("--corners", action="store_true",
                   help="also generate einsum corner cases (order-3 plus scalars, summed-out "
                        "operands, product dimensions)")
    args = p.parse_args(argv)
    if args.replay is not None:
        s = sample(args.seed, args.replay, args.depth, args.exclude, args.corners)
        print(s.describe())
        o = check(s, seed=args.replay)
        print(o.kind, o.detail)
        if o.failed and args.shrink_budget > 0:
            small, so = shrink(s, o, seed=args.replay, budget=args.shrink_budget)
            print("minimal:", small.describe())
            print(so.detail)
        return 1 if o.failed else 0

    last = [time.monotonic()]

    def progress(c: Campaign) -> None:
        if time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            print(f"... {c.tried} tried, {c.passed} passed, {c.inconclusive} inconclusive, "
                  f"{sum(c.failures.values())} failed", file=sys.stderr, flush=True)
            if args.output:
                with open(args.output, "w") as fh:
                    fh.write(c.report() + "\n(in progress)\n")

    camp = campaign(args.examples, args.seed, args.jobs, args.depth, args.exclude,
                    args.time_limit, progress, args.sympy, args.jax, args.corners)
    minimal = (minimise(camp, args.depth, args.exclude, args.shrink_budget)
               if args.shrink_budget > 0 else None)
    text = camp.report(minimal)
    print(text)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text + "\n")
    return 1 if camp.failures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
