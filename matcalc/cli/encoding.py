"""Output on terminals that cannot show Unicode: ASCII spellings instead of a crash.

Results and messages use ``∂``, ``×``, ``→`` and the like; on a stream whose
encoding lacks them (``PYTHONIOENCODING=ascii``, a Windows console, a pipe
opened as latin-1) Python raises ``UnicodeEncodeError`` in the middle of the
output.  :func:`ascii_fallback` gives such streams an error handler that writes
each such character's ASCII spelling, and ``\\uXXXX`` for any other (a name
such as ``x̂`` is then ``x\\u0302``).
"""

from __future__ import annotations

import codecs
import sys
from typing import Any

HANDLER = "matcalc-ascii"

SPELLINGS = {
    "∂": "d", "×": "x", "—": "--", "–": "-", "→": "->", "·": "*", "ℝ": "R", "∈": " in ",
    "≈": "~", "≤": "<=", "≥": ">=", "…": "...", "⊙": ".*", "⊗": "(x)", "ᵀ": "'", "±": "+-",
    "⁰": "^0", "¹": "^1", "²": "^2", "³": "^3", "⁴": "^4", "⁵": "^5", "⁶": "^6", "⁷": "^7",
    "⁸": "^8", "⁹": "^9", "δ": "delta", "λ": "lambda", "σ": "sigma",
}


def _spell(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start:error.end]
    text = "".join(SPELLINGS.get(ch, ch.encode("ascii", "backslashreplace").decode("ascii"))
                   for ch in bad)
    return text, error.end


codecs.register_error(HANDLER, _spell)


def ascii_fallback(*streams: Any) -> None:
    """Let ``streams`` (default stdout and stderr) spell what their encoding cannot write."""
    for stream in streams or (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "∂×→".encode(encoding)
            continue  # the encoding has them (UTF-8): nothing to do
        except (UnicodeEncodeError, LookupError):
            pass
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=HANDLER)
