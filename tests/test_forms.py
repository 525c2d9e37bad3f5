"""The presentations of a derivative (SPEC section 3): array, differential, vec.

Each form is checked numerically against the array form at distinct sizes: the
differential ``df`` at a random direction ``dX`` equals the array derivative
contracted with ``dX``; the vec Jacobian equals the array derivative with its
axes column-stacked.  Printed forms are compared exactly where the books give
them (Magnus & Neudecker, "Matrix Differential Calculus", 3rd ed., ch. 9 and
table 9.1 (vec forms); the Matrix Cookbook, section 10.2 (Kronecker identities)).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import matcalc as mc
from matcalc.calculus.forward import JVP
from matcalc.cli.app import main
from matcalc.ops import OPS

from katex import katex_failures
from test_operators import IDS, ROWS, SHAPES

SIZES = {"m": 2, "n": 3, "p": 4, "q": 5}


def _size(d: Any) -> int:
    return int(np.prod([SIZES[f] if not f.isdigit() else int(f) for f in str(d).split("*")]))


def _values(*exprs: mc.Expr, seed: int = 3) -> dict[str, Any]:
    """Values for every variable: well-conditioned squares, positive entries."""
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    for e in exprs:
        for name, v in e.variables().items():
            if name in out:
                continue
            shape = tuple(_size(d) for d in v.shape)
            a = rng.uniform(0.2, 0.9, size=shape)
            if len(shape) == 2 and shape[0] == shape[1]:
                a = np.eye(shape[0]) + 0.1 * a
                if v.structure:
                    a = (a + a.T) / 2
            out[name] = a
    return out


def _with_sizes(e: mc.Expr, values: dict[str, Any]) -> dict[str, Any]:
    """The values, and the sizes of dimensions no variable of ``e`` fixes alone (unvec)."""
    named = {str(d) for v in e.variables().values() for d in v.shape}
    return {**values, **{k: v for k, v in SIZES.items() if k not in named}}


def _parse(text: str, shapes: dict[str, Any] | None = None) -> mc.Expr:
    shapes = shapes if shapes is not None else {
        k: v for k, v in SHAPES.items() if re.search(rf"\b{k}\b", text)}
    return mc.parse(text, shapes=shapes)


def _check_differential(f: mc.Expr, wrt: str) -> mc.Expr:
    df = mc.diff(f, wrt, form="differential")
    D = mc.diff(f, wrt)
    x = f.variables()[wrt]
    values = _values(f, df)
    direction = values["d" + wrt]
    want = np.tensordot(np.asarray(mc.evaluate(D, _with_sizes(D, values))), direction,
                        axes=x.ndim)
    got = np.asarray(mc.evaluate(df, _with_sizes(df, values)))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert df.shape == f.shape
    assert mc.parse(str(df), shapes={k: v.shape for k, v in df.variables().items()}) is df
    return df


# ----------------------------------------------------------------------------------------
# the differential


def test_every_operator_has_a_differential_rule() -> None:
    assert sorted(set(OPS) - set(JVP)) == []


@pytest.mark.parametrize("what,text_,wrt", ROWS, ids=IDS)
def test_differential_of_every_operator(what: str, text_: str, wrt: str) -> None:
    _check_differential(_parse(text_), wrt)


@pytest.mark.parametrize("text_,wrt,shapes,want", [
    ("inv(X)", "X", {"X": ("n", "n")}, "-inv(X) @ dX @ inv(X)"),
    ("A @ x", "A", {"A": ("m", "n")}, "dA @ x"),
    ("tanh(A @ x + b)", "A", {"A": ("m", "n")}, "(1 - tanh(A @ x + b)^2) * (dA @ x)"),
    ("logdet(X)", "X", {"X": ("n", "n")}, "tr(inv(X) @ dX)"),
    ("det(X)", "X", {"X": ("n", "n")}, "det(X) * tr(inv(X) @ dX)"),
    ("A @ X @ B", "X", {"A": ("m", "n"), "X": ("n", "p"), "B": ("p", "q")}, "A @ dX @ B"),
    ("X @ X", "X", {"X": ("n", "n")}, "dX @ X + X @ dX"),
    ("kron(A, B)", "A", {"A": ("m", "n"), "B": ("p", "q")}, "kron(dA, B)"),
    ("X'", "X", {"X": ("m", "n")}, "dX.T"),
    ("tr(A @ X)", "X", {"A": ("n", "m"), "X": ("m", "n")}, "tr(A @ dX)"),
])
def test_differential_in_matrix_notation(text_: str, wrt: str, shapes: dict[str, Any],
                                         want: str) -> None:
    df = _check_differential(_parse(text_, shapes), wrt)
    assert str(df) == want


def test_differential_of_order_three_and_four_derivatives() -> None:
    # the single layer's Jacobian by A is order 3 as an array; its differential a matrix
    shapes = {"A": ("m", "n"), "x": ("n",), "b": ("m",)}
    layer = _parse("tanh(A @ x + b)", shapes)
    J = mc.diff(layer, "x")
    dJ = _check_differential(J, "A")
    assert dJ.shape == ("m", "n")
    assert "einsum" not in str(dJ)
    hess = mc.diff(_parse("logdet(X)", {"X": ("n", "n")}), "X")  # inv(X).T
    assert str(_check_differential(hess, "X")) == "-inv(X).T @ dX.T @ inv(X).T"


def test_differential_by_a_symmetric_variable_keeps_the_structure() -> None:
    f = _parse("x' @ S @ x", {"S": "symmetric(n)", "x": ("n",)})
    df = mc.diff(f, "S", form="differential")
    assert df.variables()["dS"].structure == "symmetric"
    assert str(df) == "x.T @ dS @ x"


def test_form_is_checked() -> None:
    f = _parse("inv(X)", {"X": ("n", "n")})
    with pytest.raises(mc.DiffError, match="form must be one of"):
        mc.diff(f, "X", form="matrix")
    with pytest.raises(mc.DiffError, match="steps"):
        mc.diff(f, "X", form="differential", steps=True)


def test_cli_differential(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "tanh(A@x + b)", "--wrt", "A", "--form", "differential"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "dF = (1 - tanh(A @ x + b)^2) * (dA @ x)"
    assert out[1] == "  F = tanh(A @ x + b)"
    assert main(["latex", "inv(X)", "--wrt", "X", "--form", "differential"]) == 0
    tex = capsys.readouterr().out.strip()
    assert tex.startswith(r"\mathrm{d}F = -X^{-1} \mathrm{d}X X^{-1}")


def test_latex_of_the_forms_passes_katex(katex_prefix: Any) -> None:
    from matcalc.printing.latex import form_latex

    cases = [("inv(X)", "X", {"X": ("n", "n")}), ("tanh(A @ x + b)", "A", {"A": ("m", "n")})]
    texts = []
    for text_, wrt, shapes in cases:
        f = _parse(text_, shapes)
        texts.append(form_latex(f, wrt, mc.diff(f, wrt, form="differential"), "differential"))
    assert katex_failures(katex_prefix, texts) == []


def test_a_notebook_shows_each_form_as_such(katex_prefix: Any) -> None:
    from matcalc.printing.latex import display_latex

    inverse = _parse("inv(X)", {"X": ("n", "n")})
    product = _parse("A @ X @ B", {"A": ("m", "n"), "X": ("n", "p"), "B": ("p", "q")})
    layer = _parse("tanh(A @ x + b)", {"A": ("m", "n")})
    dF = mc.diff(inverse, "X", form="differential")
    J = mc.diff(product, "X", form="vec")
    dlayer = mc.diff(layer, "A", form="differential")  # order 3 as an array
    shown = [display_latex(e) for e in (dF, J, dlayer)]
    assert dF._repr_latex_() == (r"$\displaystyle \mathrm{d}F = -X^{-1} \mathrm{d}X X^{-1} "
                                 r"\in \mathbb{R}^{n \times n}, \quad F = X^{-1}$")
    assert J._repr_latex_() == (
        r"$\displaystyle \frac{\partial \operatorname{vec} F}{\partial \operatorname{vec}"
        r"(X)^{\top}} = B^{\top} \otimes A \in \mathbb{R}^{m q \times n p}, \quad "
        r"F = A X B$")
    assert shown[2] == (r"\mathrm{d}F = \left(1 - \tanh\left(A x + b\right)^{2}\right) "
                        r"\odot \left(\mathrm{d}A x\right) \in \mathbb{R}^{m}, \quad "
                        r"F = \tanh\left(A x + b\right)")
    assert katex_failures(katex_prefix, shown) == []
    # what is shown is right: each form against the array form (and it re-parses) ...
    assert _check_differential(inverse, "X") is dF
    assert _check_vec(product, "X") is J
    assert _check_differential(layer, "A") is dlayer
    # ... and the node parsed back is an expression, no longer shown as a form
    assert not display_latex(dF).startswith(r"\mathrm{d}F")


# ----------------------------------------------------------------------------------------
# the vec form


def _column_stacked(D: np.ndarray, f_ndim: int) -> np.ndarray:
    """The array derivative as d vec(f)/d vec(x)': each group of axes column-stacked."""
    order = list(reversed(range(f_ndim))) + list(reversed(range(f_ndim, D.ndim)))
    rows = int(np.prod(D.shape[:f_ndim]))
    return np.transpose(D, order).reshape(rows, -1)


