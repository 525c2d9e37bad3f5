// The loop katex_check.js and mathjax_check.js share: read a JSON list of LaTeX
// strings from stdin, try each with `render` (which throws on a rejected one),
// write the failures to stdout as a JSON list of {"index", "latex", "error"}, and
// exit 1 if there are any, 0 if none, 2 if the input is not a list of strings.
"use strict";

module.exports = function checkEach(render) {
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => { input += chunk; });
  process.stdin.on("end", () => {
    let strings;
    try {
      strings = JSON.parse(input);
      if (!Array.isArray(strings)) throw new Error("expected a JSON list of strings");
    } catch (err) {
      process.stderr.write(`bad input: ${err.message}\n`);
      process.exit(2);
    }
    const failures = [];
    strings.forEach((latex, index) => {
      try {
        render(latex);
      } catch (err) {
        failures.push({ index, latex, error: String(err.message || err) });
      }
    });
    process.stdout.write(JSON.stringify(failures, null, 1) + "\n");
    process.exit(failures.length ? 1 : 0);
  });
};
