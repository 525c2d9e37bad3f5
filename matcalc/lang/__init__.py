"""The language: Lark front end and shape inference."""
