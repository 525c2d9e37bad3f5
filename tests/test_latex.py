"""The LaTeX printer: exact strings (as SymPy's test_latex.py), and KaTeX accepts them all.

Every string these tests produce comes from a builder in one of the tables
below, so :func:`test_katex_accepts_every_string` renders every one of them,
whichever tests are selected and in whatever order they run.  KaTeX is
installed from npm into ``tests/.katex`` on first use (``.ci/run`` installs it
too); without node or npm that test fails, it does not skip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

import matcalc as mc
import matcalc.ops.construct as c
from matcalc.core.expr import Expr, make
from matcalc.printing.latex import derivative_latex, latex_name, shape_latex, to_latex

from katex import katex_failures

LS = {"A": ("m", "n"), "x": ("n",), "y": ("m",)}  # least squares

# a user's function prints with the LaTeX it was registered with
mc.register_function("latexgelu", None, latex=r"\operatorname{GELU}")


def tex(text: str, shapes: Mapping[str, Any] | None = None, **options: Any
        ) -> Callable[[], str]:
    """A builder: parse ``text`` and print it."""
    return lambda: mc.parse(text, shapes=shapes).latex(**options)


def case(build: Callable[[], str], expected: str, id: str | None = None) -> Any:
    return pytest.param(build, expected, id=id)


# ----------------------------------------------------------------------------------------
# expressions

EXPRESSIONS = [
    # numbers, signs and sums
    case(tex("x"), "x"),
    case(tex("2*x"), "2 x"),
    case(tex("0.5*x"), r"\frac{1}{2} x"),
    case(tex("0.1*x"), "0.1 x"),
    case(tex("x/3"), r"\frac{1}{3} x"),
    case(tex("1e-12*x"), "10^{-12} x"),
    case(tex("1.5e-12*x"), r"1.5 \cdot 10^{-12} x"),
    case(tex("2 * 3^a", {"a": ()}), r"2 \cdot 3^{a}"),
    case(tex("-x"), "-x"),
    case(tex("-2*x + y"), "y - 2 x"),
    case(tex("x - 0.5*y"), r"x - \frac{1}{2} y"),
    case(tex("a - 3", {"a": ()}), "a - 3"),
    case(tex("-(x.T @ y)"), r"-x^{\top} y"),
    # quotients
    case(tex("x / y"), r"\frac{x}{y}"),
    case(tex("2*x / y"), r"\frac{2 x}{y}"),
    case(tex("x / (2*y)"), r"\frac{x}{2 y}"),
    case(tex("sum(x) / n", {"x": ("n",)}), r"\frac{\operatorname{sum}\left(x\right)}{n}"),
    case(tex("A @ x / norm(x)"), r"\frac{A x}{\left\| x \right\|_{2}}"),
    case(tex("x^(-2)"), r"\frac{1}{x^{2}}"),
    case(tex("x^(-1/2)"), r"\frac{1}{\sqrt{x}}"),
    case(tex("A / B"), r"A \odot B^{\circ -1}"),
    # matrix and elementwise products
    case(tex("A.T @ (A @ x - y)", LS), r"A^{\top} \left(A x - y\right)"),
    case(tex("(A + B) @ x"), r"\left(A + B\right) x"),
    case(tex("x.T @ A @ x"), r"x^{\top} A x"),
    case(tex("x @ y.T"), r"x y^{\top}"),
    case(tex("dot(x, y)"), r"x^{\top} y"),
    case(tex("2 * A @ x"), "2 A x"),
    case(tex("exp(x) * y"), r"\exp\left(x\right) \odot y"),
    case(tex("x * y * z"), r"x \odot y \odot z"),
    case(tex("-x * y"), r"-x \odot y"),
    case(tex("(A @ B) * C"), r"\left(A B\right) \odot C"),
    case(tex("A @ (x * y)"), r"A \left(x \odot y\right)"),
    case(tex("(x.T @ y) * (A @ x)"), r"\left(x^{\top} y\right) A x"),
    case(tex("kron(A, B)"), r"A \otimes B"),
    case(tex("kron(A @ B, C)"), r"\left(A B\right) \otimes C"),
    case(tex("kron(x, y)"), r"x \otimes y"),
    # powers
    case(tex("x^2"), "x^{2}"),
    case(tex("-x^2"), "-x^{2}"),
    case(tex("x^y"), "x^{y}"),
    case(tex("a^(b + c)", {"a": (), "b": (), "c": ()}), "a^{b + c}"),
    case(tex("x^(1/2)"), r"\sqrt{x}"),
    case(tex("x^(1/3)"), r"x^{\frac{1}{3}}"),
    case(tex("(x^2)^a", {"a": ()}), r"\left(x^{2}\right)^{a}"),
    case(tex("(x.T @ y)^2"), r"\left(x^{\top} y\right)^{2}"),
    case(tex("x.T^2"), r"\left(x^{\top}\right)^{2}"),
    case(tex("X^2"), r"X^{\circ 2}"),
    case(tex("0.5*norm(y - A@x)^2", LS), r"\frac{1}{2} \left\| y - A x \right\|_{2}^{2}"),
    # transposes and inverses
    case(tex("(A @ x - y).T", LS), r"\left(A x - y\right)^{\top}"),
    case(tex("inv(X)"), "X^{-1}"),
    case(tex("inv(X).T"), r"X^{-\top}"),
    case(tex("inv(A + B)"), r"\left(A + B\right)^{-1}"),
    case(tex("inv(A.T @ A) @ A.T @ y"), r"\left(A^{\top} A\right)^{-1} A^{\top} y"),
    case(tex("x.T @ inv(S) @ x"), r"x^{\top} S^{-1} x"),
    # constant arrays
    case(tex("zeros(3)"), r"\mathbf{0}"),
    case(tex("x + ones(n)", {"x": ("n",)}), r"x + \mathbf{1}"),
    case(tex("ones(1, n)"), r"\mathbf{1}^{\top}"),
    case(tex("I - A", {"A": ("n", "n")}), "I_{n} - A"),
    case(tex("eye(3)"), "I_{3}"),
    # elementwise functions: the latex field of their table entry
    case(tex("tanh(A @ x + b)"), r"\tanh\left(A x + b\right)"),
    case(tex("log(1 + exp(x))"), r"\log\left(1 + \exp\left(x\right)\right)"),
    case(tex("sigmoid(X @ w)"), r"\sigma\left(X w\right)"),
    case(tex("sqrt(x) / y"), r"\frac{\sqrt{x}}{y}"),
    case(tex("sin(x) + cos(x) + tan(x)"),
         r"\sin\left(x\right) + \cos\left(x\right) + \tan\left(x\right)"),
    case(tex("sinh(x) + cosh(x)"), r"\sinh\left(x\right) + \cosh\left(x\right)"),
    case(tex("abs(x) + relu(x)"),
         r"\operatorname{abs}\left(x\right) + \operatorname{relu}\left(x\right)"),
    case(tex("softplus(x) + sign(x) + step(x)"),
         r"\operatorname{softplus}\left(x\right) + \operatorname{sign}\left(x\right) + "
         r"\operatorname{step}\left(x\right)"),
    case(tex("latexgelu(W @ x)"), r"\operatorname{GELU}\left(W x\right)"),
    # reductions and matrix functions
    case(tex("sum(X)"), r"\operatorname{sum}\left(X\right)"),
    case(tex("norm(x)"), r"\left\| x \right\|_{2}"),
    case(tex("norm(X)"), r"\left\| X \right\|_{F}"),
    case(tex("norm1(x)"), r"\left\| x \right\|_{1}"),
    case(tex("norminf(x)"), r"\left\| x \right\|_{\infty}"),
    case(tex("norm1(X)"), r"\left\| \operatorname{vec}\left(X\right) \right\|_{1}"),
    case(tex("norminf(X)"), r"\left\| \operatorname{vec}\left(X\right) \right\|_{\infty}"),
    case(tex("tr(A @ X @ B)"), r"\operatorname{tr}\left(A X B\right)"),
    case(tex("det(X)"), r"\det\left(X\right)"),
    case(tex("logdet(S) where S: spd(n)"), r"\log\det\left(S\right)"),
    case(tex("logdet(X)"), r"\log\left|\det\left(X\right)\right|"),
    case(tex("diag(x)"), r"\operatorname{diag}\left(x\right)"),
    case(tex("diag(X)"), r"\operatorname{diag}\left(X\right)"),
    case(tex("softmax(x)"), r"\operatorname{softmax}\left(x\right)"),
    case(tex("logsumexp(x)"), r"\operatorname{logsumexp}\left(x\right)"),
    case(tex("ismax(x)"), r"\operatorname{ismax}\left(x\right)"),
    case(tex("vec(X)"), r"\operatorname{vec}\left(X\right)"),
    case(tex("unvec(v, m, n)", {"v": ("k",)}), r"\operatorname{unvec}_{m \times n}\left(v\right)"),
    # the course examples
    case(tex("-sum(y*log(sigmoid(X@w + b)) + (1-y)*log(1 - sigmoid(X@w + b)))/n",
             {"b": (), "X": ("n", "d")}),
         r"-\frac{\operatorname{sum}\left(y \odot \log\left(\sigma\left(X w + b\right)\right)"
         r" + \left(1 - y\right) \odot \log\left(1 - \sigma\left(X w + b\right)\right)\right)}"
         r"{n}"),
    case(tex("0.5*logdet(S) + 0.5*(x - mu).T @ inv(S) @ (x - mu) where S: spd(n)"),
         r"\frac{1}{2} \log\det\left(S\right) + \frac{1}{2} \left(x - \mu\right)^{\top} "
         r"S^{-1} \left(x - \mu\right)"),
    case(tex("norm(y - Phi @ theta)^2"), r"\left\| y - \Phi \theta \right\|_{2}^{2}"),
    # names
    case(tex("theta.T @ Sigma @ theta"), r"\theta^{\top} \Sigma \theta"),
    case(tex("beta2 * W1 @ x", {"beta2": ()}), r"\beta_{2} W_{1} x"),
    case(tex("θ + mu_0"), r"\theta + \mu_{0}"),
    case(tex("loss + x_i", {"loss": (), "x_i": ()}), r"\mathrm{loss} + x_{i}"),
]


@pytest.mark.parametrize("build, expected", EXPRESSIONS)
def test_expression(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


# ----------------------------------------------------------------------------------------
# bold vectors and matrices

BOLD = [
    case(tex("A.T @ (A @ x - y)", LS, bold=True),
         r"\mathbf{A}^{\top} \left(\mathbf{A} \mathbf{x} - \mathbf{y}\right)"),
    case(tex("theta.T @ Sigma @ theta", bold=True),
         r"\boldsymbol{\theta}^{\top} \boldsymbol{\Sigma} \boldsymbol{\theta}"),
    case(tex("s * W1 @ x", {"s": ()}, bold=True), r"s \mathbf{W}_{1} \mathbf{x}"),
    case(tex("lambda * beta2", {"lambda": (), "beta2": ("n",)}, bold=True),
         r"\lambda \boldsymbol{\beta}_{2}"),
    case(tex("I - A", {"A": ("n", "n")}, bold=True), r"\mathbf{I}_{n} - \mathbf{A}"),
]


@pytest.mark.parametrize("build, expected", BOLD)
def test_bold(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


# ----------------------------------------------------------------------------------------
# names

NAMES = [
    ("x", "x", r"\mathbf{x}"),
    ("theta", r"\theta", r"\boldsymbol{\theta}"),
    ("Sigma", r"\Sigma", r"\boldsymbol{\Sigma}"),
    ("mu", r"\mu", r"\boldsymbol{\mu}"),
    ("varphi", r"\varphi", r"\boldsymbol{\varphi}"),
    ("θ", r"\theta", r"\boldsymbol{\theta}"),
    ("Δ", r"\Delta", r"\boldsymbol{\Delta}"),
    ("W1", "W_{1}", r"\mathbf{W}_{1}"),
    ("x_1", "x_{1}", r"\mathbf{x}_{1}"),
    ("beta2", r"\beta_{2}", r"\boldsymbol{\beta}_{2}"),
    ("θ12", r"\theta_{12}", r"\boldsymbol{\theta}_{12}"),
    ("sigma_max", r"\sigma_{\mathrm{max}}", r"\boldsymbol{\sigma}_{\mathrm{max}}"),
    ("x_alpha", r"x_{\alpha}", r"\mathbf{x}_{\alpha}"),
    ("loss", r"\mathrm{loss}", r"\mathbf{loss}"),
    ("Alpha", r"\mathrm{Alpha}", r"\mathbf{Alpha}"),
    ("_x", r"\mathrm{\_x}", r"\mathbf{\_x}"),
    ("é", r"\mathrm{\text{é}}", r"\mathbf{\text{é}}"),
    ("θx", r"\mathrm{{\theta}x}", r"\mathbf{{\theta}x}"),
]



def name_form(name: str, bold: bool) -> Callable[[], str]:
    return lambda: latex_name(name, bold=bold)[0]


NAME_BUILDERS = [case(name_form(n, b), want, id=f"{n}-{b}")
                 for n, plain, heavy in NAMES for b, want in ((False, plain), (True, heavy))]


@pytest.mark.parametrize("build, expected", NAME_BUILDERS)
def test_name(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


# ----------------------------------------------------------------------------------------
# tensors in index notation (built raw, as the differentiator leaves them)


def raw_einsum(spec: str, *operands: Expr) -> Expr:
    lhs, out = spec.split("->")
    sizes: dict[str, object] = {}
    for letters, e in zip(lhs.split(","), operands, strict=True):
        for ch, d in zip(letters, e.shape, strict=True):
            sizes.setdefault(ch, d)
    return make("einsum", operands, (spec,), tuple(sizes[ch] for ch in out))  # type: ignore[misc]


def index_form(build: Callable[[], Expr], **options: Any) -> Callable[[], str]:
    return lambda: to_latex(build(), **options)


A = c.var("A", ("m", "n"))
B = c.var("B", ("n", "p"))
W1 = c.var("W1", ("m", "n"))
x = c.var("x", ("n",))
y = c.var("y", ("m",))
s, t = c.var("s"), c.var("t")
tanh_layer = c.fn("tanh", c.add(c.matmul(A, x), c.var("b", ("m",))))

EINSUM = [
    case(index_form(lambda: raw_einsum("ij,k->ijk", c.diag(y), x)),
         r"\left[\left[\operatorname{diag}\left(y\right)\right]_{ij} x_{k}\right]_{ijk}",
         id="compound"),
    case(index_form(lambda: raw_einsum("ij,kl->ijkl", c.eye("m"), A)),
         r"\left[\delta_{ij} A_{kl}\right]_{ijkl}", id="delta"),
    case(index_form(lambda: raw_einsum("ij,k->ijk", c.transpose(A), y)),
         r"\left[A_{ji} y_{k}\right]_{ijk}", id="transpose"),
    case(index_form(lambda: raw_einsum("ij,k->ijk", W1, x)),
         r"\left[\left[W_{1}\right]_{ij} x_{k}\right]_{ijk}", id="subscripted"),
    case(index_form(lambda: raw_einsum("ij,jk,l->ikl", A, B, x)),
         r"\left[\sum_{j} A_{ij} B_{jk} x_{l}\right]_{ikl}", id="contracted"),
    case(index_form(lambda: raw_einsum("i,,j->ij", y, c.add(s, t), x)),
         r"\left[y_{i} \left(s + t\right) x_{j}\right]_{ij}", id="scalar-operand"),
    case(index_form(lambda: raw_einsum("abc,d->abcd", raw_einsum("ij,jk,l->ikl", A, B, x), y)),
         r"\left[\sum_{i} A_{ai} B_{ib} x_{c} y_{d}\right]_{abcd}", id="nested"),
    case(index_form(lambda: raw_einsum("i,i->", x, x)), r"\sum_{i} x_{i} x_{i}", id="scalar"),
    case(index_form(lambda: c.add(raw_einsum("i,i->", x, x), s)),
         r"\left(\sum_{i} x_{i} x_{i}\right) + s", id="scalar-in-sum"),
    case(index_form(lambda: c.scale(2, raw_einsum("ij,kl->iklj", c.eye("n"), c.eye("n")))),
         r"2 \left[\delta_{ij} \delta_{kl}\right]_{iklj}", id="scaled"),
    case(index_form(lambda: raw_einsum("i,ij,k->ijk",
                                       c.sub(c.const(1), c.power(tanh_layer, c.const(2))),
                                       c.eye("m"), x), bold=True),
         r"\left[\left[1 - \tanh\left(\mathbf{A} \mathbf{x} + \mathbf{b}\right)^{2}\right]_{i} "
         r"\delta_{ij} x_{k}\right]_{ijk}", id="bold"),
]


@pytest.mark.parametrize("build, expected", EINSUM)
def test_index_notation(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


# ----------------------------------------------------------------------------------------
# derivatives and shapes


def deriv(f: str, x_name: str, result: str, shapes: Mapping[str, Any] | None = None,
          **options: Any) -> Callable[[], str]:
    return lambda: derivative_latex(mc.parse(f, shapes=shapes), x_name,
                                    mc.parse(result, shapes=shapes), **options)


DERIVATIVES = [
    case(deriv("0.5*norm(y - A@x)^2", "x", "A.T @ (A @ x - y)", LS),
         r"\frac{\partial}{\partial x} \left(\frac{1}{2} \left\| y - A x \right\|_{2}^{2}\right)"
         r" = A^{\top} \left(A x - y\right) \in \mathbb{R}^{n}", id="gradient"),
    case(deriv("0.5*norm(y - A@x)^2", "A", "(A @ x - y) @ x.T", LS),
         r"\frac{\partial}{\partial A} \left(\frac{1}{2} \left\| y - A x \right\|_{2}^{2}\right)"
         r" = \left(A x - y\right) x^{\top} \in \mathbb{R}^{m \times n}", id="by-matrix"),
    case(deriv("tanh(A@x + b)", "x", "diag(1 - tanh(A@x + b)^2) @ A"),
         r"\frac{\partial}{\partial x} \tanh\left(A x + b\right) = \operatorname{diag}\left("
         r"1 - \tanh\left(A x + b\right)^{2}\right) A \in \mathbb{R}^{m \times n}",
         id="jacobian"),
    case(deriv("x^3", "x", "3*x^2", {"x": ()}),
         r"\frac{\partial}{\partial x} x^{3} = 3 x^{2} \in \mathbb{R}", id="scalar"),
    case(deriv("x.T @ A @ x", "x", "A + A.T", order=2),
         r"\frac{\partial^{2}}{\partial x^{2}} \left(x^{\top} A x\right) = A + A^{\top} "
         r"\in \mathbb{R}^{n \times n}", id="hessian"),
    case(deriv("y", "x", "J", {"y": ("m",), "x": ("n",), "J": ("m", "n")}),
         r"\frac{\partial y}{\partial x} = J \in \mathbb{R}^{m \times n}", id="named"),
    case(deriv("0.5*norm(y - A@x)^2", "x", "A.T @ (A @ x - y)", LS, bold=True),
         r"\frac{\partial}{\partial \mathbf{x}} \left(\frac{1}{2} \left\| \mathbf{y} - "
         r"\mathbf{A} \mathbf{x} \right\|_{2}^{2}\right) = \mathbf{A}^{\top} \left(\mathbf{A} "
         r"\mathbf{x} - \mathbf{y}\right) \in \mathbb{R}^{n}", id="bold"),
    case(lambda: derivative_latex(tanh_layer, "A", raw_einsum(
        "i,ij,k->ijk", c.sub(c.const(1), c.power(tanh_layer, c.const(2))), c.eye("m"), x)),
         r"\frac{\partial}{\partial A} \tanh\left(A x + b\right) = \left[\left[1 - \tanh\left("
         r"A x + b\right)^{2}\right]_{i} \delta_{ij} x_{k}\right]_{ijk} \in \mathbb{R}^{m "
         r"\times (m \times n)}", id="order-3"),
    case(lambda: derivative_latex(c.matmul(A, c.var("X", ("n", "p"))), "X", raw_einsum(
        "ij,kl->ikjl", A, c.eye("p"))),
         r"\frac{\partial}{\partial X} \left(A X\right) = \left[A_{ij} \delta_{kl}\right]_{ikjl} "
         r"\in \mathbb{R}^{(m \times p) \times (n \times p)}", id="order-4"),
    case(lambda: derivative_latex(c.var("f", ("m",)), "X", c.var("T", ("m", "p", "q")),
                                  f_ndim=2),
         r"\frac{\partial f}{\partial X} = T \in \mathbb{R}^{(m \times p) \times q}",
         id="explicit-split"),
]


@pytest.mark.parametrize("build, expected", DERIVATIVES)
def test_derivative(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


SHAPES = [
    case(lambda: shape_latex(()), r"\mathbb{R}", id="scalar"),
    case(lambda: shape_latex(("n",)), r"\mathbb{R}^{n}", id="vector"),
    case(lambda: shape_latex(("m", "n")), r"\mathbb{R}^{m \times n}", id="matrix"),
    case(lambda: shape_latex(("m", "n"), 1), r"\mathbb{R}^{m \times n}", id="jacobian"),
    case(lambda: shape_latex((1, "n")), r"\mathbb{R}^{1 \times n}", id="row"),
    case(lambda: shape_latex((3, 4)), r"\mathbb{R}^{3 \times 4}", id="numbers"),
    case(lambda: shape_latex(("m*p", "n*q")), r"\mathbb{R}^{m p \times n q}", id="kron"),
    case(lambda: shape_latex(("m", "m", "n"), 1), r"\mathbb{R}^{m \times (m \times n)}",
         id="order-3"),
    case(lambda: shape_latex(("p", "q", "m", "n"), 2),
         r"\mathbb{R}^{(p \times q) \times (m \times n)}", id="order-4"),
    case(lambda: shape_latex(("m", "n", "p")), r"\mathbb{R}^{m \times n \times p}",
         id="no-split"),
    case(lambda: shape_latex(("theta", "n2")), r"\mathbb{R}^{\theta \times n_{2}}", id="names"),
]


@pytest.mark.parametrize("build, expected", SHAPES)
def test_shape(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


# ----------------------------------------------------------------------------------------
# structure


def deep_latex(depth: int) -> str:
    """tanh(M @ tanh(M @ ... x + b) + b), ``depth`` operators deep."""
    m, b = c.var("M", ("n", "n")), c.var("b", ("n",))
    e = c.var("x", ("n",))
    for i in range(depth):
        e = c.fn("tanh", e) if i % 2 else c.add(c.matmul(m, e), b)
    return to_latex(e)


OTHER = [
    case(lambda: mc.parse("A.T @ (A @ x - y)", shapes=LS)._repr_latex_().removeprefix(
        "$\\displaystyle ").removesuffix("$"), r"A^{\top} \left(A x - y\right)", id="repr-latex"),
    case(lambda: deep_latex(4), r"\tanh\left(M \tanh\left(M x + b\right) + b\right)", id="layers"),
]


@pytest.mark.parametrize("build, expected", OTHER)
def test_other(build: Callable[[], str], expected: str) -> None:
    assert build() == expected


def test_repr_latex_is_display_math() -> None:
    text = mc.parse("x.T @ A @ x")._repr_latex_()
    assert text == r"$\displaystyle x^{\top} A x$"


def written_out(text: str) -> str:
    """LaTeX with a ``\\text{where }`` block, every name replaced by its definition."""
    body, _, block = text.partition(r" \quad \text{where } ")
    full: dict[str, str] = {}

    def expand(part: str) -> str:
        return re.sub(r"t_\{\d+\}", lambda m: full[m.group(0)], part)

    for definition in re.split(r",\\ (?=t_\{\d+\} = )", block) if block else []:
        name, _, value = definition.partition(" = ")
        full[name] = expand(value)  # operands first: a definition uses earlier names
    return expand(body)


def test_deep_expression_needs_no_recursion() -> None:
    text = deep_latex(5000)  # well past Python's recursion limit
    # long parts are named once (issue 14): linear in the depth, and exactly the
    # expression written out in full
    assert len(text) < 30 * 5000
    assert written_out(text) == r"\tanh\left(M " * 2500 + "x" + r" + b\right)" * 2500


def test_shared_subexpressions_print_once_each() -> None:
    e = c.var("x", ("n",))
    for _ in range(60):  # 2**60 paths through the DAG: printing must be linear in nodes
        e = c.mul(c.fn("exp", e), c.fn("exp", e))
    # e_k = exp(e_(k-1))^2, 60 levels; ten \exp are 207 characters, past the 200 at which a
    # part is named (printing/visitor.py: LONG_MIN), so every tenth exp is named t_j

    def ten_levels(inner: str) -> str:
        for k in range(10):
            inner = rf"\exp\left({inner}\right)" + ("^{2}" if k < 9 else "")
        return inner

    names = [rf"t_{{{j}}} = " + ten_levels(rf"t_{{{j - 1}}}^{{2}}" if j else "x")
             for j in range(6)]
    assert to_latex(e) == r"t_{5}^{2} \quad \text{where } " + r",\ ".join(names)


# ----------------------------------------------------------------------------------------
# KaTeX accepts every string above


ALL_BUILDERS: list[Callable[[], str]] = [
    p.values[0] for table in (EXPRESSIONS, BOLD, NAME_BUILDERS, EINSUM, DERIVATIVES, SHAPES, OTHER)
    for p in table]
ALL_BUILDERS += [lambda: deep_latex(400)]


def test_katex_rejects_bad_latex(katex_prefix: Path) -> None:
    failures = katex_failures(katex_prefix, [r"x^{2}", r"x^{\top}^{2}", r"\left( x"])
    assert [f["index"] for f in failures] == [1, 2]


def test_katex_accepts_every_string(katex_prefix: Path) -> None:
    strings = [build() for build in ALL_BUILDERS]
    failures = katex_failures(katex_prefix, strings)
    assert not failures, "KaTeX rejects:\n" + "\n".join(
        f"  {f['latex']}\n    {f['error']}" for f in failures)
