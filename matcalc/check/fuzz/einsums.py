"""Productions that reach the corners the independent (JAX) oracle found bugs in.

User ``einsum`` specs with repeated and summed-out indices, operands that are
disconnected from the rest of the product, order-3 operands plus scalars (and
through elementwise functions), and product dimensions that no array carries
(``tr(eye(m*n))``).  :func:`scalar_productions` gives them to the generator's
scalar rule as ``(weight, build)`` pairs.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from matcalc.check.fuzz.tree import DIMS, PRODUCT, Node, Shape, node

Gen = Callable[[Shape, int], Node]


def scalar_productions(r: random.Random, g: Gen, d: int
                       ) -> list[tuple[float, Callable[[], Node]]]:
    """Scalar-valued productions; ``g(shape, depth)`` generates an operand."""
    s: Shape = ()

    def k() -> str:
        return r.choice(DIMS)

    def order3(spec: str, template: str) -> Node:
        """``einsum(spec, template)`` around the order-3 outer product of a matrix and a
        vector; ``{2}`` in the template is a scalar operand."""
        inner = 'einsum("ij,k->ijk", {0}, {1})'
        kids = [g((k(), k()), d), g((k(),), d)] + ([g(s, d)] if "{{2}}" in template else [])
        return node(f'einsum("{spec}", {template.format(inner)})', s, *kids)

    return [
        # an order-3 tensor plus a scalar: the scalar must not be lost
        (0.4, lambda: order3("ijk->", "({0} + {{2}})")),
        (0.3, lambda: order3("ijk->", "tanh({0})")),
        (0.3, lambda: (lambda i, j: node(f'einsum("ijk->", ({{0}} - ones({i}, {j}, {i})) / '
                                         f'{{1}})', s, g(s, d), g(s, d)))(k(), k())),
        # operands disconnected from the rest and summed over all their indices
        (0.3, lambda: node('einsum("ij,kl->", {0}, {1})', s, g((k(), k()), d),
                           g((k(), k()), d))),
        (0.3, lambda: (lambda n: node('einsum("jl->", eye(' + n + ')) * {0}', s,
                                      g(s, d)))(k())),
        # repeated indices in one operand, summed out
        (0.3, lambda: node('einsum("ii,jj->", {0}, {1})', s, g((k(),) * 2, d),
                           g((k(),) * 2, d))),
        # a product dimension that no array carries
        (0.3, lambda: node(f"({{0}} * tr(eye({PRODUCT})))", s, g(s, d))),
        (0.3, lambda: node(f"sum({{0}} * ones({PRODUCT}) + 2)", s, g(s, d))),
    ]
