"""The node, symbolic dimensions, errors: what every stage stands on."""
