"""A fuzzer that keeps the engine honest: random well-typed expressions, every check.

* :mod:`~matcalc.check.fuzz.tree` — the generated trees and the variables they use;
* :mod:`~matcalc.check.fuzz.generator` — random well-typed expressions
  (:func:`sample`, and :func:`expressions` as a Hypothesis strategy);
* :mod:`~matcalc.check.fuzz.oracle` — every check on one example (:func:`check`,
  :func:`cross_check` with SymPy), and the kinds of failure;
* :mod:`~matcalc.check.fuzz.shrink` — a failure reduced to a minimal example;
* :mod:`~matcalc.check.fuzz.campaign` — many examples, in processes, and their figures.

``python -m matcalc.cli.fuzz --examples N --seed S`` runs a campaign and prints
the figures; ``--replay I`` re-runs example ``I`` of a campaign.
"""

from matcalc.check.fuzz.campaign import Campaign, campaign, minimise, run_range
from matcalc.check.fuzz.generator import Generator, expressions, sample
from matcalc.check.fuzz.oracle import FAILURE_KINDS, Outcome, check, cross_check
from matcalc.check.fuzz.shrink import shrink
from matcalc.check.fuzz.tree import (
    DIMS,
    ELEMENTWISE,
    VARIABLES,
    Node,
    Sample,
    from_text,
    kind_string,
    shapes_of,
)

__all__ = [
    "DIMS", "ELEMENTWISE", "FAILURE_KINDS", "VARIABLES", "Campaign", "Generator", "Node",
    "Outcome", "Sample", "campaign", "check", "cross_check", "expressions", "from_text",
    "kind_string", "minimise", "run_range", "sample", "shapes_of", "shrink",
]
