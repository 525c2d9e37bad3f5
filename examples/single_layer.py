"""A single layer: tanh(A@x + b) by x, b and A, and the squared loss of it by A and b.

    python examples/single_layer.py
"""

from _common import Example, derive, main

LAYER = "tanh(A@x + b) where A: matrix(m, n), x: vector(n), b: vector(m)"
LOSS = "0.5*norm(y - tanh(A@x + b))^2 where A: matrix(m, n), x: vector(n), b: vector(m)"


def build() -> Example:
    return Example(
        "single_layer", "A single layer",
        "A layer with m outputs and n inputs. Its Jacobian by x is m×n and by b m×m (a "
        "diagonal matrix); by the matrix A it is an order-3 tensor m×(m×n), which has no "
        "matrix form and is written with einsum (index notation in LaTeX). Through a "
        "squared loss the derivatives by A and b are a matrix and a vector again.",
        [derive("Jacobian by x", LAYER, "x", steps=True),
         derive("Jacobian by b", LAYER, "b"),
         derive("derivative by A (order 3)", LAYER, "A"),
         derive("loss: gradient by A", LOSS, "A"),
         derive("loss: gradient by b", LOSS, "b", steps=True)])


if __name__ == "__main__":
    raise SystemExit(main(build))
