"""Text → raw syntax tree, with Lark and the grammar in ``grammar/matcalc.lark``.

The raw tree records what was written and where (for error carets); it has no
shapes yet.  :mod:`matcalc.lang.infer` turns it into a typed expression.  Nothing in
the input is ever evaluated as Python.

Names are normalised as Python normalises identifiers (NFKC, :func:`normal_name`):
``ｘ`` (fullwidth) is ``x`` and ``ﬁ`` is ``fi``, here and for every name given
beside the text (``shapes=``, ``wrt=``, ``register_function``), so that every
backend and printer sees one name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Tree

from matcalc.core.errors import ParseError
from matcalc.lang.habits import character_hint, juxtaposition, plain_name

MAX_LENGTH = 200_000  # characters
MAX_DEPTH = 5_000  # nesting of operators and parentheses


def normal_name(name: str) -> str:
    """``name`` as Python reads the identifier: NFKC-normalised (``ｘ`` is ``x``), a plain str."""
    return unicodedata.normalize("NFKC", str.__str__(name))


MAX_DIM_DIGITS = 1000  # as numbers (ops.base.MAX_DIGITS): below Python's int-to-text limit


def _dim_int(tok: Token, text: str) -> int:
    if len(tok) > MAX_DIM_DIGITS:
        raise ParseError(f"a dimension has at most {MAX_DIM_DIGITS} digits", text,
                         tok.start_pos or 0)
    return int(tok)


def _name(tok: Token, text: str, call: bool = False) -> str:
    """The normalised name of token ``tok``, which must be an identifier as Python's are.

    A dotted name pasted from NumPy (``np.tanh``) is its plain name; any other dotted
    name (``x.sum``, ``torch.tanh``) is a ParseError saying what to write.
    """
    if "." in str(tok):
        return normal_name(plain_name(str(tok), text, tok.start_pos or 0, call))
    if not str(tok).isidentifier():  # as Python: checked as written, then normalised
        raise ParseError(f"{str(tok)!r} is not a valid name (names are identifiers as in "
                         "Python: a letter or _, then letters, digits or _)", text,
                         tok.start_pos or 0)
    return normal_name(tok)


@dataclass(eq=False)
class Raw:
    """A node of the raw tree: ``kind`` is the grammar alias (add, call, name, ...)."""

    kind: str
    children: list[Raw] = field(default_factory=list)
    value: Any = None  # the name, number text or string
    pos: int = 0  # where to point in the text (the operator, or the start)
    span: tuple[int, int] = (0, 0)  # the text it was written as: text[span[0]:span[1]]


@dataclass
class Declaration:
    name: str
    kind: str  # scalar, vector, matrix, symmetric, spd
    dims: list[str | int]
    pos: int


@dataclass
class Definition:
    name: str
    body: Raw
    pos: int


@dataclass
class Parsed:
    expr: Raw
    declarations: list[Declaration]
    definitions: list[Definition]


def grammar_text() -> str:
    """The grammar: package data when installed, ``grammar/`` in a source checkout."""
    try:
        return resources.files("matcalc.grammar").joinpath("matcalc.lark").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (Path(__file__).resolve().parents[2] / "grammar" / "matcalc.lark").read_text(
            "utf-8")


def identifier_marks() -> str:
    r"""A regex class body of the characters Python allows inside identifiers but ``\w``
    does not match: combining marks (``x̂`` is ``x`` + U+0302) and a few more.

    The grammar's NAME is ``\w+``; SPEC allows every ``str.isidentifier()`` name, so
    the parser widens NAME by these (read from this Python's Unicode tables).
    """
    word = re.compile(r"\w")
    ranges: list[list[int]] = []
    for block in (range(0x300, 0x1E950), range(0xE0100, 0xE01F0)):
        for cp in block:
            ch = chr(cp)
            if not word.match(ch) and ("a" + ch).isidentifier():
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1][1] = cp
                else:
                    ranges.append([cp, cp])
    return "".join(f"\\U{a:08X}" if a == b else f"\\U{a:08X}-\\U{b:08X}"
                   for a, b in ranges)


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = grammar_text()
    word = "[\\w" + identifier_marks() + "]+"  # see identifier_marks
    grammar = "\n".join(line.replace(r"\w+", word) if line.startswith("NAME:") else line
                         for line in grammar.split("\n"))
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_text(text: str) -> Parsed:
    if not isinstance(text, str):
        raise ParseError(f"an expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is {len(text)} characters long; "
                         f"the limit is {MAX_LENGTH} characters")
    if not text.strip():
        raise ParseError("the expression is empty", text, 0)
    _check_depth(text)
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedInput as e:
        raise _friendly(e, text) from None
    except RecursionError:  # pragma: no cover - guarded by _check_depth
        raise ParseError(f"the expression is nested too deeply (limit {MAX_DEPTH})") from None
    return _convert(tree, text)


def _check_depth(text: str) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"parentheses are nested more than {MAX_DEPTH} deep, "
                                 "the limit", text, i)
        elif ch == ")":
            depth -= 1


# ----------------------------------------------------------------------------------------
# Lark errors → messages that point at the input

_TERMINAL_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "INT": "an integer",
    "POW": "'^'", "$END": "the end of the input",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        pattern = _lark().get_terminal(name).pattern
    except KeyError:
        return name
    if isinstance(pattern, lark.lexer.PatternStr):
        return f"'{pattern.value}'"
    return name.lower()


def _unclosed_paren(text: str, upto: int) -> tuple[int, str] | None:
    """The innermost '(' before ``upto`` that is not closed, and what it opens."""
    stack: list[int] = []
    in_string = False
    for i, ch in enumerate(text[:upto]):
        if ch == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            stack.pop()
    if not stack:
        return None
    at = stack[-1]
    start = at
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return at, text[start:at + 1]


def _friendly(e: lark.exceptions.UnexpectedInput, text: str) -> ParseError:
    expected: set[str]
    if isinstance(e, lark.exceptions.UnexpectedCharacters):
        # lark declares pos_in_stream None on the class; UnexpectedCharacters sets an int
        at: int = getattr(e, "pos_in_stream", 0)
        ch = text[at] if at < len(text) else ""
        hint = character_hint(text, at)
        if hint is not None:
            msg = hint
        elif ch == "'" or ch == '"':
            msg = "unexpected quote: strings are written in double quotes, only in einsum"
        else:
            msg = f"unexpected character {ch!r}"
        return ParseError(msg, text, at)
    if isinstance(e, lark.exceptions.UnexpectedEOF):
        pos = len(text)
        expected = {str(t) for t in e.expected}
        token_desc = "the end of the input"
    else:
        assert isinstance(e, lark.exceptions.UnexpectedToken)
        tok = e.token
        pos = len(text) if tok.type == "$END" else (tok.start_pos or 0)
        expected = {str(t) for t in (e.accepts or e.expected)}
        token_desc = "the end of the input" if tok.type == "$END" else f"{str(tok)!r}"
        if tok.type == "RPAR" and "RPAR" not in expected and _unclosed_paren(text, pos) is None:
            return ParseError("unmatched ')'", text, pos)
        if tok.type in ("NAME", "NUMBER", "LPAR") and tok.type not in expected:
            side_by_side = juxtaposition(text, pos)  # x'Ax, 2x, w'x + b
            if side_by_side is not None:
                return ParseError(side_by_side, text, pos)
        if str(tok) == "'" and tok.type not in expected:  # f('x'), __import__('os')
            return ParseError("unexpected quote: ' is the transpose; strings are written in "
                              "double quotes, and only einsum takes one", text, pos)
    if "RPAR" in expected:
        opened = _unclosed_paren(text, pos)
        if opened is not None:
            at, what = opened
            return ParseError(f"expected ')' to close '{what}' opened at column {at + 1}",
                              text, pos)
    words = sorted({_describe_terminal(t) for t in expected if not t.startswith("__")})
    unexpected = "the input ends early" if token_desc.startswith("the end") else (
        f"unexpected {token_desc}")
    if not words:
        return ParseError(unexpected, text, pos)
    if len(words) > 6:
        words = words[:6] + ["..."]
    return ParseError(f"{unexpected}; expected {' or '.join(words)}", text, pos)


def equivalent_call(call: Raw, text: str) -> Raw:
    """A NumPy call with a direct equivalent as that equivalent: ``np.matmul(A, B)`` → ``A @ B``."""
    name, kids, pos = call.value, call.children, call.pos

    def need(n: int, example: str) -> None:
        if len(kids) != n:
            raise ParseError(f"{name} takes {n} argument{'s' if n != 1 else ''}, as in "
                             f"{example}", text, pos)

    if name == "norm2":
        return Raw("call", kids, "norm", pos, call.span)
    if name == "transpose":
        need(1, "np.transpose(A), which is A'")
        return Raw("transpose", kids, None, pos, call.span)
    if name == "matmul":
        need(2, "np.matmul(A, B), which is A @ B")
        return Raw("matmul", kids, None, pos, call.span)
    if name == "solve":
        need(2, "np.linalg.solve(A, b), which is inv(A) @ b")
        return Raw("solve", kids, None, pos, call.span)
    if name == "maximum":
        need(2, "np.maximum(0, x), which is relu(x)")
        zero = [k for k in kids if k.kind == "number" and float(k.value) == 0]
        if not zero:
            raise ParseError("np.maximum is read only as np.maximum(0, x), which is relu(x)",
                             text, pos)
        other = kids[1] if kids[0] is zero[0] else kids[0]
        return Raw("call", [other], "relu", pos, call.span)
    if name == "square":
        need(1, "np.square(x), which is x^2")
        return Raw("pow", [kids[0], Raw("number", [], "2", pos, (pos, pos))], None, pos,
                   call.span)
    if name == "logaddexp":
        need(2, "np.logaddexp(0, x), which is softplus(x)")
        zero = [k for k in kids if k.kind == "number" and float(k.value) == 0]
        if not zero:
            raise ParseError("np.logaddexp is read only as np.logaddexp(0, x), which is "
                             "softplus(x)", text, pos)
        other = kids[1] if kids[0] is zero[0] else kids[0]
        return Raw("call", [other], "softplus", pos, call.span)
    return call


# ----------------------------------------------------------------------------------------
# Lark tree → Raw, iteratively (inputs may be deeply nested)

_OPERATOR_CHARS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@"}


def _start(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return node.start_pos or 0
    return getattr(node.meta, "start_pos", 0) or 0


def _end(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return node.end_pos or 0
    return getattr(node.meta, "end_pos", 0) or 0


def _convert(tree: Tree[Token], text: str) -> Parsed:
    body = tree.children[0]
    expr = _to_raw(body, text)
    declarations: list[Declaration] = []
    definitions: list[Definition] = []
    for decl in tree.children[1:]:
        assert isinstance(decl, Tree)
        name_tok = decl.children[0]
        assert isinstance(name_tok, Token)
        if decl.data == "name_decl":
            definitions.append(Definition(_name(name_tok, text), _to_raw(decl.children[1], text),
                                          name_tok.start_pos or 0))
        else:
            kind_tok = decl.children[1]
            dims: list[str | int] = []
            for d in decl.children[2:]:
                assert isinstance(d, Tree)
                tok = d.children[0]
                assert isinstance(tok, Token)
                dims.append(_dim_int(tok, text) if d.data == "dim_int" else _name(tok, text))
            declarations.append(Declaration(_name(name_tok, text), normal_name(str(kind_tok)), dims,
                                            name_tok.start_pos or 0))
    return Parsed(expr, declarations, definitions)


def _to_raw(root: Tree[Token] | Token, text: str) -> Raw:
    done: dict[int, Raw] = {}
    stack: list[tuple[Tree[Token] | Token, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, expanded = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"the expression is nested more than {MAX_DEPTH} deep, the limit",
                             text, _start(node))
        if isinstance(node, Token):
            done[id(node)] = _token_raw(node, text)
            continue
        if not expanded:
            stack.append((node, depth, True))
            for child in node.children:
                stack.append((child, _child_depth(node, child, depth), False))
            continue
        kids = [done.pop(id(c)) for c in node.children if not _is_name_token(node, c)]
        raw = _tree_raw(node, kids, text)
        if raw.span == (0, 0):
            raw.span = (_start(node), _end(node))
        done[id(node)] = raw
    return done[id(root)]


# left-associated chains of one precedence level (a + b - c + ...) are flat sums and
# products, not nesting: a long sum is not a deep expression
CHAINS = {"add": "sum", "sub": "sum", "mul": "product", "div": "product", "matmul": "product"}


def chain_spine(r: Raw) -> list[Raw]:
    """The operator nodes of the left-associated chain that ends at ``r``, first to last."""
    family = CHAINS[r.kind]
    nodes = [r]
    while CHAINS.get(nodes[-1].children[0].kind) == family:
        nodes.append(nodes[-1].children[0])
    nodes.reverse()
    return nodes


def _child_depth(tree: Tree[Token], child: Tree[Token] | Token, depth: int) -> int:
    if (isinstance(child, Tree) and child is tree.children[0]
            and CHAINS.get(str(child.data), "") == CHAINS.get(str(tree.data))):
        return depth
    return depth + 1


def _is_name_token(tree: Tree[Token], child: Tree[Token] | Token) -> bool:
    return tree.data == "call" and isinstance(child, Token) and child is tree.children[0]


def _token_raw(tok: Token, text: str) -> Raw:
    span = (tok.start_pos or 0, tok.end_pos or 0)
    if tok.type == "NUMBER":
        return Raw("number", value=str(tok), pos=span[0], span=span)
    if tok.type == "NAME":
        return Raw("name", value=_name(tok, text), pos=span[0], span=span)
    if tok.type == "STRING":
        return Raw("string", value=str(tok)[1:-1], pos=span[0], span=span)
    return Raw("token", value=str(tok), pos=span[0], span=span)


def _tree_raw(tree: Tree[Token], kids: list[Raw], text: str) -> Raw:
    kind = str(tree.data)
    pos = _start(tree)
    if kind in ("number", "name", "string"):
        return kids[0]
    if kind == "call":
        name_tok = tree.children[0]
        assert isinstance(name_tok, Token)
        call = Raw("call", kids, _name(name_tok, text, call=True), name_tok.start_pos or 0,
                   (_start(tree), _end(tree)))
        return equivalent_call(call, text) if "." in str(name_tok) or call.value == "norm2" \
            else call
    if kind in _OPERATOR_CHARS:
        left, right = tree.children[0], tree.children[-1]
        gap_start, gap_end = _end(left), _start(right)
        found = text.find(_OPERATOR_CHARS[kind], gap_start, gap_end)
        return Raw(kind, kids, None, found if found >= 0 else gap_start)
    if kind == "pow":
        op_tok = tree.children[1]
        assert isinstance(op_tok, Token)
        return Raw("pow", [kids[0], kids[2]], None, op_tok.start_pos or pos)
    if kind == "transpose":
        return Raw("transpose", kids, None, _end(tree.children[0]))
    if kind == "neg":
        return Raw("neg", kids, None, pos)
    if kind == "unary":  # unary plus
        return kids[-1]
    if kind == "keyword":  # axis=0 in a call: the value, named by the keyword
        return Raw("keyword", kids[1:], kids[0].value, kids[0].pos)
    raise ParseError(f"internal: unknown syntax node {kind!r}", text, pos)
