"""Textbook algebra (issue 14): results read as the Cookbook and the notes write them.

Exact printed forms, each derivative also checked numerically by ``verify``.
References: the Matrix Cookbook (MC), section 10.2 (Kronecker products).
"""

from __future__ import annotations

from typing import Any

import pytest

import matcalc as mc
from matcalc.algebra.simplify import simplify


def _check(text: str, wrt: str, shapes: dict[str, Any], want: str, **options: Any) -> None:
    f = mc.parse(text, shapes=shapes)
    g = mc.diff(f, wrt, **options)
    assert str(g) == want
    assert mc.verify(f, wrt).ok


SQUARES = {"A": ("m", "m"), "B": ("p", "p"), "X": ("n", "n")}


@pytest.mark.parametrize("text,wrt,want", [
    ("tr(kron(X, X))", "X", "2 * tr(X) * eye(n)"),  # tr(A ⊗ B) = tr(A) tr(B)   (MC 515)
    ("tr(kron(A, X))", "X", "tr(A) * eye(n)"),
    # log|A ⊗ B| = n log|A| + m log|B|   (MC 516); m, the size of A, which the result
    # does not contain, is written as tr(eye(m)) so that it reads back as a size
    ("logdet(kron(A, X))", "X", "tr(eye(m)) * inv(X).T"),
    ("sum(inv(kron(A, X)))", "A",  # inv(A ⊗ B) = inv(A) ⊗ inv(B)   (MC 511)
     "-sum(inv(X)) * outer(inv(A).T @ ones(m), inv(A) @ ones(m))"),
])
def test_kronecker_identities(text: str, wrt: str, want: str) -> None:
    _check(text, wrt, SQUARES, want)


def test_mixed_product() -> None:
    # (A ⊗ B)(C ⊗ X) = AC ⊗ BX   (MC 510): tr of it is tr(AC) tr(BX)
    shapes = {"A": ("m", "n"), "B": ("p", "q"), "C": ("n", "m"), "X": ("q", "p")}
    _check("tr(kron(A, B) @ kron(C, X))", "X", shapes, "tr(A @ C) * B.T")
    f = mc.parse("kron(A, B) @ kron(C, X)", shapes=shapes)
    assert str(simplify(f)) == "kron(A @ C, B @ X)"


def test_hadamard_products_are_like_terms() -> None:
    f = mc.parse("(X@t - y) * w + w * (X@t - y)", shapes={"X": ("n", "d"), "t": ("d",)})
    assert str(simplify(f)) == "2 * (X @ t - y) * w"


def test_coefficients_of_sums() -> None:
    shapes = {"C": ("n", "n"), "P": ("n", "n")}
    assert str(simplify(mc.parse("0.5 * (2 * C - 2 * inv(P))", shapes=shapes))) == "C - inv(P)"
    _check("-0.5*logdet(S) - 0.5*(x - mu)' @ inv(S) @ (x - mu)", "mu", {"S": ("n", "n")},
           "0.5 * (inv(S).T + inv(S)) @ (x - mu)")


def test_symmetrised_gradient_of_a_symmetric_result_is_itself() -> None:
    # (H + H')/2 with H symmetric is H
    _check("logdet(S)", "S", {"S": "spd(n)"}, "inv(S)")
    _check("x' @ S @ x", "x", {"S": "symmetric(n)"}, "2 * S @ x")


def test_scalar_simplifier_keeps_factored_forms() -> None:
    _check("exp(x)/(exp(x) + 1)", "x", {"x": ()}, "exp(x) / (1 + exp(x))^2")


def test_numerator_layout_as_the_notes_write_it() -> None:
    _check("0.5*norm(A@x - y)^2", "x", {}, "(A @ x - y).T @ A", layout="numerator")
