"""Numbers: binding arrays, lowering, the evaluator and code generation."""
