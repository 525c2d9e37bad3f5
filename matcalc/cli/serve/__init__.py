"""``matcalc serve``: a local page to type an expression into and see its derivative.

The page (``static/``) sends what is typed to a JSON endpoint as the person
types; the answer is the derivative with its shape and the ``where`` line, the
derivation step by step, the verification table and the generated code, or
the error with its caret.  Formulas are MathML, as on the examples page, so
nothing is loaded from the network.  This module only configures the command
(the server is imported when it starts, so ``matcalc --help`` stays fast).
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

__all__ = ["configure_parser", "run_cli"]


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8000,
                   help="the port on 127.0.0.1 (default 8000; 0 picks a free one)")
    p.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                   help="stop a computation after this long (default 20)")
    p.add_argument("--quiet", action="store_true", help="do not log requests")
    p.set_defaults(handler=run_cli)


def run_cli(args: argparse.Namespace, out: TextIO) -> int:
    from matcalc.core.errors import MatcalcError

    if not 0 <= args.port <= 65535:
        raise MatcalcError(f"--port must be from 0 to 65535, not {args.port}")
    if not args.timeout > 0:
        raise MatcalcError(f"--timeout must be positive, not {args.timeout}")
    from matcalc.cli.serve.server import make_server

    try:
        server = make_server(args.port, args.timeout, args.quiet)
    except OSError as e:
        raise MatcalcError(f"cannot listen on 127.0.0.1:{args.port}: {e.strerror}; "
                           "choose another port with --port") from None
    port = server.server_address[1]
    print(f"matcalc serve: http://127.0.0.1:{port}/  (Ctrl-C to stop)", file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("matcalc serve: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
