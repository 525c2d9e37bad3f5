"""Shared fixtures: KaTeX for the tests that check LaTeX (tests/katex.py)."""

from katex import katex_prefix, mathjax_prefix  # noqa: F401  (session fixtures)
