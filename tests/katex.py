"""KaTeX and MathJax for the tests: installed from npm into ``tests/.katex`` and
``tests/.mathjax`` on first use.

``.ci/run`` installs it too.  Without node or npm a test that needs it fails; it
never skips, since every LaTeX string the project emits must be checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
KATEX_PREFIX = HERE / ".katex"
KATEX_PACKAGE = KATEX_PREFIX / "node_modules" / "katex" / "package.json"
# MathJax 3, the other renderer of the LaTeX tests (tests/latex_engines.py)
MATHJAX_PREFIX = HERE / ".mathjax"
MATHJAX_PACKAGE = MATHJAX_PREFIX / "node_modules" / "mathjax-full" / "package.json"


def npm_package(prefix: Path, package: str) -> Path:
    """``prefix`` with the npm ``package`` in it, installed once if missing.

    No lock: each process installs into its own folder and renames it into
    place; a process that loses the race uses the winner's copy.
    """
    marker = prefix / "node_modules" / package / "package.json"
    if marker.is_file():
        return prefix
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"npm is not installed: the LaTeX tests need it to install {package} "
                    f"(npm install --prefix {prefix} {package})", pytrace=False)
    staging = prefix.with_name(f"{prefix.name}-install-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
         "--loglevel=error", package],
        capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm install {package} failed (exit {proc.returncode}):\n{proc.stdout}\n"
                    f"{proc.stderr}", pytrace=False)
    for _ in range(2):
        try:
            os.rename(staging, prefix)
            break
        except OSError:
            if marker.is_file():  # another process got there first
                break
            shutil.rmtree(prefix, ignore_errors=True)  # a broken earlier install
    shutil.rmtree(staging, ignore_errors=True)
    if not marker.is_file():
        pytest.fail(f"{package} is still missing from {prefix} after npm install",
                    pytrace=False)
    return prefix


@pytest.fixture(scope="session")
def katex_prefix() -> Path:
    """tests/.katex with KaTeX in it, installed from npm once if missing."""
    return npm_package(KATEX_PREFIX, "katex")


@pytest.fixture(scope="session")
def mathjax_prefix() -> Path:
    """tests/.mathjax with MathJax 3 (mathjax-full) in it, installed once if missing."""
    return npm_package(MATHJAX_PREFIX, "mathjax-full")


def katex_failures(prefix: Path, strings: list[str]) -> list[dict[str, object]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the LaTeX tests need it to run KaTeX",
                    pytrace=False)
    proc = subprocess.run([node, str(HERE / "katex_check.js"), str(prefix)],
                          input=json.dumps(strings), capture_output=True, text=True,
                          timeout=300, check=False)
    if proc.returncode not in (0, 1):
        pytest.fail(f"katex_check.js failed (exit {proc.returncode}): {proc.stderr}",
                    pytrace=False)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]
