"""Checking derivatives: verify, the second opinion, the fuzzer.

``sampling`` (sizes, the domain and kink tables, drawing inputs), ``differences``
(directions and Richardson-extrapolated central differences), ``verify``;
``sympy_values`` (SymPy entries of an expression, from the operator records),
``second_opinion``; the ``fuzz`` package; ``check`` of a person's own derivation:
``claims`` (reading claims), ``diagnosis`` (what went wrong), ``derivation``
(``check``) and ``check_report`` (its table, JSON, HTML and LaTeX).
"""
