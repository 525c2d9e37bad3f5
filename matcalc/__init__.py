"""matcalc: symbolic matrix calculus with readable results, LaTeX, NumPy and verification."""

from matcalc.calculus.differentiate import diff, gradient, hessian, jacobian, subs
from matcalc.calculus.hvp import hvp
from matcalc.check.check_report import CheckReport
from matcalc.check.derivation import check
from matcalc.check.verify import VerifyReport, verify
from matcalc.core.errors import (
    DiffError,
    EvaluationError,
    MatcalcError,
    MatcalcWarning,
    ParseError,
    ShapeError,
)
from matcalc.core.expr import Expr
from matcalc.lang.functions import register_function
from matcalc.lang.infer import parse
from matcalc.numeric.codegen import codegen
from matcalc.numeric.evaluate import evaluate, to_numpy

# the one place the version is written: pyproject.toml reads it from here
__version__ = "0.1.0"

__all__ = [
    "CheckReport", "DiffError", "EvaluationError", "Expr", "MatcalcError", "MatcalcWarning",
    "ParseError", "ShapeError", "VerifyReport", "check", "codegen", "diff", "evaluate",
    "gradient", "hessian", "hvp",
    "jacobian", "parse", "register_function", "subs", "to_numpy", "verify",
]
