"""The scalar rules table: x^n, sin, tanh, exp, log, and the quotient rule.

    python examples/scalar_rules.py
"""

from _common import Check, Example, derive, main

SCALARS = " where x: scalar, n: scalar, u: scalar, v: scalar"
RULES = [  # (rule, expression, with steps)
    ("power rule", "x^n", False),
    ("sine", "sin(x)", False),
    ("hyperbolic tangent", "tanh(x)", False),
    ("exponential", "exp(x)", False),
    ("logarithm", "log(x)", False),
    ("quotient rule", "sin(x) / x", True),
]


def build() -> Example:
    items = [derive(f"{rule}: d/dx {text}", text + SCALARS, "x", steps=steps)
             for rule, text, steps in RULES]
    quotient = [derive("quotient rule: d/du u/v", "u / v" + SCALARS, "u"),
                derive("quotient rule: d/dv u/v", "u / v" + SCALARS, "v")]
    rows = items + quotient
    width = max(len(str(d.f)) for d in rows)
    table = Check(
        "the table",
        [f"{'f':<{width}}   derivative"]
        + [f"{str(d.f):<{width}}   d/d{d.wrt} = {d.result}" for d in rows],
        [r"\begin{array}{ll} f & \text{derivative} \\ \hline "
         + r" \\ ".join(rf"{d.f.latex()} & \frac{{\partial f}}{{\partial {d.wrt}}} = "
                        rf"{d.result.latex()}" for d in rows)
         + r" \end{array}"])
    return Example(
        "scalar_rules", "The scalar rules table",
        "Derivatives of scalar functions of a scalar x (n, u and v scalars too). The "
        "quotient rule appears as the product rule with d(1/u) = -du/u^2: "
        "(f/g)' = f'/g - f g'/g^2, which is (f'g - f g')/g^2.",
        items + quotient + [table])


if __name__ == "__main__":
    raise SystemExit(main(build))
