"""Binding strength of each printed form, shared by the text and LaTeX printers."""

ADD = 10  # a + b, a - b
MUL = 20  # a * b, a / b, A @ B
UNARY = 30  # -a
POW = 40  # a ^ b
POSTFIX = 50  # A.T
ATOM = 60  # names, numbers, calls, parenthesised groups
