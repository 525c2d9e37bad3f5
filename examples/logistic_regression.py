"""Logistic regression: the mean cross-entropy by w, by the scalar b, and its Hessians.

    python examples/logistic_regression.py
"""

from _common import Example, derive, main

F = ("-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n "
     "where X: matrix(n, d), w: vector(d), y: vector(n), b: scalar")


def build() -> Example:
    return Example(
        "logistic_regression", "Logistic regression",
        "The mean cross-entropy of a logistic model with n samples (rows of X), weights w "
        "and a scalar bias b; n is the dimension, so dividing by it takes the mean. The "
        "log-sigmoid terms simplify to the familiar X'(sigmoid(Xw + b) - y)/n.",
        [derive("gradient by w", F, "w"),
         derive("derivative by the scalar b", F, "b"),
         derive("Hessian by w", F, "w", order=2),
         derive("second derivative by b", F, "b", order=2)])


if __name__ == "__main__":
    raise SystemExit(main(build))
