"""The shape of the source tree: small modules, and each operator known in few places.

An operator is declared once, in its record beside its constructor
(:mod:`matcalc.ops`); besides that record, its name may appear as a string only
in its derivative rule and in at most one printer with an irregular form for
it.  Every other stage reads the record.  These tests keep it that way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "matcalc"
SOURCES = sorted(PACKAGE.rglob("*.py"))
LONGEST = 500


def test_no_module_is_longer_than_500_lines() -> None:
    long = {str(p.relative_to(PACKAGE)): n for p in SOURCES
            if (n := len(p.read_text("utf-8").splitlines())) > LONGEST}
    assert long == {}


@pytest.mark.parametrize("name", ["logdet", "softmax", "kron", "inv", "diag", "tanh"])
def test_an_operator_is_named_in_at_most_three_files(name: str) -> None:
    quoted = re.compile(rf"""["']{name}["']""")
    files = sorted(str(p.relative_to(PACKAGE)) for p in SOURCES
                   if quoted.search(p.read_text("utf-8")))
    assert len(files) <= 3, files
    assert any(f.startswith("ops/") for f in files), files


def test_stages_reach_no_private_names_of_other_modules() -> None:
    private_import = re.compile(r"^\s*from matcalc\.[\w.]+ import .*\b_[a-z]\w*", re.M)
    offenders = [str(p.relative_to(PACKAGE)) for p in SOURCES
                 if private_import.search(p.read_text("utf-8"))]
    assert offenders == []


def test_printers_are_forbidden_every_module_that_builds_nodes() -> None:
    # the forbidden contract lists modules by name: a new ops module with constructors
    # (one that registers operator records) must be added to it, or printers could build
    import tomllib

    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (forbidden,) = [c for c in contracts if c["type"] == "forbidden"
                    and c["source_modules"] == ["matcalc.printing"]]
    builders = {f"matcalc.ops.{p.stem}" for p in (PACKAGE / "ops").glob("*.py")
                if re.search(r"^register\(", p.read_text(encoding="utf-8"), re.M)}
    assert builders, "no ops module registers records: the pattern is stale"
    assert builders - {"matcalc.ops.record"} <= set(forbidden["forbidden_modules"])
