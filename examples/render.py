"""Render every example into one standalone HTML document.

    python examples/render.py -o examples.html
    python examples/render.py --pdf -o examples.pdf   # the same, through pdflatex

The page runs each script's ``build()`` (the same code ``python
examples/NAME.py`` prints), so nothing is written twice.  Formulas are MathML
(converted in Python by ``matcalc.printing.mathml``), which browsers render
natively: the page needs no script and no network, and opens from ``file://``.
Each formula's LaTeX source is kept in its ``data-latex`` attribute.  The exit
status is 1 if any verification or check failed (the page is written anyway).
"""

from __future__ import annotations

import argparse
import html
import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Check, Derivative, Example, mc, report_text, variables_text  # noqa: E402

from matcalc.printing.mathml import MATHML_CSS, to_mathml  # noqa: E402

# the scripts, in the order of the course notes
SCRIPTS = ["least_squares", "linear_regression", "logistic_regression", "single_layer",
           "network", "gaussian_nll", "quadratic", "batch_layer", "gaussian_mle",
           "softmax_regression", "scalar_rules", "chain_rule", "check_derivation"]

HEAD = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>matcalc examples</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #222; }}
h2 {{ border-bottom: 1px solid #ccc; margin-top: 3rem; }}
h3 {{ margin-top: 2rem; }}
pre, code {{ font-family: ui-monospace, monospace; font-size: 0.9em; }}
pre {{ background: #f6f6f6; padding: 0.5rem 0.75rem; overflow-x: auto; }}
div.math {{ margin: 0.75rem 0; }}
{MATHML_CSS}table.verify {{ border-collapse: collapse; font-size: 0.9em; }}
table.verify td, table.verify th {{ border: 1px solid #ddd; padding: 0.2rem 0.6rem;
                                    text-align: left; }}
.pass {{ color: #186a1f; font-weight: bold; }}
.fail {{ color: #b00020; font-weight: bold; }}
details summary {{ cursor: pointer; }}
</style>
</head>
<body>
"""


def load(names: Sequence[str] = SCRIPTS) -> list[Example]:
    """Run each script's ``build()``."""
    return [importlib.import_module(name).build() for name in names]


def math(latex: str, display: bool = True) -> str:
    """One formula as MathML, with its LaTeX source in ``data-latex`` (the tests read it)."""
    tag = "div" if display else "span"
    return (f'<{tag} class="math" data-latex="{html.escape(latex)}">'
            f"{to_mathml(latex, display=display)}</{tag}>")


def status(ok: bool | None) -> str:
    if ok is None:
        return ""
    return '<span class="pass">pass</span>' if ok else '<span class="fail">FAIL</span>'


def derivative_html(d: Derivative) -> list[str]:
    r = d.report
    sizes = ", ".join(f"{k}={v}" for k, v in r.sizes.items()) or "–"
    checked = "the whole Jacobian" if r.full_jacobian else f"{r.directions} random directions"
    out = [f"<h3>{html.escape(d.label)}</h3>",
           math(d.function_latex),
           f"<p>Variables: {html.escape(variables_text(d.f))}.</p>",
           math(d.latex),
           "<pre>" + html.escape(f"{d.fname} = {d.f}\n{d.name} = {d.result}\n"
                                 f"shape: {d.shape_text}") + "</pre>"]
    if d.note:
        out.append(f"<p>{html.escape(d.note)}</p>")
    if d.derivation is not None:
        out += ["<details open><summary>Derivation, rule by rule</summary>",
                math(d.derivation.latex()), "</details>"]
    out.append(
        '<table class="verify"><tr><th>verify</th><th>max abs error</th>'
        "<th>max rel error</th><th>sizes</th><th>seed</th><th>checked</th>"
        "<th>evaluations</th></tr>"
        f"<tr><td>{status(r.ok)}</td><td>{r.max_abs_error:.2e}</td>"
        f"<td>{r.max_rel_error:.2e}</td><td>{html.escape(sizes)}</td><td>{r.seed}</td>"
        f"<td>{checked}</td><td>{r.evaluations}</td></tr></table>")
    if r.message:
        out.append(f"<p>{html.escape(r.message)}</p>")
    return out


def check_html(c: Check) -> list[str]:
    out = [f"<h3>{html.escape(c.title)} {status(c.ok)}</h3>"]
    out += [math(tex) for tex in c.latex]
    if c.lines:
        out.append("<pre>" + html.escape("\n".join(c.lines)) + "</pre>")
    return out


def document(examples: Sequence[Example]) -> str:
    parts = [HEAD, "<h1>matcalc examples</h1>",
             "<p>The derivations of the course notes, each computed by "
             "matcalc and checked against finite differences with <code>mc.verify</code>. "
             f"matcalc {html.escape(mc.__version__)}, generated "
             f"{time.strftime('%Y-%m-%d')}.</p>", "<ul>"]
    for ex in examples:
        parts.append(f'<li><a href="#{ex.slug}">{html.escape(ex.title)}</a> '
                     f"{status(ex.ok)}</li>")
    parts.append("</ul>")
    for ex in examples:
        parts += [f'<section id="{ex.slug}">', f"<h2>{html.escape(ex.title)}</h2>",
                  f"<p>{html.escape(ex.intro)}</p>",
                  f"<p>Script: <code>python examples/{ex.slug}.py</code></p>"]
        for item in ex.items:
            parts += derivative_html(item) if isinstance(item, Derivative) else check_html(item)
        parts.append("</section>")
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=None,
                        help="the file to write (default: examples.html, or examples.pdf "
                             "with --pdf)")
    parser.add_argument("--pdf", action="store_true",
                        help="write a PDF through pdflatex (_pdf.py) instead of HTML")
    args = parser.parse_args(argv)
    args.output = args.output or ("examples.pdf" if args.pdf else "examples.html")
    examples = load()
    if args.pdf:
        from _pdf import write_pdf

        rc, log = write_pdf(examples, Path(args.output))
        if rc != 0:
            print(f"pdflatex failed (exit {rc}); the log is "
                  f"{Path(args.output).with_suffix('.log')}", file=sys.stderr)
            return 2
    else:
        Path(args.output).write_text(document(examples), encoding="utf-8")
    failed = [ex.title for ex in examples if not ex.ok]
    derivatives = sum(isinstance(i, Derivative) for ex in examples for i in ex.items)
    print(f"wrote {args.output}: {len(examples)} examples, {derivatives} derivatives, "
          + ("all verified" if not failed else "FAILED: " + ", ".join(failed)))
    for ex in examples:
        for item in ex.items:
            if item.ok is False:
                name = item.label if isinstance(item, Derivative) else item.title
                detail = report_text(item.report) if isinstance(item, Derivative) else ""
                print(f"  {ex.title}: {name} {detail}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
