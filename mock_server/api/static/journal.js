// The request journal on the dashboard: pulled from the admin API in batches (a journal of
// thousands arrives a batch at a time), kept as the mock keeps it, shown a page at a time.
import { $, el } from "./dom.js";

const ENTRIES_PER_PAGE = 50;
const JOURNAL_KEPT = 10000; // the journal's own default size
const JOURNAL_BATCH = 2000;
const BODY_KEPT = 4096; // the journal keeps a request body's first 4 KiB

const journal = {
  entries: [], // oldest first, as the admin API gave them
  last: 0,
  anchor: null, // null: the newest page; else the seq at the top of the page
  rows: new Map(), // seq -> <li>, so a row (and whether it is open) survives a poll
  dirty: true,
};

export async function pullJournal(call) {
  // Page by page from where the last poll stopped: a journal of thousands comes in batches.
  for (;;) {
    const page = await call("GET", `/journal?since=${journal.last}&limit=${JOURNAL_BATCH}`);
    const oldest = journal.entries.length ? journal.entries[0].seq : journal.last + 1;
    if (page.first !== null && page.first < oldest) {
      // Older entries than any this page has seen: not the same journal (a mock restarted on
      // the same port, caught when its journal starts below ours). Start over.
      forgetEntries(journal.entries.length);
      journal.last = 0;
      continue;
    }
    if (page.first === null) {
      if (journal.entries.length) forgetEntries(journal.entries.length);
    } else if (journal.entries.length && journal.entries[0].seq < page.first) {
      forgetEntries(journal.entries.findIndex((e) => e.seq >= page.first));
    }
    if (page.entries.length) {
      journal.entries.push(...page.entries);
      journal.last = page.last;
      journal.dirty = true;
    }
    if (journal.entries.length > JOURNAL_KEPT) forgetEntries(journal.entries.length - JOURNAL_KEPT);
    if (page.entries.length < JOURNAL_BATCH) return;
  }
}

function forgetEntries(count) {
  const gone = journal.entries.splice(0, count < 0 ? journal.entries.length : count);
  for (const entry of gone) journal.rows.delete(entry.seq);
  journal.dirty = true;
}

export function showJournalIfChanged() {
  if (journal.dirty) showJournal();
}

export function showJournal() {
  journal.dirty = false;
  const onlyInvalid = $("only-invalid").checked;
  const needle = $("journal-filter").value.trim().toLowerCase();
  const shown = [];
  for (let i = journal.entries.length - 1; i >= 0; i--) {
    const e = journal.entries[i];
    if (onlyInvalid && !e.violations.length && !e.response_violations.length) continue;
    if (needle && !`${e.path} ${e.account || ""} ${e.record_id || ""}`.toLowerCase().includes(needle)) continue;
    shown.push(e);
  }
  let start = 0;
  if (journal.anchor !== null) {
    start = shown.findIndex((e) => e.seq <= journal.anchor);
    if (start < 0) start = Math.max(shown.length - ENTRIES_PER_PAGE, 0);
  }
  const page = shown.slice(start, start + ENTRIES_PER_PAGE);
  const invalid = journal.entries.filter((e) => e.violations.length).length;
  $("journal-count").textContent = `${journal.entries.length} request${journal.entries.length === 1 ? "" : "s"} kept, ${invalid} of them broke the contract`;
  $("journal-page").textContent = shown.length ? `${start + 1}–${start + page.length} of ${shown.length}` : "";
  $("journal-newer").disabled = start === 0;
  $("journal-newest").disabled = start === 0;
  $("journal-older").disabled = start + ENTRIES_PER_PAGE >= shown.length;
  $("journal-older").dataset.next = shown[start + ENTRIES_PER_PAGE]?.seq ?? "";
  $("journal-newer").dataset.next = start - ENTRIES_PER_PAGE > 0 ? shown[start - ENTRIES_PER_PAGE].seq : "";

  const list = $("journal-list");
  const rows = page.map(journalRow);
  if (!rows.length) list.replaceChildren(el("li", { class: "empty", text: "No request yet." }));
  else if (rows.length !== list.children.length || rows.some((row, i) => list.children[i] !== row)) list.replaceChildren(...rows);
  if (journal.rows.size > 5 * ENTRIES_PER_PAGE) {
    const keep = new Set(page.map((e) => e.seq));
    for (const seq of journal.rows.keys()) if (!keep.has(seq)) journal.rows.delete(seq);
  }
}

