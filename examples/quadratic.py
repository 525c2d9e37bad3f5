"""The quadratic x' @ A @ x: gradient, Hessian, and the optimal step size along -g.

    python examples/quadratic.py

The Taylor series of a quadratic stops at the second term:
f(x - a g) = f(x) - a g'g + a^2/2 g'Hg, which is smallest at a* = (g'g)/(g'Hg).
The step size is built symbolically by substituting the gradient and the
Hessian into (g'@g)/(g'@H@g); the script then evaluates f along -g with NumPy
and shows that a* is where it is smallest, and that d/da f(x - a g) = 0 there.
"""

import numpy as np
from _common import Check, Example, derive, main, mc

F = "x' @ A @ x where A: matrix(n, n), x: vector(n)"
F_SYMMETRIC = "x' @ A @ x where A: symmetric(n), x: vector(n)"
STEP = "(g' @ g) / (g' @ H @ g) where g: vector(n), H: matrix(n, n)"
LINE = "x - a * g where x: vector(n), g: vector(n), a: scalar"


def point(n: int = 5, seed: int = 0) -> dict[str, np.ndarray]:
    """A non-symmetric A whose symmetric part is positive definite, and a point x."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    K = rng.standard_normal((n, n))
    A = M @ M.T + np.eye(n) + (K - K.T)  # the skew part does not change x'Ax
    return {"A": A, "x": rng.standard_normal(n)}


def build() -> Example:
    grad = derive("gradient by x", F, "x", steps=True)
    hess = derive("Hessian by x", F, "x", order=2)
    sym = derive("gradient by x when A is declared symmetric", F_SYMMETRIC, "x")
    sym_hess = derive("Hessian by x when A is declared symmetric", F_SYMMETRIC, "x", order=2)

    f = grad.f
    g, H = grad.result, hess.result
    alpha = mc.subs(mc.parse(STEP), {"g": g, "H": H})
    line = mc.subs(mc.parse(LINE), {"g": g})  # x - a * g(x)
    phi = mc.subs(f, {"x": line})  # f along -g, a function of a
    dphi = mc.diff(phi, "a")

    values = point()
    a_star = float(mc.evaluate(alpha, values))
    along = mc.to_numpy(phi)
    grid = np.linspace(0.0, 2.0 * a_star, 2001)
    fs = np.array([along(a=a, **values) for a in grid])
    a_grid = float(grid[np.argmin(fs)])
    slope = float(mc.evaluate(dphi, {**values, "a": a_star}))
    f0 = float(mc.evaluate(f, values))
    f_star = float(along(a=a_star, **values))
    nearby = min(float(along(a=a_star * (1 + e), **values)) for e in (-1e-3, 1e-3))
    spacing = float(grid[1] - grid[0])
    step = Check(
        "the optimal step size a* = (g'g)/(g'Hg) minimises f along -g",
        [f"a* = {alpha}",
         "f(x - a g) = " + str(phi),
         f"d/da f(x - a g) = {dphi}",
         f"at a random point (n=5, seed 0): a* = {a_star:.6f}",
         f"smallest f(x - a g) on a grid of 2001 steps in [0, 2a*]: a = {a_grid:.6f} "
         f"(grid spacing {spacing:.1e})",
         f"f(x) = {f0:.6f},  f(x - a* g) = {f_star:.6f},  "
         f"min f(x - a*(1 ± 1e-3) g) = {nearby:.6f}",
         f"d/da f(x - a g) at a*: {slope:.2e}"],
        [r"a^{\star} = \frac{g^{\top} g}{g^{\top} H g} = " + alpha.latex(),
         r"\frac{d}{da} f\left(x - a g\right) = " + dphi.latex()
         + r" \quad \left(= 0 \text{ at } a = a^{\star}\right)"],
        ok=abs(a_grid - a_star) <= spacing and f_star <= nearby and f_star < f0
        and abs(slope) < 1e-8 * max(1.0, abs(f0)))

    return Example(
        "quadratic", "The quadratic form and the optimal step size",
        "For a general square A the gradient of x'Ax is (A + A')x and the Hessian A + A'; "
        "declared symmetric, A gives 2Ax and 2A. Along the negative gradient the quadratic "
        "is a parabola in the step size a, smallest at a* = (g'g)/(g'Hg).",
        [grad, hess, sym, sym_hess, step])


if __name__ == "__main__":
    raise SystemExit(main(build))
