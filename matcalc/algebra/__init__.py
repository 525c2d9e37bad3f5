"""Contractions, simplification, and the SymPy bridge for scalar algebra."""
