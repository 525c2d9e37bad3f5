"""Derivatives: the rules table, reverse mode, derivations step by step."""
