"""What people habitually type from other notations, and what to write here instead.

Lecture notes, MATLAB, matrixcalculus.org, LaTeX, NumPy and PyTorch each have
spellings that matcalc's grammar rejects or would read as something else.  The
tables here turn them into a :class:`~matcalc.core.errors.ParseError` that says
what to write, and accept the NumPy spellings that have a direct equivalent
(``np.tanh``, ``np.linalg.inv``, ``np.matmul(A, B)``), so that the rest of the
language stage only ever sees plain names.
"""

from __future__ import annotations

import difflib
import re
import warnings

from matcalc.core.errors import MatcalcWarning, ParseError
from matcalc.lang.surface import CALLS, DIM_FUNCTIONS, SPECIAL_CALLS, is_elementwise
from matcalc.ops.record import FUNCTIONS

WHERE_THE_LIST_IS = "the functions are listed by `matcalc help language` and in docs/language.md"

# prefixes of names pasted from NumPy code, longest first
NUMPY_PREFIXES = ("numpy.linalg.", "jnp.linalg.", "np.linalg.", "numpy.", "jnp.", "np.")
# NumPy names that differ from the plain name of the same function
NUMPY_RENAMES = {"trace": "tr", "absolute": "abs", "transpose": "transpose", "matmul": "matmul",
                 "dot": "matmul", "solve": "solve", "maximum": "maximum", "pi": "pi",
                 "inf": "inf"}
# calls accepted as their direct equivalent (rewritten by the parser into plain syntax)
EQUIVALENT_CALLS = frozenset({"matmul", "solve", "maximum", "transpose", "norm2", "square",
                              "logaddexp"})

# other names for functions of the table, and what to write instead ({a}: the arguments
# as written)
NAME_HINTS = {
    "ln": "log({a}) (the natural logarithm)",
    "Tr": "tr({a})",
    "sigma": "sigmoid({a})",
    "ReLU": "relu({a})",
    "square": "{p}^2 (the elementwise square; np.square({a}) is read too)",
    "logaddexp": "softplus(x) for logaddexp(0, x) (np.logaddexp(0, x) is read too)",
    "transpose": "{p}' or {p}.T",
    "inverse": "inv({a})",
    "determinant": "det({a})",
    "matmul": "the operator @, as A @ B (np.matmul(A, B) is read too)",
    "solve": "inv(A) @ b (np.linalg.solve(A, b) is read too)",
    "maximum": "relu(x) for maximum(0, x) (np.maximum(0, x) is read too)",
    "vector": "ones(n) for matrixcalculus.org's vector(1), the vector of ones (a vector "
              "variable is a lowercase name, or declared: ... where x: vector(n))",
    "matrix": "ones(m, n) for matrixcalculus.org's matrix(1), the matrix of ones (a matrix "
              "variable is a capitalised name, or declared: ... where A: matrix(m, n))",
}

# LaTeX commands and their spelling here
LATEX_HINTS = {
    "frac": "a / b", "dfrac": "a / b", "tfrac": "a / b",
    "top": "x' or x.T", "intercal": "x' or x.T", "T": "x' or x.T",
    "sum": "sum(x), or sum(X, axis=0) along an axis",
    "cdot": "* (or @ for a matrix product)", "times": "* (or @ for a matrix product)",
    "odot": "* (the elementwise product)", "circ": "* (the elementwise product)",
    "otimes": "kron(A, B)", "sqrt": "sqrt(x)", "exp": "exp(x)", "log": "log(x)",
    "ln": "log(x)", "det": "det(A)", "tr": "tr(A)", "operatorname": "the plain name, as tr(A)",
    "mathbf": "the plain name", "mathrm": "the plain name", "boldsymbol": "the plain name",
    "left": "plain parentheses ( )", "right": "plain parentheses ( )",
    "lVert": "norm(x)", "rVert": "norm(x)", "Vert": "norm(x)", "|": "norm(x)",
    "max": "max(x)", "min": "min(x)", "sigma": "sigmoid(x), or sigma as a name",
}

# NumPy methods, written as calls of the function
METHOD_HINTS = {
    "dot": "{o} @ y (or np.dot({o}, y))", "transpose": "{o}' or {o}.T", "sum": "sum({o})",
    "mean": "mean({o})", "max": "max({o})", "min": "min({o})", "trace": "tr({o})",
    "reshape": "reshape({o}, m, n)", "flatten": "vec({o})", "ravel": "vec({o})",
    "T": "{o}' or {o}.T",
}


def function_names() -> list[str]:
    """Every function name of the language, built in or registered."""
    return sorted({*CALLS, *DIM_FUNCTIONS, *SPECIAL_CALLS, *FUNCTIONS})


def closest(name: str, candidates: list[str]) -> list[str]:
    """The candidates closest to ``name`` (case-insensitively), best first."""
    lowered = {c.lower(): c for c in candidates}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    return [lowered[h] for h in hits]


def warn_absent_variable(wrt: str, names: list[str]) -> None:
    """Warn when ``wrt`` does not occur but a name differing in case or spelling does.

    Differentiating by an absent name is no error (the derivative is zero), but
    ``wrt="x"`` when only ``X`` occurs, or ``thetta`` for ``theta``, is a slip.
    """
    same_case = [n for n in names if n.lower() == wrt.lower()]
    near = same_case or difflib.get_close_matches(wrt, names, n=1, cutoff=0.75)
    if near:
        warnings.warn(MatcalcWarning(
            f"{wrt} does not occur in the expression, so its derivative is zero; did you mean "
            f"{near[0]}?"), stacklevel=4)


