"""Loading a module that matcalc.codegen wrote, as a user would: from a file."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from typing import Any

_counter = itertools.count()


def load(source: str, tmp_path: Path) -> Any:
    """The generated ``source``, written to ``tmp_path`` and imported."""
    name = f"generated_{next(_counter)}"
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
