"""Operators: their constructors (shape rule, canonical form) and records."""
