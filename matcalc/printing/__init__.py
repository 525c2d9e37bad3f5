"""Printers: text (the language the parser reads) and LaTeX."""
