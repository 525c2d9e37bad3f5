// matcalc serve: send the form to /api/derive as the person types, render the answer.
// The answer is a list of sections of generic blocks (math, text, table, code), so a
// new input (an element with data-field) or a new section needs no change here.
"use strict";

const DEBOUNCE_MS = 300;
let timer = null;
let inFlight = null;   // the AbortController of the request being answered
let sequence = 0;      // answers to older requests are dropped

function request() {
  const body = {};
  document.querySelectorAll("[data-field]").forEach((el) => { body[el.dataset.field] = el.value; });
  return body;
}

function element(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

function copyButton(text) {
  const button = element("button", "copy", "copy");
  button.type = "button";
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {  // no clipboard permission: select the text for Ctrl-C instead
      const range = document.createRange();
      range.selectNodeContents(button.parentElement.querySelector("pre"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    button.textContent = "copied";
    setTimeout(() => { button.textContent = "copy"; }, 1500);
  });
  return button;
}

const BLOCKS = {
  math(b) {
    const div = element("div", "math");
    div.dataset.latex = b.latex;
    div.innerHTML = b.mathml;  // MathML the server wrote from matcalc's LaTeX
    return div;
  },
  text(b) { return element("p", "text", b.text); },
  table(b) {
    const table = element("table");
    const head = table.insertRow();
    b.head.forEach((h) => head.appendChild(element("th", "", h)));
    b.rows.forEach((row) => {
      const tr = table.insertRow();
      row.forEach((cell) => {
        const cls = cell === "pass" ? "pass" : (cell === "FAIL" ? "fail" : "");
        tr.appendChild(element("td", cls, cell));
      });
    });
    return table;
  },
  code(b) {
    const div = element("div", "code");
    div.appendChild(element("pre", "", b.text));
    if (b.copy) div.appendChild(copyButton(b.text));
    return div;
  },
};

function render(answer) {
  const error = document.getElementById("error");
  const sections = document.getElementById("sections");
  const status = document.getElementById("status");
  if (!answer.ok) {
    error.textContent = answer.error.message;
    error.dataset.kind = answer.error.kind;
    error.hidden = false;
    status.textContent = answer.error.kind;
    sections.classList.add("stale");
    return;
  }
  error.hidden = true;
  error.textContent = "";
  sections.classList.remove("stale");
  sections.replaceChildren(...answer.sections.map((s) => {
    const section = element("section");
    section.id = "section-" + s.id;
    section.appendChild(element("h2", "", s.title));
    s.blocks.forEach((b) => section.appendChild(BLOCKS[b.kind](b)));
    return section;
  }));
  status.textContent = "ok";
}

async function update() {
  const mine = ++sequence;
  if (inFlight) inFlight.abort();
  inFlight = new AbortController();
  document.getElementById("status").textContent = "working…";
  try {
    const response = await fetch("/api/derive", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(request()), signal: inFlight.signal,
    });
    const answer = await response.json();
    if (mine === sequence) render(answer);
  } catch (err) {
    if (err.name === "AbortError") return;
    if (mine === sequence) {
      render({ok: false, error: {kind: "ConnectionError",
                                 message: "no answer from matcalc serve: is it still running?"}});
    }
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(update, DEBOUNCE_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-field]").forEach((el) => el.addEventListener("input", schedule));
  document.getElementById("form").addEventListener("submit", (e) => { e.preventDefault(); update(); });
  update();
});
