"""KaTeX for the tests: installed from npm into ``tests/.katex`` on first use.

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


def _katex_installed() -> bool:
    return KATEX_PACKAGE.is_file()


@pytest.fixture(scope="session")
def katex_prefix() -> Path:
    """tests/.katex with KaTeX in it, installed from npm once if missing.

    No lock: each process installs into its own folder and renames it into
    place; a process that loses the race uses the winner's copy.
    """
    if _katex_installed():
        return KATEX_PREFIX
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: the LaTeX tests need it to install KaTeX "
                    "(npm install --prefix tests/.katex katex)", pytrace=False)
    staging = HERE / f".katex-install-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
         "--loglevel=error", "katex"],
        capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm install katex failed (exit {proc.returncode}):\n{proc.stdout}\n"
                    f"{proc.stderr}", pytrace=False)
    for _ in range(2):
        try:
            os.rename(staging, KATEX_PREFIX)
            break
        except OSError:
            if _katex_installed():  # another process got there first
                break
            shutil.rmtree(KATEX_PREFIX, ignore_errors=True)  # a broken earlier install
    shutil.rmtree(staging, ignore_errors=True)
    if not _katex_installed():
        pytest.fail(f"KaTeX is still missing from {KATEX_PREFIX} after npm install",
                    pytrace=False)
    return KATEX_PREFIX


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
