"""Coefficients are scalars: the inference rule for names that only scale scalar parts.

``lam``, ``N``, ``s2`` multiply or divide parts that are scalars whatever their own
shape, so they are scalars, and the loss stays a scalar whose gradient has the
shape of the variable (checked against finite differences).  Names beside numbers
only, or beside arrays, keep the naming convention.
"""

from __future__ import annotations

import time
import warnings

import pytest

import matcalc as mc


def shapes(text: str) -> dict[str, tuple[object, ...]]:
    return {k: v.shape for k, v in mc.parse(text).variables().items()}


@pytest.mark.parametrize("text, name, wrt", [
    ("norm(X@w - y)^2 + lam*norm(w)^2", "lam", "w"),
    ("sum((X@w - y)^2)/N", "N", "w"),
    ("norm(e)^2/(2*s2)", "s2", "e"),
    ("-lam*norm(w)^2 + sum(log(1 + exp(-y * (X@w))))", "lam", "w"),
    ("lam/2 * norm(w)^2 + norm(X@w - y)^2/(2*N)", "N", "w"),
    ("log(det(S)) * Lam", "Lam", "S"),
])
def test_coefficient_of_a_scalar_part_is_a_scalar(text: str, name: str, wrt: str) -> None:
    f = mc.parse(text)
    assert f.variables()[name].shape == ()
    assert f.shape == ()
    g = mc.diff(f, wrt)
    assert g.shape == f.variables()[wrt].shape
    assert mc.verify(f, wrt).ok
    assert mc.verify(f, name).ok


@pytest.mark.parametrize("text, name, rank", [
    ("tanh(2*x)", "x", 1),       # beside numbers only: the convention
    ("s * x", "s", 1),           # beside an array: the convention
    ("s * A", "s", 1),           # beside a matrix: a vector broadcast over its rows
    ("s * A", "A", 2),
    ("X / c", "c", 1),
    # forced by its use: s * y fits only with s a scalar (s * A alone would broadcast it)
    ("s*A @ x + s*y where A: matrix(m, n), y: vector(m)", "s", 0),
    ("lam*norm(w)^2 + lam", "lam", 1),  # not only a coefficient
    ("a * b * norm(w)^2", "a", 1),      # beside another inferred name: no rule applies
    ("x' * norm(y)", "x", 1),           # transposed: a vector, so a row times a scalar
    ("x' * s where s: scalar", "x", 1),
])
def test_other_names_keep_the_convention(text: str, name: str, rank: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mc.MatcalcWarning)  # s * A: tested in test_habits
        assert len(shapes(text)[name]) == rank
        f = mc.parse(text)
    for v in f.variables():
        assert mc.verify(f, v).ok


def test_declared_names_are_never_changed() -> None:
    f = mc.parse("lam*norm(w)^2 where lam: vector(n), w: vector(n)")
    assert f.variables()["lam"].shape == ("n",)


def test_many_coefficients_cost_one_more_build() -> None:
    # thousands of terms, each with its own coefficient: inference stays linear
    terms = " + ".join(f"c{i}*norm(w)^2" for i in range(2000))
    start = time.perf_counter()
    f = mc.parse(terms)
    elapsed = time.perf_counter() - start
    assert all(v.shape == () for k, v in f.variables().items() if k.startswith("c"))
    assert elapsed < 30, elapsed
