"""matcalc: symbolic matrix calculus with readable results, LaTeX, NumPy and verification."""

from matcalc.algebra.functions import register_function
from matcalc.core.errors import DiffError, EvaluationError, MatcalcError, ParseError, ShapeError
from matcalc.core.expr import Expr
from matcalc.lang.infer import parse
from matcalc.numeric.evaluate import evaluate, to_numpy

__all__ = [
    "DiffError", "EvaluationError", "Expr", "MatcalcError", "ParseError", "ShapeError",
    "evaluate", "parse", "register_function", "to_numpy",
]
__version__ = "0.1.0"

from matcalc.calculus.differentiate import diff, gradient, hessian, jacobian, subs  # noqa: E402

__all__ += ["diff", "gradient", "hessian", "jacobian", "subs"]
from matcalc.check.verify import VerifyReport, verify  # noqa: E402

__all__ += ["VerifyReport", "verify"]
from matcalc.numeric.codegen import codegen  # noqa: E402

__all__ += ["codegen"]
