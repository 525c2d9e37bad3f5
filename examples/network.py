"""Two- and three-layer tanh networks: the squared loss by each weight matrix.

    python examples/network.py
"""

from _common import Example, derive, main

TWO = ("0.5*norm(W2 @ tanh(W1 @ x) - y)^2 "
       "where x: vector(d), W1: matrix(h, d), W2: matrix(k, h), y: vector(k)")
THREE = ("0.5*norm(W3 @ tanh(W2 @ tanh(W1 @ x)) - y)^2 "
         "where x: vector(d), W1: matrix(h1, d), W2: matrix(h2, h1), W3: matrix(k, h2), "
         "y: vector(k)")


def build() -> Example:
    return Example(
        "network", "Two- and three-layer networks",
        "Backpropagation in closed form: the gradient by each weight matrix is the error "
        "signal of its layer times the transposed input of that layer. Inputs have d "
        "entries, hidden layers h (h1, h2), outputs k.",
        [derive("two layers: gradient by W1", TWO, "W1", steps=True),
         derive("two layers: gradient by W2", TWO, "W2"),
         derive("three layers: gradient by W1", THREE, "W1"),
         derive("three layers: gradient by W2", THREE, "W2"),
         derive("three layers: gradient by W3", THREE, "W3")])


if __name__ == "__main__":
    raise SystemExit(main(build))
