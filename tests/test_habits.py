"""Habits from other notations: each refused with what to write, or warned about.

Every form listed in the language's habits is here with its exact message (a
ParseError or ShapeError pointing at the problem) or its MatcalcWarning; NumPy
spellings with a direct equivalent give the same expression, and so the same
derivative, as the plain spelling.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import matcalc as mc

LIST = "the functions are listed by `matcalc help language` and in docs/language.md"

REFUSED = [
    # juxtaposition
    ("x'Ax", mc.ParseError, 2, "nothing between x' and Ax: matcalc has no implicit "
     "multiplication; write x' @ Ax for a matrix product or x' * Ax for a product by a scalar "
     "or an elementwise one (Ax is one name; if it is A times x, write A @ x)"),
    ("w'x + b", mc.ParseError, 2, "nothing between w' and x: matcalc has no implicit "
     "multiplication; write w' @ x for a matrix product or w' * x for a product by a scalar or "
     "an elementwise one"),
    ("2x", mc.ParseError, 1,
     "a number and a name side by side: write 2*x (matcalc has no implicit multiplication)"),
    # MATLAB
    ("x .* y", mc.ParseError, 2, ".* is MATLAB's elementwise operator: here write * "
     "(* and / are elementwise, and ^ is an elementwise power)"),
    ("x ./ y", mc.ParseError, 2, "./ is MATLAB's elementwise operator: here write / "
     "(* and / are elementwise, and ^ is an elementwise power)"),
    ("x .^ 2", mc.ParseError, 2, ".^ is MATLAB's elementwise operator: here write ^ "
     "(* and / are elementwise, and ^ is an elementwise power)"),
    ("A\\b", mc.ParseError, 1, "A\\b is MATLAB's left division: here write inv(A) @ b "
     "(or solve(A, b) with the np.linalg. prefix)"),
    # bars
    ("||x||", mc.ParseError, 0, "||x|| is the norm: here write norm(x)"),
    ("|x|", mc.ParseError, 0,
     "|x| is the absolute value (or a norm): here write abs(x) (or norm(x))"),
    # ^T of the notes
    ("x^T @ A @ x", mc.ParseError, 2, "x^T would be x to the power of a variable T: the "
     "transpose is written x' or x.T (declare T: scalar if you mean the power)"),
    ("A^T @ y", mc.ParseError, 2, "A^T would be A to the power of a variable T: the "
     "transpose is written A' or A.T (declare T: scalar if you mean the power)"),
    # LaTeX
    ("\\frac{1}{2}", mc.ParseError, 0, "\\frac is LaTeX: here write a / b"),
    ("x^\\top", mc.ParseError, 2, "\\top is LaTeX: here write x' or x.T"),
    ("A^{-1}", mc.ParseError, 2, "A^{-1} is LaTeX for the inverse: here write inv(A)"),
    ("\\sum_i x", mc.ParseError, 0,
     "\\sum is LaTeX: here write sum(x), or sum(X, axis=0) along an axis"),
    ("x \\cdot y", mc.ParseError, 2, "\\cdot is LaTeX: here write * (or @ for a matrix product)"),
    ("x \\odot y", mc.ParseError, 2, "\\odot is LaTeX: here write * (the elementwise product)"),
    ("A \\otimes B", mc.ParseError, 2, "\\otimes is LaTeX: here write kron(A, B)"),
    # NumPy methods and indexing
    ("x.dot(y)", mc.ParseError, 0,
     "x.dot is a NumPy method; matcalc writes functions: x @ y (or np.dot(x, y))"),
    ("A.transpose()", mc.ParseError, 0,
     "A.transpose is a NumPy method; matcalc writes functions: A' or A.T"),
    ("x.sum()", mc.ParseError, 0, "x.sum is a NumPy method; matcalc writes functions: sum(x)"),
    ("x[0]", mc.ParseError, 1, "indexing such as x[0] is not part of the language: it works "
     "with whole vectors and matrices (sum(x), diag(X), dot(x, y), ...)"),
    # other names
    ("ln(x)", mc.ParseError, 0, "ln is not a function here: write log(x) (the natural logarithm)"),
    ("Tr(A @ B)", mc.ParseError, 0, "Tr is not a function here: write tr(A @ B)"),
    ("sigma(W @ x)", mc.ParseError, 0, "sigma is not a function here: write sigmoid(W @ x)"),
    ("ReLU(x)", mc.ParseError, 0, "ReLU is not a function here: write relu(x)"),
    ("square(x)", mc.ParseError, 0, "square is not a function here: write x^2 (the "
     "elementwise square; np.square(x) is read too)"),
    ("transpose(A)", mc.ParseError, 0, "transpose is not a function here: write A' or A.T"),
    ("transpose(A @ B)", mc.ParseError, 0,
     "transpose is not a function here: write (A @ B)' or (A @ B).T"),
    ("max(x, 0)", mc.ParseError, 0, "max(x, 0) is not an elementwise max with a number here "
     "(max's second argument is an axis): write relu(x)"),
    ("max(0, x)", mc.ParseError, 0, "max(0, x) is not an elementwise max with a number here "
     "(max's second argument is an axis): write relu(x)"),
    ("torch.tanh(x)", mc.ParseError, 0, "PyTorch spellings are not read: write tanh without the "
     "torch. prefix (NumPy's np. prefix is accepted)"),
    ("vector(1)", mc.ParseError, 0, "vector is not a function here: write ones(n) for "
     "matrixcalculus.org's vector(1), the vector of ones (a vector variable is a lowercase "
     "name, or declared: ... where x: vector(n))"),
    ("matrix(1)", mc.ParseError, 0, "matrix is not a function here: write ones(m, n) for "
     "matrixcalculus.org's matrix(1), the matrix of ones (a matrix variable is a capitalised "
     "name, or declared: ... where A: matrix(m, n))"),
    # unknown names in general: the closest names and where the list is
    ("sigmod(x)", mc.ParseError, 0,
     f"unknown function 'sigmod'; did you mean sigmoid or sign? ({LIST})"),
    ("logsumexpp(x)", mc.ParseError, 0,
     f"unknown function 'logsumexpp'; did you mean logsumexp? ({LIST})"),
    ("np.foo(x)", mc.ParseError, 0, f"np.foo is not a NumPy function matcalc knows ({LIST})"),
    # where kinds
    ("S @ x where S: sym(n)", mc.ShapeError, 12, "unknown kind 'sym' for S; did you mean "
     "symmetric, as in S: symmetric(n)? (the kinds are scalar, vector, matrix, symmetric, spd)"),
    ("A @ x where A: mat(m, n)", mc.ShapeError, 12, "unknown kind 'mat' for A; did you mean "
     "matrix, as in A: matrix(m, n)? (the kinds are scalar, vector, matrix, symmetric, spd)"),
    # * where only the matrix product fits
    ("A * B where A: matrix(m, n), B: matrix(n, p)", mc.ShapeError, 2,
     "A * B is elementwise and needs equal shapes, m×n and n×p differ; for the matrix product "
     "write A @ B"),
]


@pytest.mark.parametrize("text, kind, column, message", REFUSED, ids=[t for t, *_ in REFUSED])
def test_habit_is_refused_with_what_to_write(text: str, kind: type[mc.MatcalcError],
                                             column: int, message: str) -> None:
    with pytest.raises(kind) as info:
        mc.parse(text)
    e = info.value
    assert e.message == message
    assert e.column == column
    lines = str(e).splitlines()  # the quote on its own line, the caret under the column
    assert lines[0] == "" and lines[1] == text and lines[2] == " " * column + "^"
    assert lines[3] == message


WARNED = [
    ("A^-1", "A^-1 is the elementwise power -1 of the matrix A (one over each entry): "
     "did you mean inv(A)?"),
    ("A^(-1) @ x where A: spd(n)", "A^(-1) is the elementwise power -1 of the matrix A "
     "(one over each entry): did you mean inv(A)?"),
    ("tr(X^2)", "X^2 in tr(...) is the elementwise power: did you mean the matrix power X @ X?"),
    ("logdet(S^3) where S: spd(n)", "S^3 in logdet(...) is the elementwise power: did you mean "
     "the matrix power S @ S @ S?"),
    # matrixcalculus.org's x'*y: y can only be a scalar for * to fit, which is said
    ("x'*y", "x' * y is the row x' times y, which is read as a scalar, since a row and a "
     "vector have no elementwise product: did you mean x' @ y (the inner product)? (declare "
     "y: scalar to say it is one)"),
    ("w'*x + b", "w' * x is the row w' times x, which is read as a scalar, since a row and a "
     "vector have no elementwise product: did you mean w' @ x (the inner product)? (declare "
     "x: scalar to say it is one)"),
    ("x @ y.T", "x @ y.T is the outer product here, a matrix, since y.T is a row (in NumPy a "
     "1-D y.T is the vector itself and this is the inner product): write dot(x, y) for the "
     "inner product, outer(...) to say the outer product"),
]


@pytest.mark.parametrize("text, message", [
    # undeclared: x a vector (n,), A a matrix (m, n) as its capital says; x' broadcasts
    # over the rows of A, then x does; the matrix product needs A square
    ("x'*A*x", "x' * A * x is the elementwise product (as in NumPy; the vector applies to "
     "each row or column): did you mean x' @ A @ x (with A square)?"),
    ("x'*A*x where x: vector(n), A: matrix(n, n)", "x' * A * x is the elementwise product "
     "(as in NumPy; the vector applies to each row or column): did you mean x' @ A @ x?"),
])
def test_matrixcalculus_quadratic_form_with_star_is_not_read_silently(text: str,
                                                                      message: str) -> None:
    # x'*A*x (matrixcalculus.org's * is the matrix product) parses as the language defines
    # it, elementwise with broadcasting: (x'*A*x)_ij = x_j A_ij x_j, with a note to write @
    with pytest.warns(mc.MatcalcWarning) as record:
        f = mc.parse(text)
    assert [str(w.message).splitlines()[0] for w in record] == [message]
    shapes = {k: v.shape for k, v in f.variables().items()}
    assert len(shapes["x"]) == 1 and shapes["A"][1] == shapes["x"][0]
    assert f.shape == shapes["A"]
    rng = np.random.default_rng(3)
    m, n = 3, 4
    values = {"x": rng.normal(size=n), "A": rng.normal(size=(n if "n, n" in text else m, n))}
    np.testing.assert_allclose(mc.evaluate(f, values),
                               values["A"] * values["x"][None, :] ** 2, rtol=1e-12)
    assert mc.verify(f, "x").ok and mc.verify(f, "A").ok


@pytest.mark.parametrize("text, message", [
    # an undeclared lowercase name beside a matrix in * or / is a vector broadcast over
    # its rows (the convention); that a scalar was meant is the doubtful part, so it is said
    ("s * A", "s * A is elementwise, with broadcasting: s is a vector by the naming "
     "convention (a lowercase name), broadcast over the rows of A; declare s: scalar if "
     "it is a scalar."),
    ("X / c", "X / c is elementwise, with broadcasting: c is a vector by the naming "
     "convention (a lowercase name), broadcast over the rows of X; declare c: scalar if "
     "it is a scalar."),
    ("A*x", "A * x is the elementwise product (as in NumPy; the vector applies to each row "
     "or column): did you mean A @ x? x is a vector by the naming convention (a lowercase "
     "name), broadcast over the rows of A; declare x: scalar if it is a scalar."),
])
def test_lowercase_name_broadcast_over_a_matrix_is_reported(text: str, message: str) -> None:
    with pytest.warns(mc.MatcalcWarning) as record:
        f = mc.parse(text)
    assert [str(w.message).splitlines()[0] for w in record] == [message]
    shapes = {k: v.shape for k, v in f.variables().items()}
    matrix, vector = sorted(shapes, key=lambda k: -len(shapes[k]))
    assert shapes[vector] == (shapes[matrix][1],)  # the width of the matrix
    assert f.shape == shapes[matrix]
    rng = np.random.default_rng(4)
    values = {matrix: rng.normal(size=(3, 4)), vector: rng.uniform(1, 2, size=4)}
    op = np.divide if "/" in text else np.multiply
    np.testing.assert_allclose(mc.evaluate(f, values),
                               op(values[matrix], values[vector][None, :]), rtol=1e-12)
    for name in shapes:
        assert mc.verify(f, name).ok
    with warnings.catch_warnings():  # declared a scalar, it is a scalar, and no note
        warnings.simplefilter("error", mc.MatcalcWarning)
        assert mc.parse(f"{text} where {vector}: scalar").variables()[vector].shape == ()


@pytest.mark.parametrize("text, message", WARNED, ids=[t for t, _ in WARNED])
def test_doubtful_reading_is_warned_about(text: str, message: str) -> None:
    with pytest.warns(mc.MatcalcWarning) as record:
        mc.parse(text)
    assert [str(w.message).splitlines()[0] for w in record] == [message]
    assert issubclass(mc.MatcalcWarning, UserWarning)


def test_star_between_matrix_and_vector_that_fit_at_is_warned_about() -> None:
    # elementwise with broadcasting once it exists; a ShapeError saying @ until then
    text = "A*x where A: matrix(m, n), x: vector(n)"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            mc.parse(text)
        except mc.ShapeError as e:
            assert e.message.endswith("for the matrix product write A @ x")
            return
    assert [str(w.message).splitlines()[0] for w in record] == [
        "A * x is the elementwise product (as in NumPy; the vector applies to each row or "
        "column): did you mean A @ x?"]


@pytest.mark.parametrize("text", ["x' @ A @ x", "inv(A) @ b", "X @ X", "A.T @ x", "x @ y'",
                                  "outer(x, y)", "s * A where s: scalar", "tr(X @ X)",
                                  "inv(S) where S: spd(n)", "norm(X@w - y)^2 + lam*norm(w)^2",
                                  "X @ W + b", "s * x", "tanh(2*x)", "2 * A", "lam * w' @ w",
                                  "X * Y"])
def test_plain_forms_are_not_warned_about(text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", mc.MatcalcWarning)
        mc.parse(text)


# derivatives whose printed form has an outer product (a column times a transposed vector)
OUTER_RESULTS = [
    ("0.5*norm(y - A@x)^2", "A", "outer(A @ x - y, x)"),
    ("-norm(A@x - y)^2", "A", "-2 * outer(A @ x - y, x)"),
    ("a' @ X @ b", "X", "outer(a, b)"),
    ("a' @ X' @ b", "X", "outer(b, a)"),
    ("a' @ inv(X) @ b", "X", "-outer(inv(X).T @ a, b) @ inv(X).T"),
    ("-(a + b)' @ X @ c", "X", "-outer(a + b, c)"),
    ("x' @ S @ x where S: symmetric(n)", "S", "outer(x, x)"),
    ("0.5*logdet(S) + 0.5*(x - mu)' @ inv(S) @ (x - mu) where S: spd(n)", "S",
     "0.5 * (inv(S) - outer(inv(S) @ (x - mu), x - mu) @ inv(S))"),
    ("0.5*norm(y - W2@tanh(W1@x))^2", "W2", "outer(W2 @ tanh(W1 @ x) - y, tanh(W1 @ x))"),
    ("0.5*norm(y - W2@tanh(W1@x))^2", "W1",
     "outer(W2.T @ (W2 @ tanh(W1 @ x) - y) * (1 - tanh(W1 @ x)^2), x)"),
    ("0.5*norm(y - W3@tanh(W2@tanh(W1@x)))^2", "W1",
     "outer(W2.T @ (W3.T @ (W3 @ t1 - y) * (1 - t1^2)) * (1 - t0^2), x) "
     "where t0 = tanh(W1 @ x), t1 = tanh(W2 @ t0)"),
    ("tr(A @ x @ y' @ B)", "A", "outer(B.T @ y, x)"),
    ("u' @ X @ X @ v", "X", "outer(u, X @ v) + outer(X.T @ u, v)"),
    ("sum(tanh(W @ x + b))", "W", "outer(1 - tanh(W @ x + b)^2, x)"),
]


def _declared(f: mc.Expr) -> dict[str, object]:
    return {name: f"{v.structure}({v.shape[0]})" if v.structure else v.shape
            for name, v in f.variables().items()}


@pytest.mark.parametrize("text, wrt, printed", OUTER_RESULTS,
                         ids=[f"{t} by {w}" for t, w, _ in OUTER_RESULTS])
def test_printed_outer_products_read_back_without_a_warning(text: str, wrt: str,
                                                            printed: str) -> None:
    # x @ y.T would be read back right, with the note for NumPy users that a 1-D y.T is y:
    # matcalc's own output, pasted back, must not get it, so outer products print outer()
    f = mc.parse(text)
    g = mc.diff(f, wrt)
    assert str(g) == printed
    with warnings.catch_warnings():
        warnings.simplefilter("error", mc.MatcalcWarning)
        assert mc.parse(str(g), shapes=_declared(f)) is g
    assert mc.verify(f, wrt).ok


def test_outer_hessian_reads_back_without_a_warning() -> None:
    f = mc.parse("(a' @ x)^2 + sum(exp(x))")
    h = mc.hessian(f, "x")
    assert "outer(a, a)" in str(h)
    with warnings.catch_warnings():
        warnings.simplefilter("error", mc.MatcalcWarning)
        assert mc.parse(str(h), shapes=_declared(f)) is h
    assert mc.verify(f, "x", order=2).ok


def test_outer_is_the_column_times_the_row() -> None:
    shapes = {"x": ("m",), "y": ("n",)}
    assert mc.parse("outer(x, y)", shapes=shapes) is mc.parse("x @ y'", shapes=shapes)
    assert mc.parse("np.outer(x, y)", shapes=shapes) is mc.parse("outer(x, y)", shapes=shapes)
    assert str(mc.parse("x @ y'", shapes=shapes)) == "outer(x, y)"
    assert mc.parse("x @ y'", shapes=shapes).latex() == r"x y^{\top}"  # LaTeX keeps x y'


def test_wrt_that_does_not_occur_while_a_near_name_does() -> None:
    with pytest.warns(mc.MatcalcWarning, match="x does not occur in the expression, so its "
                      "derivative is zero; did you mean X?"):
        assert mc.diff(mc.parse("sum(X)"), "x").shape == ()
    with pytest.warns(mc.MatcalcWarning, match="did you mean theta"):
        mc.diff(mc.parse("norm(theta)^2"), "thetta")
    with warnings.catch_warnings():
        warnings.simplefilter("error", mc.MatcalcWarning)
        mc.diff(mc.parse("norm(theta)^2"), "b")  # nothing like it: zero, no warning


# ---------------------------------------------------------------------------------------
# NumPy spellings

SAME = [
    ("np.tanh(W @ x)", "tanh(W @ x)"),
    ("np.sum(np.log(1 + np.exp(-y * (X @ w))))", "sum(log(1 + exp(-y * (X @ w))))"),
    ("numpy.trace(np.linalg.inv(A) @ B)", "tr(inv(A) @ B)"),
    ("jnp.linalg.det(A) + np.linalg.norm(x)", "det(A) + norm(x)"),
    ("np.outer(x, y) + np.eye(n)", "outer(x, y) + eye(n)"),
    ("np.kron(A, B)", "kron(A, B)"),
    ("np.matmul(A, B)", "A @ B"),
    ("np.dot(A, x)", "A @ x"),
    ("np.linalg.solve(A, b)", "inv(A) @ b"),
    ("np.maximum(0, x)", "relu(x)"),
    ("np.maximum(x, 0)", "relu(x)"),
    ("np.transpose(A) @ x", "A' @ x"),
    ("norm2(x)", "norm(x)"),
    ("np.mean(np.square(X @ w - y))", "mean((X @ w - y)^2)"),
    ("np.sum(np.logaddexp(0, -y * (X @ w)))", "sum(softplus(-y * (X @ w)))"),
    ("np.absolute(x)", "abs(x)"),
]


@pytest.mark.parametrize("numpy_text, plain", SAME, ids=[t for t, _ in SAME])
def test_numpy_spelling_is_the_plain_expression(numpy_text: str, plain: str) -> None:
    e = mc.parse(numpy_text)
    assert e is mc.parse(plain)
    assert "np." not in str(e) and "numpy" not in str(e)


LOSSES = [  # (as NumPy code writes it, the plain spelling, the variables)
    ("np.sum(np.log(1 + np.exp(-y * (X @ w)))) / n where X: matrix(n, d)",
     "sum(log(1 + exp(-y * (X @ w)))) / n where X: matrix(n, d)", ["w"]),
    ("np.sum(np.logaddexp(0, -y * (X @ w)))", "sum(softplus(-y * (X @ w)))", ["w"]),
    ("np.linalg.norm(X @ w - y)**2 + lam * np.linalg.norm(w)**2",
     "norm(X@w - y)^2 + lam*norm(w)^2", ["w", "lam"]),
    ("np.mean(np.square(X @ W + b - Y))", "mean((X @ W + b - Y)^2)", ["W", "b"]),
    ("0.5 * np.sum((np.tanh(X @ W + b) - Y)**2)", "0.5*sum((tanh(X @ W + b) - Y)^2)",
     ["W", "b"]),
    ("-np.sum(Y * np.log(softmax(X @ W + b, axis=1))) / n where X: matrix(n, d)",
     "-sum(Y * log(softmax(X @ W + b, axis=1))) / n where X: matrix(n, d)", ["W", "b"]),
    ("np.log(np.linalg.det(S)) - x.T @ np.linalg.inv(S) @ x where S: spd(n)",
     "log(det(S)) - x' @ inv(S) @ x where S: spd(n)", ["S", "x"]),
    ("np.sum(np.maximum(0, X @ W)) + np.linalg.norm(w, 1)", "sum(relu(X @ W)) + norm1(w)",
     ["W", "w"]),
]


@pytest.mark.parametrize("numpy_loss, plain_loss, names", LOSSES, ids=[t for t, *_ in LOSSES])
def test_pasted_numpy_loss_has_the_derivative_of_its_plain_spelling(
        numpy_loss: str, plain_loss: str, names: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", mc.MatcalcWarning)  # read as meant: no note
        f = mc.parse(numpy_loss)
    assert f is mc.parse(plain_loss) and f.shape == ()
    for name in names:
        assert mc.diff(f, name) is mc.diff(mc.parse(plain_loss), name)
        assert mc.verify(f, name).ok


# ---------------------------------------------------------------------------------------
# messages quote what was written


def test_shape_messages_quote_the_operands_as_written() -> None:
    with pytest.raises(mc.ShapeError) as info:
        mc.parse("softmax(X @ W)")
    assert "X @ W" in info.value.message and "X.T" not in info.value.message
    with pytest.raises(mc.ShapeError) as info:
        mc.parse("(A@x - y) * B where A: matrix(m,n), x: vector(n), y: vector(m), B: matrix(m, p)")
    assert info.value.message.startswith("cannot multiply B (m×p) and (A@x - y) (m): a vector "
                                         "is applied to every row of a matrix")
    with pytest.raises(mc.ShapeError) as info:
        mc.parse("inv(A@B) where A: matrix(m, n), B: matrix(n, p)")
    assert info.value.message == "inv needs a square matrix, but A@B (m×p) is not square"


def test_every_error_starts_with_the_quoted_input_on_its_own_line() -> None:
    for text in ["norm(x", "A @ x where A: matrix(m, n), x: vector(k)", "foo(x)"]:
        with pytest.raises(mc.MatcalcError) as info:
            mc.parse(text)
        assert str(info.value).startswith("\n" + text + "\n")
