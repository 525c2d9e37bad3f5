#!/usr/bin/env node
// Render LaTeX strings with KaTeX and report the ones it rejects.
//
//   node tests/katex_check.js [KATEX_PREFIX] < strings.json
//
// stdin: a JSON list of strings.  stdout: a JSON list of failures, each
// {"index", "latex", "error"}; the exit status is 1 if there are any, 2 if the
// input or KaTeX itself cannot be read.  KaTeX is loaded from
// KATEX_PREFIX/node_modules/katex (default: tests/.katex, where the tests'
// fixture and .ci/run install it with `npm install --prefix tests/.katex katex`).
//
// strict: "error" makes KaTeX also reject input that it would render but that
// LaTeX itself would not accept (SPEC section 7: a real TeX or KaTeX parser).
"use strict";

const path = require("path");
const checkEach = require("./latex_check.js");

const prefix = process.argv[2] || path.join(__dirname, ".katex");
let katex;
try {
  katex = require(path.join(path.resolve(prefix), "node_modules", "katex"));
} catch (err) {
  process.stderr.write(`cannot load katex from ${prefix}: ${err.message}\n`);
  process.exit(2);
}

checkEach((latex) => {
  katex.renderToString(latex, { throwOnError: true, displayMode: true, strict: "error" });
});