def _check_vec(f: mc.Expr, wrt: str) -> mc.Expr:
    J = mc.diff(f, wrt, form="vec")
    D = mc.diff(f, wrt)
    values = _values(f)
    want = _column_stacked(np.asarray(mc.evaluate(D, _with_sizes(D, values))), f.ndim)
    got = np.asarray(mc.evaluate(J, _with_sizes(J, values)))
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-9, atol=1e-12)
    if f.variables()[wrt].shape:
        assert J.ndim == 2 and _size(J.shape[-1]) == want.shape[1]
    assert mc.parse(str(J), shapes={k: v.shape for k, v in J.variables().items()}) is J
    return J


@pytest.mark.parametrize("what,text_,wrt", ROWS, ids=IDS)
def test_vec_form_of_every_operator(what: str, text_: str, wrt: str) -> None:
    _check_vec(_parse(text_), wrt)


# Magnus & Neudecker, table 9.1 and ch. 9 (and the Cookbook's vec identities, MC 520)
@pytest.mark.parametrize("text_,wrt,shapes,want", [
    ("A @ X @ B", "X", {"A": ("m", "n"), "X": ("n", "p"), "B": ("p", "q")}, "kron(B.T, A)"),
    ("A @ x", "A", {"A": ("m", "n")}, "kron(x.T, eye(m))"),
    ("inv(X)", "X", {"X": ("n", "n")}, "-kron(inv(X).T, inv(X))"),
    ("X'", "X", {"X": ("m", "n")}, "commutation(m, n)"),
    ("X @ X", "X", {"X": ("n", "n")}, "kron(X.T, eye(n)) + kron(eye(n), X)"),
    ("tr(X)", "X", {"X": ("n", "n")}, "vec(eye(n)).T"),
    ("logdet(X)", "X", {"X": ("n", "n")}, "vec(inv(X).T).T"),
    ("det(X)", "X", {"X": ("n", "n")}, "det(X) * vec(inv(X).T).T"),
    ("tanh(A @ x + b)", "A", {"A": ("m", "n")}, "diag(1 - tanh(A @ x + b)^2) @ kron(x.T, eye(m))"),
    ("A @ X", "X", {"A": ("m", "n"), "X": ("n", "p")}, "kron(eye(p), A)"),
    # diag(diag(X)) = I ⊙ X: vec(I ⊙ dX) = diag(vec(I)) vec(dX)   (ch. 9.14); diag(X) =
    # (I ⊙ X) 1, so d vec = (1' ⊗ I) diag(vec(I)); diag(x) = I ⊙ (x 1'): diag(vec(I)) (1 ⊗ I)
    ("diag(diag(X))", "X", {"X": ("n", "n")}, "diag(vec(eye(n)))"),
    ("diag(X)", "X", {"X": ("n", "n")}, "kron(ones(1, n), eye(n)) @ diag(vec(eye(n)))"),
    ("diag(x)", "x", {"x": ("n",)}, "diag(vec(eye(n))) @ kron(ones(n, 1), eye(n))"),
    ("diag(diag(X))", "X", {"X": "symmetric(n)"}, "diag(vec(eye(n)))"),
    ("X @ B", "X", {"X": ("n", "p"), "B": ("p", "q")}, "kron(B.T, eye(n))"),
])
def test_vec_form_magnus_neudecker(text_: str, wrt: str, shapes: dict[str, Any],
                                   want: str) -> None:
    assert str(_check_vec(_parse(text_, shapes), wrt)) == want


