"""The examples of SPEC section 8: every script in examples/ runs, prints the right
derivatives and verifies them; examples/render.py writes one HTML page with all of
them, and KaTeX accepts every formula on it.

The scripts run as subprocesses, all at once (the way a user runs them:
``python examples/NAME.py`` from the repository root).  The expected derivatives
below are the closed forms of the course notes and the Matrix Cookbook, written as
matcalc prints them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from katex import katex_failures

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TIMEOUT = 120

SCRIPTS = sorted(p.stem for p in EXAMPLES.glob("*.py")
                 if not p.name.startswith("_") and p.name != "render.py")

# (what is printed on the left, the derivative) for each script, from the course notes
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "least_squares": [
        ("∂f/∂x", "A.T @ (A @ x - y)"),
        ("∂²f/∂x²", "A.T @ A"),
        ("∂f/∂A", "outer(A @ x - y, x)"),
    ],
    "linear_regression": [
        ("∂f/∂theta", "-2 * Phi.T @ (y - Phi @ theta)"),
        ("∂²f/∂theta²", "2 * Phi.T @ Phi"),
        ("∂f/∂theta", "(-2 * Phi.T @ (y - Phi @ theta)).T"),  # numerator layout: a row
    ],
    "logistic_regression": [
        ("∂f/∂w", "X.T @ (sigmoid(X @ w + b) - y) / n"),
        ("∂f/∂b", "sum(sigmoid(X @ w + b) - y) / n"),
        ("∂²f/∂w²", "X.T @ diag(sigmoid(X @ w + b) * (1 - sigmoid(X @ w + b))) @ X / n"),
        ("∂²f/∂b²", "sum(sigmoid(X @ w + b) * (1 - sigmoid(X @ w + b))) / n"),
    ],
    "single_layer": [
        ("∂f/∂x", "diag(1 - tanh(A @ x + b)^2) @ A"),
        ("∂f/∂b", "diag(1 - tanh(A @ x + b)^2)"),
        ("∂f/∂A", 'einsum("i,ij,k->ijk", 1 - tanh(A @ x + b)^2, eye(m), x)'),
        ("∂f/∂A", "outer((tanh(A @ x + b) - y) * (1 - tanh(A @ x + b)^2), x)"),
        ("∂f/∂b", "(tanh(A @ x + b) - y) * (1 - tanh(A @ x + b)^2)"),
    ],
    "network": [
        ("∂f/∂W1", "outer(W2.T @ (W2 @ tanh(W1 @ x) - y) * (1 - tanh(W1 @ x)^2), x)"),
        ("∂f/∂W2", "outer(W2 @ tanh(W1 @ x) - y, tanh(W1 @ x))"),
        # long results name their shared parts once (issue 14)
        ("∂f/∂W1", "outer(W2.T @ (W3.T @ (W3 @ t1 - y) * (1 - t1^2)) * (1 - t0^2), x) "
                   "where t0 = tanh(W1 @ x), t1 = tanh(W2 @ t0)"),
        ("∂f/∂W2", "outer(W3.T @ (W3 @ t1 - y) * (1 - t1^2), t0) "
                   "where t0 = tanh(W1 @ x), t1 = tanh(W2 @ t0)"),
        ("∂f/∂W3", "outer(W3 @ tanh(W2 @ tanh(W1 @ x)) - y, tanh(W2 @ tanh(W1 @ x)))"),
    ],
    "gaussian_nll": [
        ("∂f/∂mu", "-inv(S) @ (x - mu)"),
        ("∂f/∂S", "0.5 * (inv(S) - outer(inv(S) @ (x - mu), x - mu) @ inv(S))"),
    ],
    "quadratic": [
        ("∂f/∂x", "(A + A.T) @ x"),
        ("∂²f/∂x²", "A + A.T"),
        ("∂f/∂x", "2 * A @ x"),  # A symmetric
        ("∂²f/∂x²", "2 * A"),
    ],
    # over a batch (issue 12): the bias b is broadcast over the rows, so its gradient sums
    # the rows of the gradient by X @ W + b
    "batch_layer": [
        ("∂f/∂W", "X.T @ ((tanh(X @ W + b) - Y) * (1 - tanh(X @ W + b)^2))"),
        ("∂f/∂b", "sum((tanh(X @ W + b) - Y) * (1 - tanh(X @ W + b)^2), axis=0)"),
    ],
    "gaussian_mle": [
        ("∂f/∂W", "X.T @ (X @ W - Y)"),
    ],
    "softmax_regression": [
        ("∂f/∂W", "X.T @ (diag(Y @ ones(k)) @ softmax(X @ W + b, axis=1) - Y) / n"),
        ("∂f/∂b", "sum(diag(Y @ ones(k)) @ softmax(X @ W + b, axis=1) - Y, axis=0) / n"),
    ],
    "scalar_rules": [
        ("∂f/∂x", "n * x^(n - 1)"),
        ("∂f/∂x", "cos(x)"),
        ("∂f/∂x", "1 - tanh(x)^2"),
        ("∂f/∂x", "exp(x)"),
        ("∂f/∂x", "1 / x"),
        ("∂f/∂x", "cos(x) / x - sin(x) / x^2"),
        ("∂f/∂u", "1 / v"),
        ("∂f/∂v", "-u / v^2"),
    ],
    "check_derivation": [
        ("∂f/∂x", "A.T @ (A @ x - y)"),
    ],
    "chain_rule": [
        ("∂f/∂x1", "2 * x1"),
        ("∂f/∂x2", "2"),
        ("∂x1/∂t", "cos(t)"),
        ("∂x2/∂t", "-sin(t)"),
        ("∂f/∂t", "2 * sin(t) * cos(t) - 2 * sin(t)"),
    ],
}

# further lines a script must print (shapes, and its numerical checks passing)
EXPECTED_LINES: dict[str, list[str]] = {
    "linear_regression": ["shape      : 1×d",
                          "normal equation solved with NumPy from the symbolic gradient and "
                          "Hessian  [pass]",
                          "makes the gradient zero  [pass]"],
    "single_layer": ["shape      : m×(m×n)", "shape      : m×m"],
    "batch_layer": ["shape      : k", "broadcast rule: a vector added to every row gets the "
                    "sum of the rows"],
    "quadratic": ["a* = ((A + A.T) @ x).T @ (A + A.T) @ x / "
                  "(((A + A.T) @ x).T @ (A + A.T) @ (A + A.T) @ x)",
                  "minimises f along -g  [pass]"],
    "chain_rule": ["equals df/dt  [pass]"],
}

DERIVATIVE_LINE = re.compile(r"^  (∂\S*)\s+= (.*)$")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    """Every script and render.py, run at the same time from the repository root."""
    html_path = tmp_path_factory.mktemp("examples") / "examples.html"
    commands = {name: [sys.executable, f"examples/{name}.py"] for name in SCRIPTS}
    commands["render"] = [sys.executable, "examples/render.py", "-o", str(html_path)]
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, encoding="utf-8")
             for name, cmd in commands.items()}
    done = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=TIMEOUT)
        done[name] = subprocess.CompletedProcess(commands[name], proc.returncode, out, err)
    done["render"].html_path = html_path  # type: ignore[attr-defined]
    return done


def test_every_example_of_the_spec_has_a_script() -> None:
    assert SCRIPTS == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_script(runs: dict[str, subprocess.CompletedProcess], name: str) -> None:
    run = runs[name]
    assert run.returncode == 0, f"{name} exited {run.returncode}\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stderr == ""
    printed = [m.groups() for line in run.stdout.splitlines()
               if (m := DERIVATIVE_LINE.match(line))]
    for pair in EXPECTED[name]:
        assert pair in printed, f"{name}: {pair[0]} = {pair[1]} not printed; got {printed}"
    for line in EXPECTED_LINES.get(name, []):
        assert line in run.stdout, f"{name}: {line!r} not printed"
    # every derivative is verified, and passes
    verdicts = re.findall(r"^  verify     : (\S+)", run.stdout, re.M)
    assert verdicts == ["pass"] * len(printed)
    assert "[FAIL]" not in run.stdout
    assert run.stdout.rstrip().endswith("all checks passed")
    # its LaTeX and, where shown, its derivation as an align* block
    assert r"\frac{\partial " in run.stdout


FAILING = """
import sys
sys.path.insert(0, "examples")
from _common import Check, Derivative, Example, main, mc
f = mc.parse("0.5*norm(y - A@x)^2 where A: matrix(m, n)")
wrong = mc.parse("A.T @ (A @ x + y) where A: matrix(m, n), y: vector(m)")
report = mc.verify(f, "x", derivative=wrong)
bad = Derivative("a wrong gradient", f, "x", 1, wrong, report)
raise SystemExit(main(lambda: Example("bad", "Bad", "", [bad, Check("fine", ok=True)])))
"""


def test_a_failed_verification_makes_a_script_exit_nonzero() -> None:
    run = subprocess.run([sys.executable, "-c", FAILING], cwd=ROOT, capture_output=True,
                         text=True, encoding="utf-8", timeout=TIMEOUT, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "verify     : FAIL" in run.stdout
    assert run.stdout.rstrip().endswith("Bad: 1 FAILED: a wrong gradient")


class _Maths(HTMLParser):
    """The LaTeX source of every element of class "math" (its data-latex attribute)."""

    def __init__(self) -> None:
        super().__init__()
        self.strings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("class") == "math":
            self.strings.append(a.get("data-latex") or "")


def _page(runs: dict[str, subprocess.CompletedProcess]) -> str:
    run = runs["render"]
    assert run.returncode == 0, f"render.py exited {run.returncode}\n{run.stdout}\n{run.stderr}"
    return run.html_path.read_text(encoding="utf-8")  # type: ignore[no-any-return]


def test_render_writes_every_example(runs: dict[str, subprocess.CompletedProcess]) -> None:
    page = _page(runs)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # offline: no script, stylesheet or font from anywhere (tests/test_pages.py opens it)
    assert not re.search(r"<script|<link|\bsrc=|url\(|@import", page)
    for name in SCRIPTS:
        assert f'<section id="{name}">' in page
        assert f'href="#{name}"' in page
        assert f"python examples/{name}.py" in page
    assert 'class="fail"' not in page
    maths = _Maths()
    maths.feed(page)
    assert r"\frac{\partial f}{\partial x} = A^{\top} \left(A x - y\right) \in \mathbb{R}^{n}" \
        in maths.strings
    assert any(s.startswith(r"\begin{align*}") for s in maths.strings)
    assert any(r"\in \mathbb{R}^{m \times (m \times n)}" in s for s in maths.strings)
    derivatives = sum(len(v) for v in EXPECTED.values())
    assert page.count('<span class="pass">pass</span></td>') == derivatives


def test_katex_accepts_every_formula_of_the_page(
        runs: dict[str, subprocess.CompletedProcess], katex_prefix: Path) -> None:
    maths = _Maths()
    maths.feed(_page(runs))
    assert len(maths.strings) > 50
    failures = katex_failures(katex_prefix, maths.strings)
    assert not failures, "KaTeX rejects:\n" + "\n".join(
        f"{f['latex']}\n  {f['error']}" for f in failures)


def test_readme_shows_the_derivation_as_printed() -> None:
    """The README's Examples section pastes real output: it must stay the output."""
    import matcalc as mc

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Examples", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```latex\n(.*?)\n```", section, re.S)
    assert block is not None
    f = mc.parse("0.5*norm(y - A@x)^2 where A: matrix(m, n)")
    assert block.group(1) == mc.diff(f, "x", steps=True).latex()
    assert "python examples/render.py -o examples.html" in section
