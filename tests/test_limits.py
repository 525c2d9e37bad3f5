"""The limits test: every public entry point on adversarial inputs, under a memory cap and a clock.

Each input runs in one subprocess whose address space is capped with
``resource.setrlimit`` (:data:`MEMORY_CAP`) and each call has
:data:`CALL_SECONDS` on an alarm.  What may come out is a result or a
``MatcalcError`` subclass, nothing else: no ``MemoryError``, ``OverflowError``,
``RecursionError``, ``ValueError`` from NumPy or Python, and no hang.  The
limits themselves are documented in docs/limits.md.  The whole test takes
about 20 s; a new class of hostile input belongs in :data:`CASES`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEMORY_CAP = 3 * 2**30  # bytes of address space for the whole subprocess
CALL_SECONDS = 15  # per call; the SymPy budget and the size checks keep far below

# (name, code): code runs with `m` (matcalc), `np` and `big` (10**12) in scope
CASES = [
    ("parse deep nesting", "m.parse('(' * 5000 + 'x' + ')' * 5000)"),
    ("parse megabyte", "m.parse(' + '.join(['x'] * 200000))"),
    ("parse 5000-digit dimension", "m.parse('x where x: vector(' + '9' * 5000 + ')')"),
    ("parse 5000-digit size call", "m.parse('ones(' + '9' * 5000 + ')')"),
    ("parse 5000-digit number", "m.parse('9' * 5000 + ' * x')"),
    ("parse 2000 coefficients", "m.parse(' + '.join(f's{i}*A' for i in range(2000)))"),
    ("parse combining mark", "m.parse('x\\u0302 + 1')"),
    ("gradient nested fraction", "m.gradient(m.parse('sum(x/(1 + x/(1 + x/(1 + x/(1 + x/("
                                 "1 + x))))))'), 'x')"),
    ("hessian nested fraction", "m.hessian(m.parse('sum(x/(1 + x/(1 + x/(1 + x/(1 + x)))))'),"
                                " 'x')"),
    ("hessian product of 40", "m.hessian(m.parse(' * '.join(f'sum(exp(a{i}*x))' "
                              "for i in range(40))), 'x')"),
    ("diff 30 times", "e = m.parse('sum(exp(x))')\nfor _ in range(30): e = m.diff(e, 'x')"),
    ("diff by a number", "m.diff(m.parse('x'), 3)"),
    ("evaluate ones(10^12)", "m.evaluate(m.parse('sum(ones(n))'), {'n': big})"),
    ("evaluate size 10^5000", "m.evaluate(m.parse('sum(ones(n))'), {'n': 10**5000})"),
    ("evaluate empty array", "m.evaluate(m.parse('softmax(x)'), {'x': np.ones(0)})"),
    ("evaluate 1e999", "m.evaluate(m.parse('sum(1e999*x)'), {'x': np.ones(2)})"),
    ("evaluate a string", "m.evaluate('x + 1', {'x': 1.0})"),
    ("evaluate huge outer product", "m.evaluate(m.parse('sum(x @ y\\')'), "
                                    "{'x': np.ones(10**5), 'y': np.ones(10**5)})"),
    ("to_numpy empty", "m.to_numpy(m.parse('det(X)'))(X=np.ones((0, 0)))"),
    ("to_numpy 1e999", "m.to_numpy(m.parse('1e999 * x'))(x=np.ones(2))"),
    ("verify 10^6 square", "m.verify(m.parse('sum(X @ X @ x)'), 'x', dims={'n': 10**6})"),
    ("verify 1e999", "m.verify(m.parse('sum(1e999*x)'), 'x')"),
    ("verify seed -1", "m.verify(m.parse('sum(x)'), 'x', seed=-1)"),
    ("verify bad dims", "m.verify(m.parse('sum(x)'), 'x', dims={'n': 'a'})"),
    ("verify order 40", "m.verify(m.parse('sum(exp(x))'), 'x', order=40)"),
    ("codegen 1e999", "m.codegen(m.parse('sum(1e999*x)'), wrt=['x'])"),
    ("codegen order 3", "m.codegen(m.parse('sum(x)'), wrt=['x'], order=3)"),
    ("subs a list", "m.subs(m.parse('x + 1'), [('x', m.parse('y'))])"),
    ("subs a string", "m.subs('x', {})"),
    ("register untranslatable", "import sympy\nt = sympy.Symbol('t')\n"
                                "m.register_function('lim_f', sympy.besselj(0, t), np.exp)"),
    ("register code", "m.register_function('lim_g', \"__import__('os').getpid()\", np.exp)"),
    ("register reserved", "m.register_function('sum', 'x', np.exp)"),
    ("latex and str of a deep Hessian", "h = m.hessian(m.parse('sum(' + 'exp(' * 60 + 'x' + "
                                        "')' * 60 + ')'), 'x')\nstr(h); h.latex()"),
]

RUNNER = textwrap.dedent("""
    import json, resource, signal, sys, traceback
    resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
    import numpy as np
    import matcalc as m

    class Slow(BaseException):
        pass

    def alarm(*_):
        raise Slow()

    signal.signal(signal.SIGALRM, alarm)
    results = {{}}
    for name, code in json.loads(sys.argv[1]):
        signal.alarm({seconds})
        try:
            # the snippets are this file's own (CASES), not user input: they run in
            # this child, under the caps, so that each entry point is called for real
            exec(code, {{"m": m, "np": np, "big": 10**12}})
            out = "ok"
        except Slow:
            out = "slow"
        except m.MatcalcError as e:
            out = "MatcalcError: " + type(e).__name__
        except BaseException as e:
            out = "BAD " + type(e).__name__ + ": " + str(e)[:300] + traceback.format_exc()[-800:]
        finally:
            signal.alarm(0)
        results[name] = out
    print(json.dumps(results))
""")


def run_capped(cases: list[tuple[str, str]]) -> dict[str, str]:
    """Each case's outcome, all run in one subprocess under the memory cap and the clock."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    script = RUNNER.format(cap=MEMORY_CAP, seconds=CALL_SECONDS)
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(cases)],
                          capture_output=True, text=True,
                          timeout=CALL_SECONDS * len(cases) + 60, env=env)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and lines, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return dict(json.loads(lines[-1]))


def test_every_entry_point_stays_within_its_limits():
    results = run_capped(CASES)
    bad = [f"{name}: {out}" for name, out in results.items()
           if out.startswith("BAD") or out == "slow"]
    assert not bad, "\n".join(bad)
    assert len(results) == len(CASES)


def test_the_runner_reports_a_breach():
    # the harness itself must be able to fail: a MemoryError, another error, a hang
    results = run_capped([("memory", "b = bytearray(8 * 2**30)"),
                          ("error", "raise ValueError('x')"),
                          ("hang", "import signal, time\nsignal.alarm(1)\ntime.sleep(10)"),
                          ("fine", "m.parse('x')"), ("refused", "m.parse('x +')")])
    assert results["hang"] == "slow"
    assert results["memory"].startswith("BAD MemoryError")
    assert results["error"].startswith("BAD ValueError")
    assert results["fine"] == "ok"
    assert results["refused"] == "MatcalcError: ParseError"
