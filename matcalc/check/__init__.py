"""Checking derivatives: verify, the second opinion, the fuzzer.

``sampling`` (sizes, the domain and kink tables, drawing inputs), ``differences``
(directions and Richardson-extrapolated central differences), ``verify``;
``sympy_values`` (SymPy entries of an expression, from the operator records),
``second_opinion``; the ``fuzz`` package.
"""
