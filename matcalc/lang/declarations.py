"""Declared shapes: the ``shapes=`` argument and the ``where`` clause, checked and merged.

A declaration gives a variable its shape and, for ``symmetric`` and ``spd``
matrices, its structure.  Both sources may declare the same variable if they
agree; the ``where`` clause's errors point at the text.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from matcalc.core.dims import Dim, Shape, format_shape
from matcalc.core.errors import ShapeError
from matcalc.lang.parser import Declaration, normal_name

# each kind and the number of dimensions it is written with (symmetric(n) is n x n)
KINDS = {"scalar": 0, "vector": 1, "matrix": 2, "symmetric": 1, "spd": 1}


@dataclass
class VarDecl:
    shape: Shape
    structure: str = ""


def parse_kind(spec: str, name: str = "?") -> VarDecl:
    """``"matrix(m, n)"`` → VarDecl; also accepts ``"scalar"``."""
    s = normal_name(spec).strip()
    kind, _, rest = s.partition("(")
    kind = kind.strip()
    if kind not in KINDS:
        raise ShapeError(_unknown_kind(kind, name))
    dims: list[Dim] = []
    if rest:
        if not rest.endswith(")"):
            raise ShapeError(f"malformed kind {spec!r} for {name}")
        for part in rest[:-1].split(","):
            part = part.strip()
            dims.append(int(part) if part.isdigit() else part)
    return _kind_decl(kind, dims, name)


def _kind_decl(kind: str, dims: list[Dim], name: str) -> VarDecl:
    want = KINDS[kind]
    if len(dims) != want:
        raise ShapeError(f"{kind} takes {want} dimension{'s' if want != 1 else ''}, "
                         f"{name} has {len(dims)}")
    for d in dims:
        _check_dim(d, name)
    if kind in ("symmetric", "spd"):
        return VarDecl((dims[0], dims[0]), kind)
    return VarDecl(tuple(dims))


def _check_dim(d: Any, name: str) -> None:
    if isinstance(d, bool) or not isinstance(d, int | str):
        raise ShapeError(f"dimension {d!r} of {name} is not a name or an integer")
    if isinstance(d, int) and d < 1:
        raise ShapeError(f"dimension {d} of {name} must be at least 1")
    if isinstance(d, str) and not all(p.isidentifier() or p.isdigit() for p in d.split("*")):
        raise ShapeError(f"dimension {d!r} of {name} is not a name")


def declarations(where: list[Declaration], shapes: Mapping[str, Any],
                 text: str) -> dict[str, VarDecl]:
    """The declared variables: ``shapes=`` merged with the ``where`` clause of ``text``."""
    if not isinstance(shapes, Mapping):
        raise ShapeError("shapes= must be a dict from variable name to shape")
    out: dict[str, VarDecl] = {}
    for given, spec in shapes.items():
        if not isinstance(given, str) or not normal_name(given).isidentifier():
            raise ShapeError(f"{given!r} in shapes= is not a variable name")
        name = normal_name(given)  # as the text's names are (x and fullwidth x are one)
        if isinstance(spec, str):
            decl = parse_kind(spec, name)
        elif isinstance(spec, tuple | list):
            for d in spec:
                _check_dim(d, name)
            if len(spec) > 2:
                raise ShapeError(f"{name} has {len(spec)} dimensions; variables are scalars, "
                                 "vectors or matrices")
            decl = VarDecl(tuple(normal_name(d) if isinstance(d, str) else d for d in spec))
        else:
            raise ShapeError(f"the shape of {name} in shapes= must be a tuple or a kind "
                             f"string, not {spec!r}")
        if name in out and out[name] != decl:
            raise ShapeError(f"{given!r} and another name in shapes= are both {name} "
                             "(names are compared NFKC-normalised, as Python compares "
                             "identifiers) but declare different shapes; give it once")
        out[name] = decl
    for d in where:
        if d.kind not in KINDS:
            raise ShapeError(_unknown_kind(d.kind, d.name), text, d.pos)
        try:
            decl = _kind_decl(d.kind, d.dims, d.name)
        except ShapeError as e:
            raise e.at(text, d.pos) from None
        if d.name in out and (out[d.name].shape != decl.shape
                              or (out[d.name].structure and decl.structure
                                  and out[d.name].structure != decl.structure)):
            raise ShapeError(f"{d.name} is declared {_show(out[d.name])} in shapes= and "
                             f"{_show(decl)} in the where clause", text, d.pos)
        if d.name in out and not decl.structure:
            decl.structure = out[d.name].structure
        out[d.name] = decl
    return out


# other spellings of the kinds, from other tools and habit
_KIND_ALIASES = {"sym": "symmetric", "symm": "symmetric", "pd": "spd", "posdef": "spd",
                 "vec": "vector", "mat": "matrix", "real": "scalar", "number": "scalar"}


def _unknown_kind(kind: str, name: str) -> str:
    near = _KIND_ALIASES.get(kind) or next(iter(
        difflib.get_close_matches(kind, list(KINDS), n=1, cutoff=0.5)), None)
    dims = {"scalar": "", "matrix": "(m, n)"}.get(near or "", "(n)")
    example = f"{name}: {near}{dims}" if near else ""
    hint = f"; did you mean {near}, as in {example}?" if near else ""
    return (f"unknown kind {kind!r} for {name}{hint} (the kinds are "
            f"{', '.join(KINDS)})")


def _show(d: VarDecl) -> str:
    return (d.structure + " " if d.structure else "") + format_shape(d.shape)
