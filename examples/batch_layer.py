"""A single layer over a batch, as NumPy code writes it: the bias b broadcast over the rows.

    python examples/batch_layer.py
"""

from _common import Example, derive, main

LOSS = ("0.5*norm(Y - tanh(X @ W + b))^2 "
        "where X: matrix(n, d), W: matrix(d, k), b: vector(k), Y: matrix(n, k)")


def build() -> Example:
    return Example(
        "batch_layer", "A single layer over a batch",
        "The n rows of X are the inputs of a batch, W maps d features to k outputs, and the "
        "bias vector b is added to every row, as NumPy broadcasts X @ W + b (seed 000's "
        "C = A + b, C_ij = A_ij + b_j). The gradient by W is a matrix product over the "
        "batch; the gradient by b sums the rows of the same matrix: sum(..., axis=0).",
        [derive("gradient by W", LOSS, "W", steps=True),
         derive("gradient by the broadcast bias b", LOSS, "b", steps=True)])


if __name__ == "__main__":
    raise SystemExit(main(build))