def test_vec_form_of_a_hessian_by_a_matrix() -> None:
    # d² logdet(X): the Hessian -K_nn kron(inv(X)', inv(X))   (Magnus & Neudecker, ch. 10.5)
    gradient = mc.diff(_parse("logdet(X)", {"X": ("n", "n")}), "X")
    assert str(_check_vec(gradient, "X")) == "-commutation(n, n) @ kron(inv(X).T, inv(X))"


def test_vec_form_without_a_kronecker_form_is_still_right() -> None:
    J = _check_vec(_parse("x @ y'", {"x": ("n",), "y": ("m",)}), "x")
    assert "einsum" in str(J)  # an outer product dx @ y': the column-stacked array


# vec(A ⊗ B) = (I_n ⊗ K_qm ⊗ I_p)(vec A ⊗ vec B) for A m×n, B p×q (Magnus & Neudecker,
# theorem 3.10), so d vec(A ⊗ X) = (I_n ⊗ K_qm ⊗ I_p)(vec(A) ⊗ I_pq) d vec(X), and
# d vec(X ⊗ B) = (I_n ⊗ K_qm ⊗ I_p)(I_mn ⊗ vec(B)) d vec(X); a ⊗ I is (a' ⊗ I)' (a column)
KRON_PERMUTATION = "kron(kron(eye(n), commutation(q, m)), eye(p))"


