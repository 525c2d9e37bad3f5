"""Linear regression with features: norm(y - Phi@theta)^2 by theta, and the normal equation.

    python examples/linear_regression.py

The gradient is affine in theta and the Hessian constant, so one Newton step
from any point, theta - inv(H) @ g, lands where the gradient is zero.  The
script does that with NumPy from the symbolic gradient and Hessian and compares
the answer with np.linalg.lstsq; it also substitutes the closed form
inv(Phi' Phi) Phi' y into the gradient and evaluates it.
"""

import numpy as np
from _common import Check, Example, derive, main, mc

F = "norm(y - Phi@theta)^2 where Phi: matrix(n, d), theta: vector(d), y: vector(n)"
NORMAL_EQUATION = "inv(Phi.T @ Phi) @ Phi.T @ y where Phi: matrix(n, d), y: vector(n)"


def data(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Polynomial features 1, t, t^2 of noisy samples of 1 + 2t - 0.5t^2."""
    rng = np.random.default_rng(seed)
    t = np.linspace(-2.0, 3.0, n)
    y = 1.0 + 2.0 * t - 0.5 * t**2 + 0.3 * rng.standard_normal(n)
    Phi = np.stack([np.ones_like(t), t, t**2], axis=1)
    return Phi, y


def build() -> Example:
    grad = derive("gradient by theta", F, "theta", steps=True)
    hess = derive("Hessian by theta", F, "theta", order=2)
    row = derive("gradient by theta, numerator layout (a row, as in MML)", F, "theta",
                 layout="numerator",
                 note="the same numbers as the column gradient (verify checks them)")

    Phi, y = data()
    theta0 = np.zeros(Phi.shape[1])
    g0 = np.asarray(mc.evaluate(grad.result, {"Phi": Phi, "y": y, "theta": theta0}))
    H = np.asarray(mc.evaluate(hess.result, {"Phi": Phi, "y": y, "theta": theta0}))
    theta = theta0 - np.linalg.solve(H, g0)
    lstsq = np.linalg.lstsq(Phi, y, rcond=None)[0]
    g_star = np.asarray(mc.evaluate(grad.result, {"Phi": Phi, "y": y, "theta": theta}))
    diff = float(np.max(np.abs(theta - lstsq)))
    newton = Check(
        "normal equation solved with NumPy from the symbolic gradient and Hessian",
        [f"data: {Phi.shape[0]} samples of 1 + 2t - 0.5t^2 + noise, features 1, t, t^2",
         f"g(0) = {np.array2string(g0, precision=4)},  H = {hess.result} = "
         f"{np.array2string(H, precision=2).replace(chr(10), '')}",
         f"theta* = 0 - solve(H, g(0)) = {np.array2string(theta, precision=6)}",
         f"np.linalg.lstsq(Phi, y)     = {np.array2string(lstsq, precision=6)}",
         f"max |theta* - lstsq| = {diff:.2e},  |g(theta*)| = {np.linalg.norm(g_star):.2e}"],
        [r"\theta^{\star} = \theta_{0} - H^{-1} g\left(\theta_{0}\right), \quad "
         r"\left\| \theta^{\star} - \theta_{\mathrm{lstsq}} \right\|_{\infty} = "
         + f"{diff:.1e}".replace("e-", r" \cdot 10^{-") + "}"],
        ok=diff < 1e-8 and float(np.linalg.norm(g_star)) < 1e-8)

    closed = mc.parse(NORMAL_EQUATION)
    at_closed = mc.subs(grad.result, {"theta": closed})
    residual = float(np.max(np.abs(np.asarray(mc.evaluate(at_closed, {"Phi": Phi, "y": y})))))
    closed_form = Check(
        "the closed form theta* = inv(Phi' Phi) Phi' y makes the gradient zero",
        [f"theta* = {closed}",
         f"gradient at theta* (subs) = {at_closed}",
         f"its largest entry on the data above: {residual:.2e}"],
        [r"\theta^{\star} = " + closed.latex(),
         r"\left.\frac{\partial f}{\partial \theta}\right|_{\theta = \theta^{\star}} = "
         + at_closed.latex()],
        ok=residual < 1e-8)

    return Example(
        "linear_regression", "Linear regression with features",
        "The squared error of a linear model on features Phi (one row per sample). "
        "The gradient vanishes where Phi' Phi theta = Phi' y, the normal equation.",
        [grad, hess, row, newton, closed_form])


if __name__ == "__main__":
    raise SystemExit(main(build))
