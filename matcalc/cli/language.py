"""``matcalc help language``: the expression language, for people who have only the program.

The function list is read from the language's own tables, so it is always the
list the parser accepts; the full reference with examples is docs/language.md
in the source distribution.
"""

from __future__ import annotations

import textwrap

from matcalc.lang.habits import function_names

LANGUAGE_POINTER = ("The expression language (operators, functions, shapes, 'where'): "
                    "run `matcalc help language`; the full reference is docs/language.md "
                    "in matcalc's source.")

_TEXT = """\
matcalc's expression language

Operators, loosest first:
  a + b, a - b        sum, difference (same shapes, a scalar with anything, or a
                      matrix with a vector or row applied to every row)
  a * b, a / b        scalar times anything, or elementwise (as in NumPy)
  A @ B               matrix product; A @ x; x @ y is the inner product
  -a                  negation
  a ^ p, a ** p       power: elementwise for arrays (X^2 is not X @ X)
  A', A.T             transpose; x' of a vector x is a row, so x' @ A @ x is a scalar
  f(a, ...), ( ... )  calls and grouping
  2x, x'Ax are refused: write 2*x, x' @ A @ x.

Names: a name starting with a capital letter is a matrix, any other a vector,
unless its use says otherwise (an exponent is a scalar; lam in
norm(X@w - y)^2 + lam*norm(w)^2 multiplies a scalar part only, so it is a scalar).
s in s * A is a vector applied to every row of A (a note says so): declare
s: scalar for the scalar multiple. Outer products print as outer(x, y).
pi is the number; NumPy prefixes np., numpy., jnp., np.linalg. are accepted.

Declaring shapes, after the expression or with --shape:
  0.5*norm(y - A@x)^2 where A: matrix(m, n), x: vector(n), y: vector(m)
  kinds: scalar, vector(n), matrix(m, n), symmetric(n), spd(n)
  --shape A=m,n  --shape x=n  --shape s=  --shape S=spd(n)

Functions:
{functions}

diff and latex print the shapes they assumed as a 'where' line; doubtful
readings (A^-1 is elementwise, A*x is not A @ x, ...) are printed as note: lines.
"""


def language_help() -> str:
    """The text of ``matcalc help language``."""
    functions = textwrap.fill(", ".join(function_names()), width=78, initial_indent="  ",
                              subsequent_indent="  ")
    return _TEXT.format(functions=functions) + "\n" + LANGUAGE_POINTER
