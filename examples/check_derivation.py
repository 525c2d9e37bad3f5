"""Check your own derivation: mc.check against the least-squares gradient and two classic mistakes.

    python examples/check_derivation.py

The notes derive the least-squares gradient by hand in the row form,
dL/dx = dL/de · de/dx = e' (-A) with e = y - A x; mc.check says that each line
is right (in numerator layout, where a gradient is a row), names a transposed
gradient by the matrix A as "transposed", the Matrix Cookbook's gradient by a
symmetric matrix as "symmetric", and the first wrong line of a derivation.
Each diagnosis is itself checked: the claim with the named mistake undone is
right.
"""

import warnings

from _common import Check, Example, derive, main, mc

LSQ = "0.5*norm(y - A@x)^2 where A: matrix(m, n), x: vector(n), y: vector(m)"
QUADRATIC = "x' @ S @ x where S: symmetric(n), x: vector(n)"


def claim_check(title: str, f: mc.Expr, wrt: str, claims: list[str], expect: list[str],
                layout: str = "denominator") -> Check:
    """A check whose verdicts must be ``expect`` (a kind a claim); each mistake undone, right."""
    report = mc.check(f, wrt, claims, layout=layout)
    ok = [c.kind for c in report.claims] == expect
    for c in report.claims:
        if not c.ok:
            with warnings.catch_warnings():  # matcalc's own printing reads back without a note
                warnings.simplefilter("error", mc.MatcalcWarning)
                ok = ok and mc.check(f, wrt, c.correction, layout=layout).ok
    also = f", layout={layout!r}" if layout != "denominator" else ""
    lines = [f"mc.check(f, {wrt!r}, {claims!r}{also})"]
    return Check(title, lines + str(report).splitlines(), [report.latex()], ok)


def build() -> Example:
    f = mc.parse(LSQ)
    quadratic = mc.parse(QUADRATIC)
    return Example(
        "check_derivation", "Check your own derivation",
        "mc.check(f, x, claims) evaluates each claimed line of a derivation at random points "
        "(distinct sizes, so a transpose cannot agree by accident) against matcalc's "
        "derivative, itself verified by finite differences, and names the mistake of a wrong "
        "line: transposed, factor, sign, layout, symmetric or differs.",
        [derive("the gradient by x", f, "x"),
         claim_check("the notes' row form, dL/dx = e' (-A): right in numerator layout", f,
                     "x", ["-(y - A@x)' @ A", "(A@x - y)' @ A"], ["right", "right"],
                     layout="numerator"),
         claim_check("the same row in the default (denominator) layout: a layout mistake", f,
                     "x", ["-(y - A@x)' @ A"], ["layout"]),
         claim_check("a transposed gradient by the matrix A", f, "A",
                     ["(A@x - y) @ x'", "x @ (A@x - y)'"], ["right", "transposed"]),
         claim_check("the Cookbook's gradient by a symmetric matrix", quadratic, "S",
                     ["x @ x'", "2*x@x' - diag(diag(x@x'))"], ["right", "symmetric"]),
         claim_check("a derivation whose second line loses a sign", f, "x",
                     ["-A' @ (y - A@x)", "A' @ (y - A@x)", "A'@A@x - A'@y"],
                     ["right", "sign", "right"])])


if __name__ == "__main__":
    raise SystemExit(main(build))