def unknown_function(name: str, arguments: str = "x") -> str:
    """The message for a call of ``name`` (with ``arguments`` as written), which is no function."""
    if name in NAME_HINTS:
        a = arguments or "x"
        p = a if a.isidentifier() else f"({a})"
        return f"{name} is not a function here: write {NAME_HINTS[name].format(a=a, p=p)}"
    near = closest(name, function_names())
    maybe = f"; did you mean {' or '.join(near)}?" if near else ""
    return f"unknown function {name!r}{maybe} ({WHERE_THE_LIST_IS})"


def is_function(name: str) -> bool:
    return (name in CALLS or name in DIM_FUNCTIONS or name in SPECIAL_CALLS
            or is_elementwise(name))


def plain_name(written: str, text: str, pos: int, call: bool) -> str:
    """The plain name of a dotted name as written (``np.tanh`` → ``tanh``), or a ParseError."""
    for prefix in NUMPY_PREFIXES:
        if written.startswith(prefix):
            rest = written[len(prefix):]
            plain = NUMPY_RENAMES.get(rest, rest)
            if "." not in rest and (is_function(plain) or plain in EQUIVALENT_CALLS
                                    or (not call and plain in ("pi", "inf"))):
                return plain
            near = closest(rest, function_names())
            maybe = f"; did you mean {prefix}{near[0]}?" if near else ""
            raise ParseError(f"{written} is not a NumPy function matcalc knows{maybe} "
                             f"({WHERE_THE_LIST_IS})", text, pos)
    head, _, method = written.rpartition(".")
    if head.split(".")[0] == "torch" or head.split(".")[0] in ("F", "nn"):
        raise ParseError(f"PyTorch spellings are not read: write {method} without the {head}. "
                         "prefix (NumPy's np. prefix is accepted)", text, pos)
    if method in METHOD_HINTS:
        hint = METHOD_HINTS[method].format(o=head)
        raise ParseError(f"{written}{'(...)' if call else ''} is a NumPy method; matcalc writes "
                         f"functions: {hint}", text, pos)
    raise ParseError(f"{written!r} is not a name: names have no dots, and methods are written "
                     f"as functions ({method}({head}) if {method} is a function; "
                     f"{WHERE_THE_LIST_IS})", text, pos)


# ----------------------------------------------------------------------------------------
# characters and token sequences the grammar rejects

_LATEX_WORD = re.compile(r"\\([A-Za-z]+|\|)")


def character_hint(text: str, at: int) -> str | None:
    """What to write instead of the character at ``at`` that no token starts with."""
    ch, two = text[at:at + 1], text[at:at + 2]
    if two in (".*", "./", ".^"):
        return (f"{two} is MATLAB's elementwise operator: here write {two[1]} "
                "(* and / are elementwise, and ^ is an elementwise power)")
    if ch == "\\":
        m = _LATEX_WORD.match(text, at)
        word = m.group(1) if m else ""
        if word in LATEX_HINTS:
            return f"\\{word} is LaTeX: here write {LATEX_HINTS[word]}"
        before = text[:at].rstrip()
        if before and (before[-1].isalnum() or before[-1] in ")'_"):
            return ("A\\b is MATLAB's left division: here write inv(A) @ b "
                    "(or solve(A, b) with the np.linalg. prefix)")
        return f"\\{word} is LaTeX, which matcalc does not read ({WHERE_THE_LIST_IS})"
    if two == "||":
        return "||x|| is the norm: here write norm(x)"
    if ch == "|":
        return "|x| is the absolute value (or a norm): here write abs(x) (or norm(x))"
    if ch in "{}":
        if re.match(r"\^\s*\{\s*-\s*1\s*\}", text[max(0, at - 1):]):
            return "A^{-1} is LaTeX for the inverse: here write inv(A)"
        if re.match(r"\^\s*\{\s*(T|\\top)\s*\}", text[max(0, at - 1):]):
            return "A^{T} is LaTeX for the transpose: here write A' or A.T"
        return "braces are LaTeX: group with parentheses ( )"
    if ch == "[":
        return ("indexing such as x[0] is not part of the language: it works with whole "
                "vectors and matrices (sum(x), diag(X), dot(x, y), ...)")
    if ch == "." and re.match(r"\.\s*[A-Za-z_]", text[at:]):
        return ("a method call such as x.sum() is written as a function here: sum(x); "
                "x.T and x' are the transpose")
    return None


_OPERAND_END = re.compile(r"[\w.]*\w'*$|\)'*$|'+$")


def juxtaposition(text: str, pos: int) -> str | None:
    """The message for two operands written side by side, or None if ``pos`` follows none."""
    before = text[:pos].rstrip()
    m = _OPERAND_END.search(before)
    if not m or not before:
        return None
    left = m.group(0)
    if left.startswith(")"):
        left = "(...)" + left[1:]
    m2 = re.match(r"[\w.]+|\(", text[pos:])
    right = m2.group(0) if m2 else text[pos:pos + 1]
    if right == "(":
        right = "(...)"
    if re.fullmatch(r"[\d.]+([eE][+-]?\d+)?", left):
        return (f"a number and a name side by side: write {left}*{right} "
                "(matcalc has no implicit multiplication)")
    one_name = (f" ({right} is one name; if it is {' times '.join(right)}, write "
                f"{' @ '.join(right)})" if len(right) in (2, 3) and right.isalpha() else "")
    return (f"nothing between {left} and {right}: matcalc has no implicit multiplication; "
            f"write {left} @ {right} for a matrix product or {left} * {right} for a product "
            f"by a scalar or an elementwise one{one_name}")
