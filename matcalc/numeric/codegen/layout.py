"""The tuple a generated ``value_and_derivatives`` returns, and the Hessian blocks' order in it.

SPEC section 4 fixes the prefix: the value, the derivative by each variable of
``wrt`` in that order, and with ``order=2`` the Hessian by each variable of
``wrt`` (the diagonal blocks ``hess_<a>`` = d2f/da da), so code written as
``value, grad_w, grad_b, hess_w, hess_b = ...[:5]`` keeps working whatever
else is returned.  The mixed blocks ``hess_<a>_<b>`` = d2f/da db for a != b
follow, row by row in ``wrt`` order (``hess_w_b, hess_b_w`` for ``w, b``): a
Newton step over several variables needs them.
"""

from __future__ import annotations


def hessian_blocks(k: int) -> list[tuple[int, int]]:
    """The (row, column) variable indices of the Hessian blocks, in the order returned."""
    diagonal = [(i, i) for i in range(k)]
    mixed = [(i, j) for i in range(k) for j in range(k) if i != j]
    return diagonal + mixed


def _separator(names: list[str]) -> str:
    """``_``, or more underscores where variables such as ``w``, ``b``, ``w_b`` would give
    two blocks one name (``hess_w_b`` for d2f/dw db and for the diagonal block of ``w_b``)."""
    names = list(dict.fromkeys(names))  # a variable named twice is one block's name
    sep = "_"
    while True:
        labels = [f"hess_{a}" for a in names]
        labels += [f"hess_{a}{sep}{b}" for a in names for b in names if a != b]
        if len(set(labels)) == len(labels):
            return sep
        sep += "_"


def hessian_label(names: list[str], i: int, j: int) -> str:
    """The name of block (i, j): ``hess_w`` on the diagonal, ``hess_w_b`` off it."""
    if i == j:
        return f"hess_{names[i]}"
    return f"hess_{names[i]}{_separator(names)}{names[j]}"


def layout_note(names: list[str]) -> list[str]:
    """The lines of a generated module's docstring that explain the blocks' order."""
    k = len(names)
    diagonal = ", ".join(hessian_label(names, i, i) for i in range(k))
    mixed = ", ".join(hessian_label(names, i, j) for i, j in hessian_blocks(k)[k:])
    return [f"The Hessian by each variable ({diagonal}) comes first, in the order of the",
            "variables; then the mixed blocks hess_<a>_<b> = d2f/da db, a != b, row by row",
            f"({mixed}). Each block has shape a.shape + b.shape."]
