"""The HTTP side of ``matcalc serve``: the standard library's server on 127.0.0.1.

Routes: ``GET /`` the page, ``GET /static/NAME`` its script and stylesheet
(package data beside this module), ``GET /mathml.css`` the MathML stylesheet the
examples page uses too, ``POST /api/derive`` the JSON endpoint
(:func:`matcalc.cli.serve.compute.answer`).

Each computation runs in a process of its own, started from a forkserver
that has matcalc imported (so a start costs milliseconds), and is killed when
it runs past the timeout: a slow expression never hangs the server, and
at most ``workers`` run at once.  Requests are limited in size, and only
requests addressed to this server's own host name are answered (a page
elsewhere cannot reach it by DNS rebinding).
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any

from matcalc.cli.serve.compute import Json, answer, error

__all__ = ["MAX_REQUEST", "Computer", "make_server"]

MAX_REQUEST = 16 * 1024  # bytes of JSON: an expression is at most a few thousand characters

# what the forkserver imports once, so each computation starts warm
_PRELOAD = ["matcalc.cli.serve.compute", "matcalc.lang.infer", "matcalc.calculus.differentiate",
            "matcalc.calculus.steps", "matcalc.check.verify", "matcalc.numeric.codegen",
            "matcalc.printing.mathml", "latex2mathml.converter"]

_STATIC = {"page.js": "text/javascript; charset=utf-8", "page.css": "text/css; charset=utf-8"}


def _work(conn: Connection, payload: Any) -> None:
    try:
        conn.send(answer(payload))
    finally:
        conn.close()


class Computer:
    """Runs :func:`answer` in a child process with a timeout, ``workers`` at a time."""

    def __init__(self, timeout: float, workers: int = 2) -> None:
        self._ctx: ForkServerContext | SpawnContext
        if "forkserver" in multiprocessing.get_all_start_methods():
            self._ctx = multiprocessing.get_context("forkserver")
            self._ctx.set_forkserver_preload(_PRELOAD)
        else:  # Windows: each computation imports matcalc afresh (slower, as correct)
            self._ctx = multiprocessing.get_context("spawn")
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(workers)

    def __call__(self, payload: Any) -> Json:
        if not self._slots.acquire(timeout=self.timeout):
            return error("Busy", "matcalc is still working on earlier requests; try again")
        try:
            receive, send = self._ctx.Pipe(duplex=False)
            proc = self._ctx.Process(target=_work, args=(send, payload), daemon=True)
            proc.start()
            send.close()
            try:
                if receive.poll(self.timeout):
                    result: Json = receive.recv()
                    return result
                return error("Timeout", f"matcalc took longer than {self.timeout:g} s on this "
                             "input and stopped; try a smaller expression or a lower order "
                             "(or matcalc serve --timeout SECONDS)")
            except EOFError:  # the child died (out of memory, killed)
                return error("InternalError", "the computation stopped without an answer "
                             "(out of memory?); try a smaller expression")
            finally:
                receive.close()
                if proc.is_alive():
                    proc.kill()
                proc.join()
        finally:
            self._slots.release()


class Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "matcalc-serve"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if not self.server.quiet:
            sys.stderr.write(f"matcalc serve: {format % args}\n")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        # the page loads nothing from anywhere else
        self.send_header("Content-Security-Policy", "default-src 'self'")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: HTTPStatus, payload: Json) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        if host in ("127.0.0.1", "localhost", "::1"):
            return True
        self._json(HTTPStatus.FORBIDDEN, error("Forbidden", "matcalc serve answers only "
                                               "requests to 127.0.0.1 or localhost"))
        return False

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        if not self._host_ok():
            return
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, _asset("index.html"), "text/html; charset=utf-8")
        elif path == "/mathml.css":
            from matcalc.printing.mathml import MATHML_CSS

            self._send(HTTPStatus.OK, MATHML_CSS.encode(), "text/css; charset=utf-8")
        elif path.startswith("/static/") and path[len("/static/"):] in _STATIC:
            name = path[len("/static/"):]
            self._send(HTTPStatus.OK, _asset(name), _STATIC[name])
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_ok():
            return
        if self.path != "/api/derive":
            self._json(HTTPStatus.NOT_FOUND, error("NotFound", "POST to /api/derive"))
            return
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self._json(HTTPStatus.LENGTH_REQUIRED, error("BadRequest", "no Content-Length"))
            return
        if length > MAX_REQUEST or length < 0:
            self.close_connection = True  # the body is not read
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, error(
                "BadRequest", f"the request is {length} bytes; at most {MAX_REQUEST}"))
            return
        try:
            payload = json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            self._json(HTTPStatus.BAD_REQUEST, error("BadRequest", f"not JSON: {e}"))
            return
        # an error in the input is an answer too (200): the page shows its message
        self._json(HTTPStatus.OK, self.server.compute(payload))


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, compute: Computer, quiet: bool = False) -> None:
        self.compute = compute
        self.quiet = quiet
        super().__init__(("127.0.0.1", port), Handler)


def make_server(port: int = 8000, timeout: float = 20.0, quiet: bool = False) -> Server:
    """The server, bound to 127.0.0.1:``port`` (0: a free port; see ``server_address``).

    A first computation starts at once in the background, so that the forkserver
    is up (matcalc imported) by the time the page asks.
    """
    server = Server(port, Computer(timeout), quiet)
    threading.Thread(target=server.compute, args=({"expression": "x", "wrt": "x"},),
                     daemon=True).start()
    return server


def _asset(name: str) -> bytes:
    return (resources.files("matcalc.cli.serve") / "static" / name).read_bytes()
