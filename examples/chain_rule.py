"""The chain rule: f = x1^2 + 2*x2 with x1 = sin(t), x2 = cos(t), by substitution (subs).

    python examples/chain_rule.py

df/dt two ways: differentiate the composition subs(f, {x1: sin(t), x2: cos(t)})
by t, and assemble the chain rule df/dt = ∂f/∂x1 dx1/dt + ∂f/∂x2 dx2/dt from
the four partial derivatives; the two agree at every t tried.
"""

import numpy as np
from _common import Check, Example, derive, main, mc

SCALARS = " where x1: scalar, x2: scalar, t: scalar"
F = "x1^2 + 2*x2" + SCALARS


def build() -> Example:
    f = mc.parse(F)
    inner = {"x1": mc.parse("sin(t)" + SCALARS), "x2": mc.parse("cos(t)" + SCALARS)}
    composed = mc.subs(f, inner)
    df_dx1 = derive("∂f/∂x1", f, "x1")
    df_dx2 = derive("∂f/∂x2", f, "x2")
    dx1_dt = derive("dx1/dt", inner["x1"], "t", fname="x1")
    dx2_dt = derive("dx2/dt", inner["x2"], "t", fname="x2")
    direct = derive("df/dt of the composition subs(f, {x1: sin(t), x2: cos(t)})",
                    composed, "t", steps=True)

    chain = mc.subs(mc.parse(
        f"({df_dx1.result}) * ({dx1_dt.result}) + ({df_dx2.result}) * ({dx2_dt.result})"
        + SCALARS), inner)
    ts = np.linspace(-3.0, 3.0, 13)
    gap = max(abs(float(mc.evaluate(chain, {"t": t})) - float(mc.evaluate(direct.result,
                                                                          {"t": t})))
              for t in ts)
    check = Check(
        "the chain rule assembled from the partial derivatives equals df/dt",
        [f"∂f/∂x1 · dx1/dt + ∂f/∂x2 · dx2/dt = ({df_dx1.result}) * ({dx1_dt.result}) + "
         f"({df_dx2.result}) * ({dx2_dt.result})",
         f"with x1 = sin(t), x2 = cos(t) substituted: {chain}",
         f"largest difference from the direct df/dt at {len(ts)} points in [-3, 3]: "
         f"{gap:.2e}"],
        [r"\frac{df}{dt} = \frac{\partial f}{\partial x_{1}} \frac{dx_{1}}{dt} + "
         r"\frac{\partial f}{\partial x_{2}} \frac{dx_{2}}{dt} = " + chain.latex()],
        ok=gap < 1e-12)
    return Example(
        "chain_rule", "The chain rule by substitution",
        f"f = {f} with x1 = sin(t) and x2 = cos(t); the composition is {composed}.",
        [df_dx1, df_dx2, dx1_dt, dx2_dt, direct, check])


if __name__ == "__main__":
    raise SystemExit(main(build))