# the Cookbook's Kronecker identities (MC 511-516) hold in every form: A m×m, X n×n
@pytest.mark.parametrize("text_,wrt,vec,differential", [
    ("tr(kron(A, X))", "X", "tr(A) * vec(eye(n)).T", "tr(A) * tr(dX)"),
    ("logdet(kron(A, X))", "X", "tr(eye(m)) * vec(inv(X).T).T",
     "tr(eye(m)) * tr(inv(X) @ dX)"),
    ("det(kron(A, X))", "X", "m * det(A)^n * det(X)^m * vec(inv(X).T).T",
     "m * det(A)^n * det(X)^m * tr(inv(X) @ dX)"),
])
def test_kronecker_identities_in_the_vec_and_differential_forms(
        text_: str, wrt: str, vec: str, differential: str) -> None:
    f = _parse(text_, {"A": ("m", "m"), "X": ("n", "n")})
    assert str(_check_vec(f, wrt)) == vec
    assert str(_check_differential(f, wrt)) == differential


@pytest.mark.parametrize("text_,wrt,shapes,want", [
    ("kron(A, X)", "X", {"A": ("m", "n"), "X": ("p", "q")},
     f"{KRON_PERMUTATION} @ kron(vec(A).T, eye(p*q)).T"),
    ("kron(X, B)", "X", {"X": ("m", "n"), "B": ("p", "q")},
     f"{KRON_PERMUTATION} @ kron(eye(m*n), vec(B).T).T"),
    ("kron(X, X)", "X", {"X": ("m", "n")},  # both: P ((I ⊗ vec X) + (vec X ⊗ I))
     "kron(kron(eye(n), commutation(n, m)), eye(m)) @ "
     "(kron(eye(m*n), vec(X).T).T + kron(vec(X).T, eye(m*n)).T)"),
    # vectors: vec(a ⊗ x) = a ⊗ x, no permutation (K_1m = I)
    ("kron(a, x)", "x", {"a": ("m",), "x": ("p",)}, "kron(a.T, eye(p)).T"),
    ("kron(x, b)", "x", {"x": ("m",), "b": ("p",)}, "kron(eye(m), b.T).T"),
    # a column B (q = 1): K_1m = I, so P is the identity too
    ("kron(A, X)", "X", {"A": ("m", "n"), "X": ("p", 1)},
     "kron(vec(A).T, eye(p)).T"),
])
def test_vec_form_of_kron(text_: str, wrt: str, shapes: dict[str, Any], want: str) -> None:
    J = _check_vec(_parse(text_, shapes), wrt)
    assert str(J) == want
    assert "einsum" not in str(J)


