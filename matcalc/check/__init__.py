"""Checking derivatives: verify, the second opinion, the fuzzer.

``sampling`` (sizes, the domain and kink tables, drawing inputs), ``differences``
(directions and Richardson-extrapolated central differences), ``verify``;
``sympy_arrays`` and ``sympy_values`` (SymPy entries of every operator),
``second_opinion``; the ``fuzz`` package.
"""
