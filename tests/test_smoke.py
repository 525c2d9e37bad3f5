import numpy as np

import matcalc as mc


def test_parse_and_evaluate_least_squares():
    f = mc.parse("0.5*norm(y - A@x)^2", shapes={"A": ("m", "n"), "x": ("n",), "y": ("m",)})
    rng = np.random.default_rng(0)
    A, x, y = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    assert f.shape == ()
    assert np.isclose(mc.evaluate(f, {"A": A, "x": x, "y": y}), 0.5 * np.sum((y - A @ x) ** 2))
