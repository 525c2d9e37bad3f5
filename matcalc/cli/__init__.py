"""The command line: ``matcalc parse|diff|latex|verify|codegen``."""

from matcalc.cli.app import main

__all__ = ["main"]