def test_commutation_matrix() -> None:
    K = mc.parse("commutation(m, n)")
    assert K.shape == ("m*n", "m*n") and str(K) == "commutation(m, n)"
    assert K.latex() == "K_{m n}"
    X = np.arange(6.0).reshape(2, 3)
    k = np.asarray(mc.evaluate(K, {"m": 2, "n": 3}))
    np.testing.assert_array_equal(k @ X.reshape(-1, order="F"), X.T.reshape(-1, order="F"))
    f = mc.parse("commutation(m, n) @ vec(X)", shapes={"X": ("m", "n")})
    np.testing.assert_array_equal(mc.evaluate(f, {"X": X}), X.T.reshape(-1, order="F"))
    M = np.arange(12.0).reshape(6, 2)
    for text_, value, want in [("commutation(m, n) @ M", M, k @ M),
                               ("M' @ commutation(m, n)", M, M.T @ k)]:
        g = mc.parse(text_, shapes={"M": ("m*n", "k")})
        np.testing.assert_allclose(mc.evaluate(g, {"M": value, "m": 2, "n": 3}), want)


def test_commutation_in_generated_code(tmp_path: Any) -> None:
    from generated import load

    f = mc.parse("sum((commutation(m, n) @ vec(X)) * v)", shapes={"X": ("m", "n"),
                                                                  "v": ("m*n",)})
    source = mc.codegen(f, wrt=["X"])
    assert "np.eye" not in source  # K @ v is v's entries permuted, not a product with K
    module = load(source, tmp_path)
    X, v = np.arange(6.0).reshape(2, 3), np.arange(6.0)
    value, grad = module.value_and_derivatives(X=X, v=v)
    np.testing.assert_allclose(value, mc.evaluate(f, {"X": X, "v": v}))
    np.testing.assert_allclose(grad, mc.evaluate(mc.diff(f, "X"), {"X": X, "v": v}))


def test_products_of_dimensions_commute() -> None:
    f = mc.parse("vec(U)' @ kron(A, B) @ vec(V)",
                 shapes={"U": ("p", "m"), "A": ("m", "n"), "B": ("p", "q"), "V": ("q", "n")})
    assert f.shape == ()
    assert mc.parse("x + y", shapes={"x": ("p*m",), "y": ("m*p",)}).shape == ("m*p",)


def test_cli_vec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "inv(X)", "--wrt", "X", "--form", "vec"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "d vec(F)/d vec(X)' = -kron(inv(X).T, inv(X))"


def test_readme_tour_shows_real_output_of_the_forms(capsys: pytest.CaptureFixture[str]) -> None:
    import shlex
    from pathlib import Path

    lines = (Path(__file__).parent.parent / "README.md").read_text("utf-8").splitlines()
    checked = 0
    forms = []
    for k, line in enumerate(lines):  # every diff of the tour, whatever its form
        if not line.startswith("$ matcalc diff"):
            continue
        if line.startswith('$ matcalc diff "tanh(A@x + b)" --wrt A '):
            forms.append(line.split("--form ")[1].split()[0] if "--form" in line else "array")
        want = []
        for after in lines[k + 1:]:
            if after.startswith(("$", "```")):
                break
            want.append(after)
        assert main(shlex.split(line[2:], comments=True)[1:]) == 0
        assert capsys.readouterr().out.splitlines() == want
        checked += 1
    assert checked >= 8
    # the single layer's order-3 derivative by A in all three forms
    assert forms == ["array", "differential", "vec"]


# ----------------------------------------------------------------------------------------
# hvp


@pytest.mark.parametrize("text_,wrt,shapes,want", [
    ("0.5*norm(y - A@x)^2", "x", {"A": ("m", "n")}, "A.T @ A @ v"),  # A'(A v), a chain
    # d² logdet in the direction V: the differential of inv(X)', -inv(X)' V' inv(X)'
    ("logdet(X)", "X", {"X": ("n", "n")}, "-inv(X).T @ v_X.T @ inv(X).T"),
    ("sum(tanh(A @ x + b))", "A", {"A": ("m", "n")}, None),  # an order-4 Hessian
])
def test_hvp_is_the_hessian_times_v(text_: str, wrt: str, shapes: dict[str, Any],
                                    want: str | None) -> None:
    f = _parse(text_, shapes)
    name = "v" if wrt == "x" else "v_" + wrt
    Hv = mc.hvp(f, wrt, name)
    if want is not None:
        assert str(Hv) == want
    H = mc.hessian(f, wrt)
    values = _values(f, Hv)
    x = f.variables()[wrt]
    expected = np.tensordot(np.asarray(mc.evaluate(H, _with_sizes(H, values))), values[name],
                            axes=x.ndim)
    np.testing.assert_allclose(mc.evaluate(Hv, _with_sizes(Hv, values)), expected,
                               rtol=1e-9, atol=1e-12)
    assert Hv.shape == x.shape
