"""Least squares: 0.5*norm(y - A@x)^2 by x (gradient and Hessian) and by A (SPEC section 8).

    python examples/least_squares.py
"""

from _common import Example, derive, main

F = "0.5*norm(y - A@x)^2 where A: matrix(m, n), x: vector(n), y: vector(m)"


def build() -> Example:
    return Example(
        "least_squares", "Least squares",
        "The residual loss of an overdetermined system A x ≈ y: its gradient by x is "
        "A'(Ax - y), its Hessian A'A, and its gradient by the matrix A is the outer "
        "product (Ax - y) x'.",
        [derive("gradient by x", F, "x", steps=True),
         derive("Hessian by x", F, "x", order=2),
         derive("gradient by A", F, "A")])


if __name__ == "__main__":
    raise SystemExit(main(build))
