"""Softmax regression over a batch: the mean cross-entropy by the weights W and the bias b.

    python examples/softmax_regression.py
"""

from _common import Example, derive, main

LOSS = ("-sum(Y * log(softmax(X @ W + b, axis=1))) / n "
        "where X: matrix(n, d), W: matrix(d, k), b: vector(k), Y: matrix(n, k)")


def build() -> Example:
    return Example(
        "softmax_regression", "Softmax regression",
        "Each row of X @ W + b holds the k class scores of one of the n examples; "
        "softmax(..., axis=1) turns each row into probabilities and Y holds the targets "
        "(one-hot rows). The log of a row-wise softmax is the scores minus each row's "
        "logsumexp, so the gradient is the familiar X'(P - Y)/n with P the probabilities, "
        "where the rows of Y sum to one (matcalc keeps the general diag(Y 1) P).",
        [derive("gradient by W", LOSS, "W", steps=True),
         derive("gradient by the bias b", LOSS, "b")])


if __name__ == "__main__":
    raise SystemExit(main(build))
