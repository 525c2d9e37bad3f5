"""Long formulas broken into lines that fit a page (issue 16).

The printers write one line; a derivative of a network runs a page wide.  This
module measures printed LaTeX (an estimate of its width in points of 10 pt
Computer Modern, display style: no TeX at hand) and breaks what is too wide
at its outermost operators: the terms of a sum, the factors around ``\\odot``
and ``\\otimes``, and inside a parenthesised group when a single term is still
too wide (the group's ``\\left( \\right)`` become ``\\bigl( \\bigr)``, which may
stand on different lines).  Lines are set in an ``aligned`` block, which TeX,
KaTeX and MathJax all read, inside ``\\[ \\]``, ``$ $`` and ``align*`` alike.

The default budget is the text width of LaTeX's ``article`` class (345 pt)
less a margin for the estimate's error.
"""

from __future__ import annotations

import re

__all__ = ["PAGE_WIDTH", "aligned", "break_lines", "equation_latex", "latex_width"]

PAGE_WIDTH = 280.0  # points: article's 345 pt text width, less a margin for the estimate

_LETTER, _CAPITAL, _DIGIT = 5.7, 7.5, 5.0
_BINARY, _RELATION = 15.5, 15.0  # the symbol and the space on both sides
_SCRIPT = 0.72  # sub- and superscripts are set smaller
_FUNCTION_NAMES = {"exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "det", "max",
                   "min", "sup", "inf", "lim"}
_BINARIES = {"odot", "otimes", "times", "cdot", "pm", "circ", "setminus"}
_RELATIONS = {"in", "leq", "geq", "approx", "ne", "neq", "to"}
_ZERO = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "displaystyle", "textstyle",
         "limits", "nolimits"}
_SPACES = {"quad": 10.0, "qquad": 20.0, ",": 1.7, ";": 2.8, ":": 2.2, "!": -1.7, " ": 3.3}
_WIDE = {"partial": 5.7, "top": 7.8, "infty": 10.0, "sum": 14.4, "prod": 13.0, "ldots": 13.0,
         "cdots": 13.0, "dots": 13.0, "|": 5.0, "lVert": 5.0, "rVert": 5.0, "lvert": 2.8,
         "rvert": 2.8, "{": 5.0, "}": 5.0, "star": 5.0, "ell": 4.2}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}^_&]|\s+|.", re.S)


def latex_width(latex: str) -> float:
    """An estimate of the width of ``latex`` in points (the widest line, ``\\\\`` apart)."""
    tokens = [t for t in _TOKEN.findall(latex)]
    lines, _ = _width(tokens, 0, script=False)
    return max(lines) if lines else 0.0


