"""Shared fixtures: KaTeX for the tests that check LaTeX (tests/katex.py), headless
Chromium for the page tests (tests/browser.py)."""

from browser import browser  # noqa: F401  (a session fixture)
from katex import katex_prefix, mathjax_prefix  # noqa: F401  (session fixtures)
