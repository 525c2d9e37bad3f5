"""matcalc in a notebook: a real kernel runs a notebook and its rich outputs are read back.

``jupyter nbconvert --execute`` runs the cells in an IPython kernel (this
interpreter, through a kernel spec written for the test) exactly as Jupyter
would; the test then reads the outputs the front end would render: a
derivative as ``\\frac{\\partial f}{\\partial x} = ... \\in \\mathbb{R}^{n}``,
``verify``'s report as an HTML table, a derivation from ``f = ...``, and
MathJax 3 (what Jupyter renders LaTeX with) accepts every LaTeX output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat

from latex_engines import mathjax_failures

ROOT = Path(__file__).resolve().parent.parent

CELLS = [
    "import matcalc as mc\n"
    "f = mc.parse('0.5*norm(y - A@x)^2 where A: matrix(m, n)')\n"
    "g = mc.diff(f, 'x')\n"
    "g",
    "str(g), g.latex()",
    "mc.verify(f, 'x')",
    "mc.diff(f, 'x', steps=True)",
    "print(mc.diff(f, 'x', steps=True).latex(bold=True))",
    "mc.hessian(f, 'x')",
    "f",
    "layer = mc.parse('tanh(A@x + b) where A: matrix(m, n)')\n"
    "mc.diff(layer, 'A', form='differential')",
    "mc.diff(layer, 'A', form='vec')",
]


def _run(tmp_path: Path) -> list[dict[str, Any]]:
    """Execute the notebook; the outputs of each cell."""
    kernels = tmp_path / "jupyter" / "kernels" / "matcalc-test"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "matcalc test", "language": "python"}), encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "matcalc-test", "display_name": "matcalc test",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    path = tmp_path / "matcalc.ipynb"
    nbformat.write(nb, path)
    env = dict(os.environ, PYTHONPATH=str(ROOT), JUPYTER_PATH=str(tmp_path / "jupyter"),
               JUPYTER_PLATFORM_DIRS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
         "--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.kernel_name=matcalc-test",
         str(path)], capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
        check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    done = nbformat.read(path, as_version=4)
    return [cell.outputs for cell in done.cells]


def _data(outputs: list[Any], mime: str) -> str:
    for out in outputs:
        if out.get("output_type") in ("execute_result", "display_data") and mime in out["data"]:
            return str(out["data"][mime])
    raise AssertionError(f"no {mime} output in {outputs}")


def _stream(outputs: list[Any]) -> str:
    return "".join(out["text"] for out in outputs if out.get("output_type") == "stream")


def test_a_notebook_shows_derivatives_reports_and_derivations(
        tmp_path: Path, mathjax_prefix: Path) -> None:
    outputs = _run(tmp_path)
    derivative, bare, report, derivation, bold, hessian, function, dF, jacobian = outputs

    latex = _data(derivative, "text/latex")
    assert latex == (r"$\displaystyle \frac{\partial f}{\partial x} = "
                     r"A^{\top} \left(A x - y\right) \in \mathbb{R}^{n}$")
    # str() and latex() stay the bare expression
    assert _data(bare, "text/plain") == \
        "('A.T @ (A @ x - y)', 'A^{\\\\top} \\\\left(A x - y\\\\right)')"

    table = _data(report, "text/html")
    assert table.startswith('<table class="matcalc-verify">') and table.endswith("</table>")
    assert "<b style=\"color:#186a1f\">pass</b>" in table
    assert "<th style=\"text-align:left\">max abs error</th>" in table
    assert "VerifyReport(" not in table

    steps = _data(derivation, "text/latex")
    assert steps.startswith("\\begin{align*}\nf &= \\frac{1}{2} \\left\\| y - A x "
                            "\\right\\|_{2}^{2} \\\\\n")
    assert steps.endswith(r"\frac{\partial f}{\partial x} &= A^{\top} \left(A x - y\right) "
                          "\\in \\mathbb{R}^{n}\n\\end{align*}")
    assert r"\mathrm{d} \lVert x\rVert" in steps

    printed = _stream(bold)
    assert printed.startswith("\\begin{align*}\nf &= \\frac{1}{2} \\left\\| \\mathbf{y} - "
                              "\\mathbf{A} \\mathbf{x}")

    assert _data(hessian, "text/latex") == (r"$\displaystyle \frac{\partial^{2} f}"
                                            r"{\partial x^{2}} = A^{\top} A \in "
                                            r"\mathbb{R}^{n \times n}$")
    # a parsed expression is not a derivative: its bare LaTeX
    assert _data(function, "text/latex") == \
        r"$\displaystyle \frac{1}{2} \left\| y - A x \right\|_{2}^{2}$"

    # the presentations of SPEC section 3: the differential in the direction dA, the vec
    # Jacobian (each form's numbers are checked against the array form in test_forms)
    assert _data(dF, "text/latex") == (
        r"$\displaystyle \mathrm{d}F = \left(1 - \tanh\left(A x + b\right)^{2}\right) "
        r"\odot \left(\mathrm{d}A x\right) \in \mathbb{R}^{m}, \quad "
        r"F = \tanh\left(A x + b\right)$")
    assert _data(jacobian, "text/latex") == (
        r"$\displaystyle \frac{\partial \operatorname{vec} F}{\partial \operatorname{vec}"
        r"(A)^{\top}} = \operatorname{diag}\left(1 - \tanh\left(A x + b\right)^{2}\right) "
        r"\left(x^{\top} \otimes I_{m}\right) \in \mathbb{R}^{m \times m n}, \quad "
        r"F = \tanh\left(A x + b\right)$")

    rendered = [_data(o, "text/latex").strip("$").removeprefix("\\displaystyle ")
                for o in (derivative, derivation, hessian, function, dF, jacobian)]
    rendered.append(printed.strip())
    failures = mathjax_failures(mathjax_prefix, rendered)
    assert not failures, failures