function verdictWords(e) {
  if (e.violations.length) {
    const fields = [...new Set(e.violations.map((v) => v.field))].join(", ");
    return { cls: "invalid", text: `✗ Broke the contract: ${fields}` };
  }
  if (e.response_violations.length) return { cls: "answer-invalid", text: "⚠ The mock's answer broke the contract" };
  if (e.status >= 400) return { cls: "refused", text: `✓ Valid request, refused (${e.status})` };
  return { cls: "valid", text: "✓ Valid" };
}

function journalRow(e) {
  let row = journal.rows.get(e.seq);
  if (row) return row;
  const verdict = verdictWords(e);
  const when = new Date(e.at * 1000).toLocaleTimeString();
  const summary = el(
    "summary",
    {},
    el("span", { class: "verdict", text: verdict.text }),
    " ",
    el("code", { class: "request", text: `${e.method} ${e.path}${e.query ? `?${e.query}` : ""}` }),
    " ",
    el("span", { class: "status-code", text: `→ ${e.status}` }),
    el("span", { class: "meta", text: ` · ${e.account ? `account ${e.account}` : "no account"} · ${when} · #${e.seq}` }),
  );
  row = el("li", { class: `entry ${verdict.cls}`, "data-seq": e.seq }, el("details", {}, summary, entryDetails(e)));
  journal.rows.set(e.seq, row);
  return row;
}

function violationList(title, violations) {
  if (!violations.length) return null;
  return [
    el("h4", { text: title }),
    el(
      "ul",
      { class: "violations" },
      violations.map((v) =>
        el(
          "li",
          {},
          el("strong", { class: "field", text: `${v.location} ${v.field}` }),
          `: ${v.message}`,
          el("br"),
          `expected ${v.expected}; got ${v.actual} (rule: ${v.rule})`,
        ),
      ),
    ),
  ];
}

function entryDetails(e) {
  const curl = curlLine(e);
  const copy = el("button", { type: "button", class: "copy", text: "Copy the curl line" });
  const curlText = el("pre", { class: "curl", text: curl });
  copy.addEventListener("click", () => copyText(curl, curlText, copy));
  const headers = Object.entries(e.request_headers || {});
  const cut = new TextEncoder().encode(e.request_body || "").length >= BODY_KEPT;
  return el(
    "div",
    { class: "entry-body" },
    violationList("Where the request broke the contract", e.violations),
    violationList("Where the mock's answer broke the contract", e.response_violations),
    el("p", { text: `operation ${e.operation || "none (no documented path and method)"}${e.record_id ? ` · record ${e.record_id} served as ${e.record_status}` : ""}` }),
    headers.length ? [el("h4", { text: "Headers" }), el("dl", { class: "headers" }, headers.map(([n, v]) => [el("dt", { text: n }), el("dd", { text: v })]))] : null,
    e.request_body ? [el("h4", { text: "Body" }), el("pre", { text: e.request_body })] : null,
    el("h4", { text: "Send it again" }),
    curlText,
    el("p", { class: "hint", text: `The journal keeps a fingerprint of X-API-KEY, not the key: set CREATIFY_API_KEY first.${cut ? " The body was cut at 4 KiB: this line sends only that part." : ""}` }),
    copy,
  );
}

function shellQuoted(text) {
  return `'${String(text).replaceAll("'", "'\\''")}'`;
}

function curlLine(e) {
  const url = `${location.origin}${e.path}${e.query ? `?${e.query}` : ""}`;
  const parts = ["curl"];
  if (e.method !== "GET") parts.push("-X", e.method);
  parts.push(shellQuoted(url));
  for (const [name, value] of Object.entries(e.request_headers || {})) {
    parts.push("-H", name.toLowerCase() === "x-api-key" ? `"${name}: $CREATIFY_API_KEY"` : shellQuoted(`${name}: ${value}`));
  }
  if (e.request_body) parts.push("--data-raw", shellQuoted(e.request_body));
  return parts.join(" ");
}

async function copyText(text, source, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange(); // no clipboard API: select it for Ctrl-C
    range.selectNodeContents(source);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    button.textContent = "Selected: press Ctrl-C";
    return;
  }
  button.textContent = "Copied";
  setTimeout(() => (button.textContent = "Copy the curl line"), 2000);
}


export function wireJournal() {
  const changed = () => {
    journal.anchor = null;
    showJournal();
  };
  $("only-invalid").addEventListener("change", changed);
  $("journal-filter").addEventListener("input", changed);
  $("journal-newest").addEventListener("click", changed);
  for (const way of ["newer", "older"]) {
    $(`journal-${way}`).addEventListener("click", (event) => {
      const next = event.currentTarget.dataset.next;
      journal.anchor = next === "" ? null : Number(next);
      showJournal();
    });
  }
}
