"""The Gaussian maximum-likelihood loss of a linear model over a batch (seed 004).

    python examples/gaussian_mle.py
"""

from _common import Example, derive, main

LOSS = "0.5*sum((Y - X @ W)^2) where X: matrix(n, d), W: matrix(d, k), Y: matrix(n, k)"


def build() -> Example:
    return Example(
        "gaussian_mle", "Gaussian maximum likelihood over a batch",
        "With Gaussian noise of unit variance, the negative log-likelihood of the targets Y "
        "given the inputs X is, up to a constant, half the sum of the squared residuals. "
        "Its gradient by W is X'(XW - Y), which is zero at the least-squares solution "
        "W = inv(X'X) X'Y.",
        [derive("gradient by W", LOSS, "W", steps=True)])


if __name__ == "__main__":
    raise SystemExit(main(build))
