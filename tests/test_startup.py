"""A fast start: SymPy is imported only where it is needed (issue 16).

Importing SymPy takes most of a second; the operator records, the scalar
simplifier and the bridge import it when they first use it.  Each check runs
in a fresh interpreter, since this process has imported SymPy long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_REPORT = ("import json, sys; "
           "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'sympy')))")


def _sympy_modules(code: str) -> list[str]:
    """The SymPy modules loaded after running ``code`` in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", f"{code}\n{_REPORT}"], capture_output=True,
                          text=True, timeout=120, env=env, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    modules: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return modules


def test_import_does_not_load_sympy() -> None:
    assert _sympy_modules("import matcalc") == []


def test_diff_command_does_not_load_sympy() -> None:
    code = ("import io, contextlib\n"
            "from matcalc.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    rc = main(['diff', '0.5*norm(y - A@x)^2', '--wrt', 'x'])\n"
            "assert rc in (0, None), rc\n"
            "assert out.getvalue().startswith('A.T @ (A @ x - y)'), out.getvalue()\n")
    assert _sympy_modules(code) == []


def test_latex_and_codegen_do_not_load_sympy() -> None:
    code = ("import matcalc\n"
            "f = matcalc.parse('0.5*norm(y - A@x)^2')\n"
            "g = matcalc.diff(f, 'x')\n"
            "assert 'top' in g.latex()\n"
            "assert 'def ' in matcalc.codegen(f, wrt=['x'])\n"
            "matcalc.diff(f, 'x', steps=True).latex()\n")
    assert _sympy_modules(code) == []


def test_sympy_is_loaded_where_it_is_needed() -> None:
    # a fraction to cancel: the scalar simplifier asks SymPy (and gets s - y)
    code = ("import matcalc\n"
            "f = matcalc.parse('-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z)))')\n"
            "print(matcalc.diff(f, 'z'))\n")
    assert "sympy" in _sympy_modules(code)
    code = "import matcalc\nmatcalc.register_function('cube', 'x^2 * 3', lambda v: v**3)\n"
    assert "sympy" in _sympy_modules(code)


def test_second_opinion_still_works_after_a_lazy_start() -> None:
    code = ("import matcalc\n"
            "from matcalc.check.second_opinion import second_opinion\n"
            "f = matcalc.parse('sigmoid(a) * tanh(a) + abs(a) + relu(a) + exp(a)^2')\n"
            "report = second_opinion(f, 'a')\n"
            "assert report.ok and report.compared > 0, report\n")
    assert "sympy" in _sympy_modules(code)
