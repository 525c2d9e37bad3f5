"""``matcalc serve``: the JSON endpoint on its own, the HTTP server, and the page in Chromium.

Every derivative the page shows is verified on the page itself (its verification
table); here the endpoint's answers are compared with the library's results and
with the Matrix Cookbook's closed forms, its errors must keep the caret and never
be a traceback, and a slow expression must time out without hanging the server.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import matcalc as mc
from matcalc.cli.serve.compute import FIELDS, MAX_EXPRESSION, answer
from matcalc.cli.serve.server import MAX_REQUEST, Computer, make_server
from matcalc.numeric.codegen import codegen

from browser import SCREENSHOTS, Browser

ROOT = Path(__file__).resolve().parent.parent
LSQ = "0.5*norm(y - A@x)^2 where A: matrix(m, n)"
# far beyond the test server's 4 s (six levels took 3 s once the simplifier got faster);
# the child computing it is stopped at the timeout, so the test itself stays short
SLOW = {"expression": "sum(" + "exp(A @ " * 14 + "x" + ")" * 15,
        "wrt": "x", "order": 4}


def sections(a: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert a["ok"], a
    return {s["id"]: s for s in a["sections"]}


def blocks(s: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in s["blocks"] if b["kind"] == kind]


# ----------------------------------------------------------------------------------------
# the endpoint, without a server


def test_the_differential_and_vec_forms_are_shown() -> None:
    got = sections(answer({"expression": "tanh(A@x + b)", "wrt": "A", "form": "differential"}))
    assert list(got) == ["function", "form-A", "verify", "code"]
    texts = [b["text"] for b in blocks(got["form-A"], "text")]
    g = mc.diff(mc.parse("tanh(A@x + b)"), "A", form="differential")
    assert texts[0] == f"dF = {g}" == "dF = (1 - tanh(A @ x + b)^2) * (dA @ x)"
    got = sections(answer({"expression": "inv(X)", "wrt": "X", "form": "vec"}))
    texts = [b["text"] for b in blocks(got["form-X"], "text")]
    assert texts[0] == "d vec(F)/d vec(X)' = -kron(inv(X).T, inv(X))"
    bad = answer({"expression": "inv(X)", "wrt": "X", "form": "matrix"})
    assert not bad["ok"] and "differential" in bad["error"]["message"]


def test_a_claimed_derivation_is_checked_line_by_line() -> None:
    claims = "# the notes' derivation\n-A' @ (y - A@x)\nA' @ (y - A@x)\nA'@A@x - A'@y"
    got = sections(answer({"expression": LSQ, "wrt": "x", "claim": claims}))
    assert list(got) == ["function", "derivative-x", "steps-x", "check", "verify", "code"]
    report = mc.check(mc.parse(LSQ), "x", ["-A' @ (y - A@x)", "A' @ (y - A@x)",
                                           "A'@A@x - A'@y"])
    (code,) = blocks(got["check"], "code")
    assert code["text"] == str(report) and "goes wrong at line 2" in code["text"]
    assert blocks(got["check"], "math")[0]["latex"] == report.latex()
    bad = answer({"expression": LSQ, "wrt": "x", "claim": "A' @"})
    assert not bad["ok"] and "the claim:" in bad["error"]["message"]


def test_the_answer_shows_derivative_shape_where_steps_verification_and_code() -> None:
    got = sections(answer({"expression": LSQ, "wrt": "x", "order": 1}))
    assert list(got) == ["function", "derivative-x", "steps-x", "verify", "code"]
    f = mc.parse(LSQ)
    g = mc.diff(f, "x")
    assert str(g) == "A.T @ (A @ x - y)"  # the Cookbook's gradient (eq. 84 with W = I / 2)
    d = got["derivative-x"]
    assert blocks(d, "math")[0]["latex"] == (r"\frac{\partial f}{\partial x} = "
                                             rf"{g.latex()} \in \mathbb{{R}}^{{n}}")
    assert blocks(d, "math")[0]["mathml"].startswith("<math")
    assert [b["text"] for b in blocks(d, "text")] == [f"∂f/∂x = {g}", "shape: n"]
    where = [b["text"] for b in blocks(got["function"], "text")]
    assert where[-1] == "where A: m×n, x: n, y: m"
    assert r"A \in \mathbb{R}^{m \times n}" in blocks(got["function"], "math")[-1]["latex"]
    steps = got["steps-x"]
    derivation = mc.diff(f, "x", steps=True)
    assert blocks(steps, "math")[0]["latex"] == derivation.latex()
    assert blocks(steps, "code")[0]["text"] == str(derivation)
    table = blocks(got["verify"], "table")[0]
    assert table["head"][:2] == ["derivative", "result"]
    assert [row[:2] for row in table["rows"]] == [["∂f/∂x", "pass"]]
    assert float(table["rows"][0][2]) < 1e-6
    code = blocks(got["code"], "code")[0]
    assert code["copy"] is True and code["text"] == codegen(f, wrt=["x"], order=1)


def test_several_variables_a_hessian_and_a_tensor() -> None:
    got = sections(answer({"expression": LSQ, "wrt": "x, A", "order": 1}))
    assert [k for k in got if k.startswith("derivative-")] == ["derivative-x", "derivative-A"]
    assert blocks(got["derivative-A"], "text")[0]["text"] == "∂f/∂A = outer(A @ x - y, x)"
    assert len(blocks(got["verify"], "table")[0]["rows"]) == 2
    hess = sections(answer({"expression": LSQ, "wrt": "x", "order": "2"}))
    assert blocks(hess["derivative-x"], "text")[0]["text"] == "∂²f/∂x² = A.T @ A"
    assert "steps-x" not in hess  # derivations are of first derivatives
    assert blocks(hess["verify"], "table")[0]["rows"][0][1] == "pass"
    tensor = sections(answer({"expression": "tanh(A @ x + b) where A: matrix(m, n)",
                              "wrt": "A"}))
    assert blocks(tensor["derivative-A"], "text")[1]["text"] == "shape: m×(m×n)"
    assert blocks(tensor["verify"], "table")[0]["rows"][0][1] == "pass"


def test_no_variable_named_means_every_variable() -> None:
    got = sections(answer({"expression": "x' @ A @ x"}))
    assert [k for k in got if k.startswith("derivative-")] == ["derivative-A", "derivative-x"]


def test_order_three_has_no_verification_or_code_and_says_why() -> None:
    got = sections(answer({"expression": "sum(exp(x))", "wrt": "x", "order": 3}))
    assert "orders 1 and 2" in blocks(got["verify"], "text")[0]["text"]
    assert "orders 1 and 2" in blocks(got["code"], "text")[0]["text"]


@pytest.mark.parametrize(("payload", "kind", "shows"), [
    ({"expression": "A @ (x + ", "wrt": "x"}, "ParseError",
     "A @ (x + \n         ^\nthe input ends early"),
    ({"expression": "A @ x where A: matrix(m, n), x: vector(m)"}, "ShapeError",
     "A @ x where A: matrix(m, n), x: vector(m)\n  ^\ncannot multiply A (m×n) by x (m)"),
    ({"expression": "x^2", "wrt": "y"}, "MatcalcError", "y is not a variable"),
    ({"expression": "x^2", "wrt": "x; import os"}, "MatcalcError", "is not a variable name"),
    ({"expression": "x^2", "order": 9}, "MatcalcError", "the order must be from 1 to 4"),
    ({"expression": "x^2", "order": "two"}, "MatcalcError", "a whole number"),
    ({"expression": "   "}, "MatcalcError", "type an expression"),
    ({"expression": 3}, "MatcalcError", "must be text"),
    ({"expression": "x" * (MAX_EXPRESSION + 1)}, "MatcalcError", "at most 2000"),
    ({"expression": "x", "colour": "red"}, "MatcalcError", "unknown field(s) colour"),
    (["x"], "MatcalcError", "must be a JSON object"),
    ({"expression": "__import__('os').system('true')"}, "ParseError", "^"),
    ({"expression": "(" * 3000 + "x" + ")" * 3000}, "MatcalcError", "at most"),
])
def test_bad_input_is_a_message_with_its_caret(payload: Any, kind: str, shows: str) -> None:
    a = answer(payload)
    assert a["ok"] is False and "sections" not in a
    assert a["error"]["kind"] == kind
    assert shows in a["error"]["message"]
    assert "Traceback" not in a["error"]["message"]


def test_a_slow_expression_times_out_and_the_next_one_is_answered() -> None:
    slow = Computer(timeout=1)
    a = slow(SLOW)
    assert a == {"ok": False, "error": {"kind": "Timeout", "message": a["error"]["message"]}}
    assert "longer than 1 s" in a["error"]["message"]
    quick = Computer(timeout=60)
    assert sections(quick({"expression": "x^2", "wrt": "x"}))["derivative-x"]


# ----------------------------------------------------------------------------------------
# the HTTP server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = make_server(port=0, timeout=4, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    host, port = srv.server_address[:2]
    assert host == "127.0.0.1"
    yield f"http://127.0.0.1:{port}"
    srv.shutdown()
    srv.server_close()


def http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None
         ) -> tuple[int, str, dict[str, Any] | str]:
    req = urllib.request.Request(url, data=body, headers=headers or {},
                                 method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, ctype, text = r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        status, ctype, text = e.code, e.headers["Content-Type"], e.read().decode()
    return status, ctype, json.loads(text) if ctype == "application/json" else text


def post(base: str, payload: Any) -> tuple[int, dict[str, Any]]:
    status, _, body = http(base + "/api/derive", json.dumps(payload).encode(),
                           {"Content-Type": "application/json"})
    assert isinstance(body, dict)
    return status, body


def test_the_server_answers_the_endpoint(server: str) -> None:
    status, body = post(server, {"expression": "sum(x^2)", "wrt": "x"})
    assert status == 200
    assert blocks(sections(body)["derivative-x"], "text")[0]["text"] == "∂f/∂x = 2 * x"
    status, body = post(server, {"expression": "x^", "wrt": "x"})
    assert status == 200 and body["error"]["kind"] == "ParseError"
    assert "x^\n  ^\n" in body["error"]["message"]


def test_the_server_serves_the_page_and_nothing_else(server: str) -> None:
    status, ctype, page = http(server + "/")
    assert status == 200 and ctype.startswith("text/html")
    assert isinstance(page, str)
    assert re.findall(r'data-field="(\w+)"', page) == list(FIELDS)
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert asset.startswith("/"), f"the page loads {asset} from elsewhere"
        assert http(server + asset)[0] == 200
    assert http(server + "/static/../compute.py")[0] == 404
    assert http(server + "/etc/passwd")[0] == 404


def test_the_server_limits_what_it_reads(server: str) -> None:
    big = json.dumps({"expression": "x" * MAX_REQUEST}).encode()
    status, _, body = http(server + "/api/derive", big, {"Content-Type": "application/json"})
    assert status == 413 and isinstance(body, dict) and "at most" in body["error"]["message"]
    status, _, body = http(server + "/api/derive", b"{not json", {})
    assert status == 400 and isinstance(body, dict) and "not JSON" in body["error"]["message"]
    # a page elsewhere that rebinds its name to 127.0.0.1 is refused
    status, _, body = http(server + "/api/derive", b"{}", {"Host": "evil.example:80"})
    assert status == 403


def test_a_slow_request_does_not_hang_the_server(server: str) -> None:
    status, body = post(server, SLOW)
    assert status == 200 and body["error"]["kind"] == "Timeout"
    status, body = post(server, {"expression": "sum(sin(x))", "wrt": "x"})
    assert blocks(sections(body)["derivative-x"], "text")[0]["text"] == "∂f/∂x = cos(x)"


# ----------------------------------------------------------------------------------------
# the page, typed into in Chromium


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``matcalc serve --port 0`` as a person starts it."""
    proc = subprocess.Popen([sys.executable, "-m", "matcalc", "serve", "--port", "0", "--quiet"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert match, line + (proc.stderr.read() if proc.stderr else "")
    yield match.group(0)
    proc.terminate()
    proc.wait(timeout=30)


def test_the_page_in_chromium(served: str, browser: Browser) -> None:
    cases = [{"fields": {"expression": LSQ, "wrt": "x", "order": "1"}},
             {"fields": {"expression": "A @ (x + "}},
             {"fields": {"expression": LSQ, "order": "2"}}]
    seen = browser.run("serve", served, str(SCREENSHOTS / "serve.png"), json.dumps(cases))
    assert seen["blocked"] == [], f"the page asked the network for {seen['blocked']}"
    assert seen["consoleErrors"] == []
    first, bad, hessian = seen["results"]

    assert first["status"] == "ok" and first["error"] is None
    titles = [s["title"] for s in first["sections"]]
    assert titles[:3] == ["Function", "∂f/∂x", "Derivation of ∂f/∂x, step by step"]
    text = first["bodyText"]
    assert "∂f/∂x = A.T @ (A @ x - y)" in text and "shape: n" in text
    assert "where A: m×n, x: n, y: m" in text
    assert re.search(r"∂f/∂x\tpass\t", text), "the verification table"
    assert "def value_and_derivatives" in text
    assert [s["copy"] for s in first["sections"]][-1] == 1  # the code's copy button
    for f in first["math"]["formulas"]:  # every formula rendered as MathML
        assert f["count"] == 1 and f["display"] in ("block math", "inline math")
        assert f["width"] > 10 and f["stacked"] == f["fractions"]
    assert "\\frac" not in text and "\\begin" not in text

    assert bad["status"] == "ParseError"
    assert bad["error"] == ("A @ (x + \n         ^\nthe input ends early; expected '(' or "
                            "'+' or '-' or a name or a number")
    assert "monospace" in bad["errorFont"]
    assert "Traceback" not in bad["bodyText"]

    assert hessian["status"] == "ok"
    assert "∂²f/∂x² = A.T @ A" in hessian["bodyText"]
    assert seen["copied"] == codegen(mc.parse("x^2"), wrt=["x"], order=1)
