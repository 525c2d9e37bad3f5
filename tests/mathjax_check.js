#!/usr/bin/env node
// Convert LaTeX strings with MathJax 3 (the TeX input Jupyter renders with) and
// report the ones it rejects.
//
//   node tests/mathjax_check.js [MATHJAX_PREFIX] < strings.json
//
// stdin: a JSON list of strings.  stdout: a JSON list of failures, each
// {"index", "latex", "error"}; the exit status is 1 if there are any, 2 if the
// input or MathJax cannot be read.  MathJax is loaded from
// MATHJAX_PREFIX/node_modules/mathjax-full (default: tests/.mathjax, where the
// tests' fixture and .ci/run install it with
// `npm install --prefix tests/.mathjax mathjax-full`).
//
// Only the base, ams and boldsymbol packages are loaded (the last is autoloaded
// by MathJax 3's default configuration, as Jupyter uses it), and errors are
// thrown rather than drawn in red: what passes here renders in any MathJax 3 set-up.
"use strict";

const path = require("path");
const checkEach = require("./latex_check.js");

const prefix = path.resolve(process.argv[2] || path.join(__dirname, ".mathjax"));
const lib = (p) => require(path.join(prefix, "node_modules", "mathjax-full", "js", p));
let mathjax, TeX, liteAdaptor, RegisterHTMLHandler, STATE;
try {
  ({ mathjax } = lib("mathjax.js"));
  ({ TeX } = lib("input/tex.js"));
  ({ liteAdaptor } = lib("adaptors/liteAdaptor.js"));
  ({ RegisterHTMLHandler } = lib("handlers/html.js"));
  ({ STATE } = lib("core/MathItem.js"));
  lib("input/tex/base/BaseConfiguration.js");
  lib("input/tex/ams/AmsConfiguration.js");
  lib("input/tex/boldsymbol/BoldsymbolConfiguration.js");
} catch (err) {
  process.stderr.write(`cannot load mathjax-full from ${prefix}: ${err.message}\n`);
  process.exit(2);
}

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
const tex = new TeX({
  packages: ["base", "ams", "boldsymbol"],
  formatError: (jax, err) => { throw err; },
});
const doc = mathjax.document("", { InputJax: tex });

checkEach((latex) => { doc.convert(latex, { display: true, end: STATE.CONVERT }); });
