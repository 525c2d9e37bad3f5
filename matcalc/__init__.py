"""matcalc: symbolic matrix calculus with readable results, LaTeX, NumPy and verification."""

from .elementwise import register_function
from .errors import DiffError, EvaluationError, MatcalcError, ParseError, ShapeError
from .expr import Expr
from .infer import parse
from .numeric import evaluate, to_numpy

__all__ = [
    "DiffError", "EvaluationError", "Expr", "MatcalcError", "ParseError", "ShapeError",
    "evaluate", "parse", "register_function", "to_numpy",
]
__version__ = "0.1.0"

from .differentiate import diff, gradient, hessian, jacobian, subs  # noqa: E402

__all__ += ["diff", "gradient", "hessian", "jacobian", "subs"]
from .verify import VerifyReport, verify  # noqa: E402

__all__ += ["VerifyReport", "verify"]
from .codegen import codegen  # noqa: E402

__all__ += ["codegen"]
