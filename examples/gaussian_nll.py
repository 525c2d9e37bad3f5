"""The Gaussian negative log-likelihood by the mean mu and by the covariance S (spd).

    python examples/gaussian_nll.py
"""

from _common import Example, derive, main

F = ("0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu) "
     "where S: spd(n), x: vector(n), mu: vector(n)")


def build() -> Example:
    return Example(
        "gaussian_nll", "Gaussian negative log-likelihood",
        "The negative log-density of N(mu, S) at x, up to a constant. S is declared "
        "symmetric positive definite, so its gradient is the symmetric matrix that gives "
        "every symmetric perturbation's directional derivative, and verify perturbs S "
        "along symmetric directions only.",
        [derive("gradient by mu", F, "mu", steps=True),
         derive("gradient by S", F, "S", steps=True)])


if __name__ == "__main__":
    raise SystemExit(main(build))
