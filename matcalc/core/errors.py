"""The errors matcalc raises on bad input (SPEC section 2, "Errors on bad input").

Every message names the problem; when the input text is known, it quotes the
line and puts a caret under the offending column.  The quote starts on a line of
its own (``str(e)`` begins with a newline), so that in a traceback or in Jupyter,
where ``ParseError:`` precedes the first line, the caret still sits under the
column it points at.

Doubtful readings that are still valid input are not errors: they are issued as
:class:`MatcalcWarning` with Python's :mod:`warnings` module.
"""

from __future__ import annotations


class MatcalcError(Exception):
    """Base class of every error matcalc raises on bad input."""

    def __init__(self, message: str, text: str | None = None, column: int | None = None):
        self.message = message
        self.text = text
        self.column = column  # 0-based offset into ``text``
        super().__init__(self._render())

    def _render(self) -> str:
        if self.text is None or self.column is None:
            return self.message
        return f"\n{quote_with_caret(self.text, self.column)}\n{self.message}"

    def reword(self, message: str) -> MatcalcError:
        """The same error, pointing at the same place, with ``message``."""
        self.message = message
        self.args = (self._render(),)
        return self

    def at(self, text: str, column: int) -> MatcalcError:
        """The same error pointing at ``column`` of ``text`` (if it points nowhere yet)."""
        if self.text is None:
            self.text, self.column = text, column
            self.args = (self._render(),)
        return self


class MatcalcWarning(UserWarning):
    """An input that is read as the language defines it, but probably meant otherwise."""


class ParseError(MatcalcError):
    """Text the grammar rejects, unknown functions, wrong argument counts, limits."""


class ShapeError(MatcalcError):
    """Operands whose shapes do not fit, or arrays that disagree with declarations."""

    def __init__(self, message: str, text: str | None = None, column: int | None = None,
                 suspects: tuple[tuple[int, int], ...] = ()):
        # suspects: (argument index, rank it should have had) for shape inference
        self.suspects = suspects
        super().__init__(message, text, column)


class DiffError(MatcalcError):
    """Differentiating by something that is not a variable, or without a rule."""


class EvaluationError(MatcalcError):
    """Values at which an expression has no value (``inv`` of a singular matrix)."""


def quote_with_caret(text: str, column: int, width: int = 100) -> str:
    """The line of ``text`` holding ``column`` with a caret under it, cut to ``width``."""
    column = max(0, min(column, len(text)))
    start = text.rfind("\n", 0, column) + 1
    end = text.find("\n", column)
    line = text[start:] if end < 0 else text[start:end]
    col = column - start
    if len(line) > width:  # keep a window around the caret
        left = max(0, col - width // 2)
        piece = line[left:left + width]
        prefix = "..." if left > 0 else ""
        suffix = "..." if left + width < len(line) else ""
        return f"{prefix}{piece}{suffix}\n{' ' * (len(prefix) + col - left)}^"
    return f"{line}\n{' ' * col}^"