def _group(tokens: list[str], i: int, script: bool) -> tuple[float, int]:
    """The width of the argument at ``tokens[i]`` (a braced group or one token)."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        return 0.0, i
    if tokens[i] == "{":
        lines, j = _width(tokens, i + 1, script, stop="}")
        return max(lines), j + 1
    lines, _ = _width(tokens[i:i + 1], 0, script)
    return max(lines), i + 1


def _skip_group(tokens: list[str], i: int) -> tuple[str, int]:
    """The raw text of the braced group at ``tokens[i]`` and the index after it."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens) or tokens[i] != "{":
        return (tokens[i] if i < len(tokens) else ""), i + 1
    depth, j = 0, i
    while j < len(tokens):
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        if depth == 0:
            break
        j += 1
    return "".join(tokens[i + 1:j]), j + 1


def _width(tokens: list[str], i: int, script: bool,
           stop: str | None = None) -> tuple[list[float], int]:
    """Widths of the lines from ``tokens[i]`` to the matching ``stop``, and where it is."""
    scale = _SCRIPT if script else 1.0
    lines = [0.0]
    while i < len(tokens):
        t = tokens[i]
        if t == stop:
            return lines, i
        i += 1
        w = 0.0
        if t.isspace() or t in ("&", "}"):
            continue
        if t == "{":
            inner, i = _width(tokens, i, script, stop="}")
            i += 1
            w = max(inner)
        elif t in ("^", "_"):
            w, i = _group(tokens, i, script=True)
            w *= _SCRIPT if not script else 1.0
        elif t == "\\\\":
            lines.append(0.0)
            continue
        elif t.startswith("\\"):
            name = t[1:]
            if name == "frac":
                top, i = _group(tokens, i, script)
                bottom, i = _group(tokens, i, script)
                w = max(top, bottom) * (0.85 if not script else 1.0) + 2.0
            elif name == "sqrt":
                w, i = _group(tokens, i, script)
                w += 8.0
            elif name in ("operatorname", "text", "mathrm", "texttt"):
                raw, i = _skip_group(tokens, i)
                w = 5.6 * len(raw) + (1.7 if name == "operatorname" else 0.0)
            elif name in ("mathbf", "mathbb", "boldsymbol", "mathit", "mathcal"):
                w, i = _group(tokens, i, script)
                w *= 1.15
            elif name in ("begin", "end"):
                _, i = _skip_group(tokens, i)
            elif name in _ZERO:
                continue
            elif name in _FUNCTION_NAMES:
                w = 5.0 * len(name) + 1.7
            elif name in _BINARIES:
                w = _BINARY if not script else 8.0
            elif name in _RELATIONS:
                w = _RELATION if not script else 8.0
            elif name in _SPACES:
                w = _SPACES[name]
            else:
                w = _WIDE.get(name, 6.0)
        elif t in "+-":
            w = _BINARY if not script else 8.0
        elif t in "=<>":
            w = _RELATION if not script else 8.0
        elif t in "()[]|":
            w = 3.9
        elif t in ",.;":
            w = 2.8
        elif t.isupper():
            w = _CAPITAL
        elif t.isdigit():
            w = _DIGIT
        else:
            w = _LETTER
        lines[-1] += w * scale
    return lines, i


# ----------------------------------------------------------------------------------------
# breaking


def _cuts(latex: str, juxtaposed: bool) -> list[str]:
    """``latex`` cut before each outermost ``+``, ``-``, ``\\odot`` and ``\\otimes``.

    Outermost: outside every brace group and every ``\\left ... \\right`` pair.  A
    sign that opens the formula (unary minus) does not cut.  ``juxtaposed`` cuts
    at the outermost spaces instead: between the factors of a product.
    """
    out, start, depth, i = [], 0, 0, 0
    while i < len(latex):
        if latex.startswith(r"\left", i) and not latex.startswith(r"\leftarrow", i):
            depth += 1
            i += 5
            continue
        if latex.startswith(r"\right", i) and not latex.startswith(r"\rightarrow", i):
            depth -= 1
            i += 6
            continue
        ch = latex[i]
        if ch == "\\" and i + 1 < len(latex) and not latex[i + 1].isalpha():
            i += 2  # \{ \} \, and other escaped characters
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and juxtaposed and ch == " " and latex[start:i].strip():
            out.append(latex[start:i])
            start = i + 1
        elif depth == 0 and not juxtaposed and i > 0 and latex[i - 1] == " ":
            for op in (" + ", " - ", r" \odot ", r" \otimes "):
                if latex.startswith(op, i - 1) and latex[start:i].strip():
                    out.append(latex[start:i - 1])
                    start = i
                    break
        i += 1
    out.append(latex[start:])
    return [s for s in out if s.strip()]


_OPEN = (r"\left(", r"\left[")
_CLOSE = {r"\left(": r"\right)", r"\left[": r"\right]"}


def _group_span(latex: str) -> tuple[int, int, str] | None:
    """The widest outermost ``\\left( ... \\right)`` (or ``[ ]``), outside every brace
    group: start, end, opening."""
    best: tuple[int, int, str] | None = None
    depth, braces, i, open_at, opening = 0, 0, 0, -1, ""
    while i < len(latex):
        if latex[i] == "\\" and i + 1 < len(latex) and not latex[i + 1].isalpha():
            i += 2  # \{ \} and other escaped characters
        elif latex[i] in "{}":
            # a group inside braces (a \frac's numerator, a script) cannot span lines
            braces += 1 if latex[i] == "{" else -1
            i += 1
        elif latex.startswith(r"\left", i) and not latex.startswith(r"\leftarrow", i):
            if depth == 0 and braces == 0 and latex.startswith(_OPEN, i):
                open_at, opening = i, latex[i:i + 6]
            depth += 1
            i += 5
        elif latex.startswith(r"\right", i) and not latex.startswith(r"\rightarrow", i):
            depth -= 1
            if depth == 0 and open_at >= 0 and latex.startswith(_CLOSE.get(opening, "?"), i):
                span = (open_at, i + 7, opening)
                if best is None or span[1] - span[0] > best[1] - best[0]:
                    best = span
                open_at = -1
            i += 6
        else:
            i += 1
    return best


def break_lines(latex: str, first: float, rest: float | None = None) -> list[str]:
    """``latex`` as lines: the first at most ``first`` points wide, the others ``rest``.

    Cut first at the outermost sums, then between the factors of a product, then
    inside the widest parenthesised group; the pieces are packed greedily into
    lines.  A part that cannot be cut any further stays whole (and may be too wide).
    """
    rest = first if rest is None else rest
    if latex_width(latex) <= first:
        return [latex]
    segments = _cuts(latex, juxtaposed=False)
    if len(segments) == 1:
        segments = _cuts(latex, juxtaposed=True)
    if len(segments) == 1:
        return _break_group(latex, first, rest)
    pieces: list[str] = []
    for seg in segments:
        budget = first if not pieces else rest
        pieces += break_lines(seg, budget, rest) if latex_width(seg) > budget else [seg]
    return _pack(pieces, first, rest)


def _pack(pieces: list[str], first: float, rest: float) -> list[str]:
    """Consecutive pieces joined into lines while they fit."""
    lines = [pieces[0]]
    for piece in pieces[1:]:
        joined = f"{lines[-1]} {piece}"
        if latex_width(joined) <= (first if len(lines) == 1 else rest):
            lines[-1] = joined
        else:
            lines.append(piece)
    return lines


def _break_group(latex: str, first: float, rest: float) -> list[str]:
    """Break inside the widest parenthesised group, which then spans the lines.

    Its ``\\left( \\right)`` become ``\\bigl( \\bigr)``, which TeX allows on
    different lines.
    """
    span = _group_span(latex)
    if span is None:
        return [latex]
    a, b, opening = span
    head, inner, tail = latex[:a], latex[a + 6:b - 7].strip(), latex[b:]
    lead = latex_width(head) + 5.0
    inner_lines = break_lines(inner, max(first - lead, first / 3), rest - 10.0)
    if len(inner_lines) == 1:  # fits alone, but not with what stands around it
        inner_lines = break_lines(inner, max(first - lead - latex_width(tail), first / 4),
                                  rest - 10.0 - latex_width(tail))
    if len(inner_lines) == 1:
        return [latex]
    inner_lines[0] = rf"{head}\bigl{opening[-1]}{inner_lines[0]}"
    inner_lines[-1] = rf"{inner_lines[-1]}\bigr{_CLOSE[opening][-1]}{tail}"
    return inner_lines


def aligned(lhs: str, lines: list[str], tail: str = "", relation: str = "=") -> str:
    """``lhs = line_1 \\\\ line_2 ...`` as an ``aligned`` block (one line: no block)."""
    if len(lines) == 1:
        return f"{lhs} {relation} {lines[0]}{tail}"
    rows = [f"{lhs} &{relation} {lines[0]}"]
    rows += [rf"&\quad {{}}{line}" for line in lines[1:]]
    rows[-1] += tail
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def equation_latex(lhs: str, rhs: str, tail: str = "", width: float | None = PAGE_WIDTH,
                   relation: str = "=") -> str:
    """``lhs = rhs tail`` on one line, or broken into an ``aligned`` block to fit ``width``.

    ``tail`` (`` \\in \\mathbb{R}^{n}``) ends the last line; ``width=None`` never breaks.
    """
    if width is None or latex_width(f"{lhs} {relation} {rhs}{tail}") <= width:
        return f"{lhs} {relation} {rhs}{tail}"
    lead = latex_width(f"{lhs} {relation} ")
    lines = break_lines(rhs, max(width - lead, width / 3), width - 20.0)
    if tail and latex_width(lines[-1] + tail) > (width - 20.0 if len(lines) > 1
                                                 else width - lead):
        lines.append(tail.strip())
        tail = ""
    return aligned(lhs, lines, tail, relation)
