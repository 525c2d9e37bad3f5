"""Headless Chromium for the page tests, driven by playwright-core (tests/browser.js).

The browser is Debian's ``chromium`` (``.ci/run`` installs it with apt-get);
playwright-core, which brings no browser of its own, is installed from npm into
``tests/.playwright`` on first use (``.ci/run`` installs it too).  Without
either a test that needs them fails, never skips.  Screenshots go to
``tests/.screenshots/`` (ignored by git) for a person to look at.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
PREFIX = HERE / ".playwright"
PACKAGE = PREFIX / "node_modules" / "playwright-core" / "package.json"
SCREENSHOTS = HERE / ".screenshots"


def _install_playwright() -> None:
    """npm install playwright-core into tests/.playwright (each process into its own
    folder, renamed into place: a process that loses the race uses the winner's)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: the page tests need it for playwright-core "
                    "(npm install --prefix tests/.playwright playwright-core)", pytrace=False)
    staging = HERE / f".playwright-install-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
         "--loglevel=error", "playwright-core"],
        capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm install playwright-core failed (exit {proc.returncode}):\n"
                    f"{proc.stdout}\n{proc.stderr}", pytrace=False)
    try:
        os.rename(staging, PREFIX)
    except OSError:
        pass  # another process got there first
    shutil.rmtree(staging, ignore_errors=True)
    if not PACKAGE.is_file():
        pytest.fail(f"playwright-core is still missing from {PREFIX} after npm install",
                    pytrace=False)


@dataclass(frozen=True)
class Browser:
    chromium: str
    node: str

    def run(self, command: str, *args: str, timeout: float = 180) -> dict[str, Any]:
        """``node tests/browser.js COMMAND ARGS...``: its JSON answer."""
        proc = subprocess.run(
            [self.node, str(HERE / "browser.js"), str(PREFIX), self.chromium, command, *args],
            capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            pytest.fail(f"browser.js {command} failed (exit {proc.returncode}):\n"
                        f"{proc.stdout}\n{proc.stderr}", pytrace=False)
        return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def browser() -> Browser:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed: the page tests open pages in it "
                    "(apt-get install -y chromium, as .ci/run does)", pytrace=False)
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the page tests drive chromium with it",
                    pytrace=False)
    if not PACKAGE.is_file():
        _install_playwright()
    SCREENSHOTS.mkdir(exist_ok=True)
    return Browser(chromium, node)
