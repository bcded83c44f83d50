// creatify-mock's dashboard: a view of the admin API (/__mock__/…), refreshed by polling.
// It keeps no state of its own beyond what it shows: every control is one admin API call,
// so whatever it does a script can do too. Plain DOM, no build step, no library.
"use strict";

const ADMIN = "/__mock__";
const POLL_MS = 1000;
const TASKS_PER_PAGE = 10;
const ENTRIES_PER_PAGE = 50;
const DELIVERIES_PER_PAGE = 20;
const JOURNAL_KEPT = 10000; // the journal's own default size
const JOURNAL_BATCH = 2000;
const BODY_KEPT = 4096; // the journal keeps a request body's first 4 KiB

const view = {
  token: null,
  entries: [], // the journal, oldest first, as the admin API gave it
  journalLast: 0,
  journalAnchor: null, // null: the newest page; else the seq at the top of the page
  journalRows: new Map(), // seq -> <li>, so a row (and whether it is open) survives a poll
  journalDirty: true,
  tasksOffset: 0,
  tasksKey: "",
  taskCards: new Map(), // record id -> {card, info, form, json}
  deliveries: [],
  deliveriesOffset: 0,
  deliveriesKey: "",
  variantChoices: null,
  variantsKey: "",
  operationsLoaded: false,
  polling: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// -- the admin API ------------------------------------------------------------------------

class AdminRefusal extends Error {}

async function call(method, path, body) {
  const headers = {};
  if (view.token) headers["X-Mock-Admin-Token"] = view.token;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(ADMIN + path, init);
  const data = await answer.json().catch(() => ({}));
  if (answer.status === 401) $("token-form").hidden = false;
  if (!answer.ok) {
    throw new AdminRefusal(`${method} ${ADMIN}${path}: ${answer.status}: ${data.detail || answer.statusText}`);
  }
  return data;
}

function say(text, isError) {
  const box = $("message");
  box.textContent = text;
  box.className = isError ? "error" : "done";
  box.hidden = false;
}

async function act(description, method, path, body) {
  try {
    await call(method, path, body);
    say(`Done: ${description}.`, false);
  } catch (error) {
    say(`Refused: ${error.message}`, true);
  }
  await refresh();
}

// -- polling ------------------------------------------------------------------------------

async function refresh() {
  if (view.polling) return;
  view.polling = true;
  try {
    const account = $("account").value;
    const query = new URLSearchParams({ limit: TASKS_PER_PAGE, offset: view.tasksOffset });
    if (account) query.set("account", account);
    const [clock, tasks, deliveries, variants, outcomes, faults] = await Promise.all([
      call("GET", "/clock"),
      call("GET", `/records?${query}`),
      call("GET", "/webhooks"),
      call("GET", "/variants"),
      call("GET", "/outcomes"),
      call("GET", "/faults"),
      pullJournal(),
    ]);
    showClock(clock);
    showTasks(tasks);
    showDeliveries(deliveries.deliveries);
    await showVariants(variants);
    showQueues(outcomes.queued, faults.pending);
    if (view.journalDirty) showJournal();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $("updated").textContent = error instanceof AdminRefusal ? error.message : `the mock does not answer (${error.message})`;
  } finally {
    view.polling = false;
  }
}

async function pullJournal() {
  // Page by page from where the last poll stopped: a journal of thousands comes in batches.
  for (;;) {
    const page = await call("GET", `/journal?since=${view.journalLast}&limit=${JOURNAL_BATCH}`);
    const oldest = view.entries.length ? view.entries[0].seq : view.journalLast + 1;
    if (page.first !== null && page.first < oldest) {
      // Older entries than any this page has seen: not the same journal (a mock restarted on
      // the same port, caught when its journal starts below ours). Start over.
      forgetEntries(view.entries.length);
      view.journalLast = 0;
      continue;
    }
    if (page.first === null) {
      if (view.entries.length) forgetEntries(view.entries.length);
    } else if (view.entries.length && view.entries[0].seq < page.first) {
      forgetEntries(view.entries.findIndex((e) => e.seq >= page.first));
    }
    if (page.entries.length) {
      view.entries.push(...page.entries);
      view.journalLast = page.last;
      view.journalDirty = true;
    }
    if (view.entries.length > JOURNAL_KEPT) forgetEntries(view.entries.length - JOURNAL_KEPT);
    if (page.entries.length < JOURNAL_BATCH) return;
  }
}

function forgetEntries(count) {
  const gone = view.entries.splice(0, count < 0 ? view.entries.length : count);
  for (const entry of gone) view.journalRows.delete(entry.seq);
  view.journalDirty = true;
}

function schedule() {
  setTimeout(async () => {
    if ($("live").checked && !document.hidden) await refresh();
    schedule();
  }, POLL_MS);
}

// -- clock, variants, queues --------------------------------------------------------------

function showClock(clock) {
  $("clock-mode").textContent = clock.mode === "manual" ? "manual" : "system (cannot be moved)";
  $("clock-now").textContent = clock.now;
  $("advance-form").querySelector("button").disabled = clock.mode !== "manual";
}

async function showVariants(variants) {
  if (!view.variantChoices) view.variantChoices = await call("GET", "/variants/choices");
  const key = JSON.stringify(variants);
  if (key === view.variantsKey) return;
  view.variantsKey = key;
  const box = $("variant-fields");
  box.replaceChildren();
  for (const [name, choices] of Object.entries(view.variantChoices)) {
    const select = el("select", { id: `variant-${name}`, "data-variant": name });
    choices.forEach((choice, index) => {
      select.append(el("option", { value: index, selected: choice === variants[name], text: String(choice) }));
    });
    box.append(el("label", { for: select.id, text: name.replaceAll("_", " ") }), select);
  }
}

function showQueues(queued, pending) {
  const outcomes = Object.entries(queued || {}).flatMap(([kind, list]) => list.map((o) => `${o} (${kind})`));
  $("outcomes-queued").textContent = outcomes.length ? outcomes.join(", ") : "none";
  $("faults-pending").textContent = pending.length
    ? pending.map((f) => `${f.status} for ${f.operation || "any operation"}${f.count > 1 ? ` ×${f.count}` : ""}`).join(", ")
    : "none";
}

async function loadOperations() {
  if (view.operationsLoaded) return;
  const spec = await fetch("/openapi.json", { cache: "no-store" }).then((r) => r.json());
  const select = $("fault-operation");
  for (const item of Object.values(spec.paths || {})) {
    for (const operation of Object.values(item)) {
      if (operation && operation.operationId) {
        select.append(el("option", { value: operation.operationId, text: operation.operationId }));
      }
    }
  }
  view.operationsLoaded = true;
}

// -- tasks --------------------------------------------------------------------------------

function showTasks(page) {
  if (page.offset > 0 && page.offset >= page.total) {
    view.tasksOffset = 0; // the tasks on this page are gone (a reset): back to the newest
    return;
  }
  const select = $("account");
  const chosen = select.value;
  const accounts = page.accounts.map((a) => `${a.account}\u0000${a.records}`).join("\u0001");
  if (select.dataset.accounts !== accounts) {
    select.dataset.accounts = accounts;
    select.replaceChildren(el("option", { value: "", text: "every account" }));
    for (const a of page.accounts) {
      select.append(el("option", { value: a.account, selected: a.account === chosen, text: `${a.account} (${a.records})` }));
    }
  }
  $("tasks-count").textContent = `${page.total} task${page.total === 1 ? "" : "s"}`;
  const last = Math.min(page.offset + page.records.length, page.total);
  $("tasks-page").textContent = page.total ? `${page.offset + 1}–${last} of ${page.total}` : "";
  $("tasks-newer").disabled = page.offset === 0;
  $("tasks-older").disabled = last >= page.total;

  const list = $("task-list");
  const ids = page.records.map((v) => v.record.id);
  for (const [id, card] of view.taskCards) {
    if (!ids.includes(id)) {
      card.card.remove();
      view.taskCards.delete(id);
    }
  }
  if (!ids.length) list.replaceChildren(el("p", { class: "empty", text: "No task yet: a client's gen_image call makes one." }));
  else list.querySelector(".empty")?.remove();
  page.records.forEach((task, index) => {
    const card = taskCard(task);
    if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
  });
}

function taskCard(task) {
  const id = task.record.id;
  let known = view.taskCards.get(id);
  if (!known) {
    const info = el("div", { class: "info" });
    const form = endPhaseForm(id);
    const card = el("article", { class: "task", "data-id": id }, info, form);
    known = { card, info, form, json: "" };
    view.taskCards.set(id, known);
  }
  const json = JSON.stringify(task);
  if (json !== known.json) {
    known.json = json;
    known.info.replaceChildren(...taskInfo(task).filter(Boolean));
    known.card.dataset.status = task.record.status;
    known.form.hidden = task.plan.length === 0; // a running phase: something still to come
  }
  return known.card;
}

function taskInfo(task) {
  const r = task.record;
  const timeline = el(
    "ol",
    { class: "timeline", "aria-label": "status timeline" },
    task.history.map((s) => el("li", { class: `step done status-${s.status}` }, el("span", { class: "name", text: s.status }), " ", el("time", { text: s.at }))),
    task.plan.map((s) => el("li", { class: "step planned" }, el("span", { class: "name", text: s.status }), " ", el("time", { text: s.at }), " (planned)")),
  );
  const urls = [
    ["product_url", r.product_url],
    ["generated_photo_url", r.generated_photo_url],
    ["generated_video_url", r.generated_video_url],
    ["webhook_url", r.webhook_url],
  ].filter(([, url]) => url);
  const failure = task.failure && r.status === "failed"
    ? el("p", { class: "failure" }, el("strong", { text: "Failed: " }), r.failed_reason || task.failure.reason, ` (chosen by ${task.failure.source})`)
    : task.failure
      ? el("p", { class: "failure planned" }, el("strong", { text: "Will fail: " }), task.failure.reason, ` (chosen by ${task.failure.source})`)
      : null;
  return [
    el("h3", {}, el("code", { class: "id", text: r.id }), " ", el("span", { class: `status status-${r.status}`, text: r.status })),
    el("p", { class: "meta", text: `account ${task.account} · ${task.task} task · ${r.type} · ${r.aspect_ratio}${r.regen_type ? ` · ${r.regen_type} of ${r.regen_source_id}` : ""}` }),
    timeline,
    failure,
    urls.length ? el("dl", { class: "urls" }, urls.map(([name, url]) => [el("dt", { text: name }), el("dd", {}, el("a", { href: url, rel: "noreferrer", text: url }))])) : null,
  ];
}

function endPhaseForm(id) {
  const reasonId = `reason-${id}`;
  const reason = el("input", { id: reasonId, name: "reason", type: "text", placeholder: "Generation failed." });
  const complete = el("button", { type: "button", class: "complete", text: "Complete" });
  const fail = el("button", { type: "button", class: "fail", text: "Fail" });
  complete.addEventListener("click", () => act(`${id} completed`, "POST", `/records/${id}/finish`, { outcome: "success" }));
  fail.addEventListener("click", () => {
    const body = { outcome: "failed" };
    if (reason.value.trim()) body.failed_reason = reason.value.trim();
    act(`${id} failed`, "POST", `/records/${id}/finish`, body);
  });
  return el(
    "form",
    { class: "end-phase", "aria-label": `end the running phase of ${id}` },
    el("label", { for: reasonId, text: "Failure reason" }),
    reason,
    complete,
    fail,
  );
}

// -- the journal --------------------------------------------------------------------------

function showJournal() {
  view.journalDirty = false;
  const onlyInvalid = $("only-invalid").checked;
  const needle = $("journal-filter").value.trim().toLowerCase();
  const shown = [];
  for (let i = view.entries.length - 1; i >= 0; i--) {
    const e = view.entries[i];
    if (onlyInvalid && !e.violations.length && !e.response_violations.length) continue;
    if (needle && !`${e.path} ${e.account || ""} ${e.record_id || ""}`.toLowerCase().includes(needle)) continue;
    shown.push(e);
  }
  let start = 0;
  if (view.journalAnchor !== null) {
    start = shown.findIndex((e) => e.seq <= view.journalAnchor);
    if (start < 0) start = Math.max(shown.length - ENTRIES_PER_PAGE, 0);
  }
  const page = shown.slice(start, start + ENTRIES_PER_PAGE);
  const invalid = view.entries.filter((e) => e.violations.length).length;
  $("journal-count").textContent = `${view.entries.length} request${view.entries.length === 1 ? "" : "s"} kept, ${invalid} of them broke the contract`;
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
  if (view.journalRows.size > 5 * ENTRIES_PER_PAGE) {
    const keep = new Set(page.map((e) => e.seq));
    for (const seq of view.journalRows.keys()) if (!keep.has(seq)) view.journalRows.delete(seq);
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
  let row = view.journalRows.get(e.seq);
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
  view.journalRows.set(e.seq, row);
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

// -- webhooks -----------------------------------------------------------------------------

function showDeliveries(deliveries) {
  const key = JSON.stringify(deliveries);
  if (key === view.deliveriesKey) return;
  view.deliveriesKey = key;
  const newest = deliveries.slice().reverse();
  view.deliveries = newest;
  const start = Math.min(view.deliveriesOffset, Math.max(newest.length - 1, 0));
  const page = newest.slice(start, start + DELIVERIES_PER_PAGE);
  $("webhooks-count").textContent = `${newest.length} deliver${newest.length === 1 ? "y" : "ies"}`;
  $("webhooks-page").textContent = newest.length ? `${start + 1}–${start + page.length} of ${newest.length}` : "";
  $("webhooks-newer").disabled = start === 0;
  $("webhooks-older").disabled = start + DELIVERIES_PER_PAGE >= newest.length;
  const list = $("webhook-list");
  if (!page.length) {
    list.replaceChildren(el("li", { class: "empty", text: "No webhook yet: a task created with a webhook_url gets one when it ends." }));
    return;
  }
  list.replaceChildren(
    ...page.map((d) =>
      el(
        "li",
        { class: `delivery state-${d.state}` },
        el("p", {}, el("span", { class: "state", text: d.state }), " ", el("strong", { text: d.event }), ` for ${d.record_id} → `, el("code", { text: d.url })),
        el(
          "ol",
          { class: "attempts", "aria-label": "attempts" },
          d.attempts.map((a, i) =>
            el("li", { text: `attempt ${i + 1} at ${new Date(a.at * 1000).toLocaleTimeString()}: ${a.status_code !== null ? `answered ${a.status_code}` : `failed: ${a.error}`} in ${a.seconds.toFixed(3)} s` }),
          ),
        ),
      ),
    ),
  );
}

// -- wiring -------------------------------------------------------------------------------

function readToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem("creatify-mock-token", decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  view.token = sessionStorage.getItem("creatify-mock-token");
}

function wire() {
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    view.token = $("token").value;
    sessionStorage.setItem("creatify-mock-token", view.token);
    $("token-form").hidden = true;
    refresh();
  });
  $("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number($("advance-seconds").value);
    act(`clock advanced by ${seconds} s`, "POST", "/clock/advance", { seconds });
  });
  $("variants-form").addEventListener("change", (event) => {
    const name = event.target.dataset.variant;
    const value = view.variantChoices[name][Number(event.target.value)];
    act(`${name} set to ${value}`, "PATCH", "/variants", { [name]: value });
  });
  $("variants-form").addEventListener("submit", (event) => event.preventDefault());
  $("outcome-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const outcome = $("outcome").value;
    act(`${outcome} queued`, "POST", "/outcomes", { outcome, count: Number($("outcome-count").value) });
  });
  $("outcome-clear").addEventListener("click", () => act("queued outcomes cleared", "DELETE", "/outcomes"));
  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {
      status: Number($("fault-status").value),
      operation: $("fault-operation").value || null,
      count: Number($("fault-count").value),
      retry_after: Number($("fault-retry").value),
    };
    act(`${body.status} queued`, "POST", "/faults", body);
  });
  $("reset").addEventListener("click", () => act("the mock was reset", "POST", "/reset"));
  $("account").addEventListener("change", () => {
    view.tasksOffset = 0;
    refresh();
  });
  $("tasks-newer").addEventListener("click", () => {
    view.tasksOffset = Math.max(view.tasksOffset - TASKS_PER_PAGE, 0);
    refresh();
  });
  $("tasks-older").addEventListener("click", () => {
    view.tasksOffset += TASKS_PER_PAGE;
    refresh();
  });
  const journalChanged = () => {
    view.journalAnchor = null;
    showJournal();
  };
  $("only-invalid").addEventListener("change", journalChanged);
  $("journal-filter").addEventListener("input", journalChanged);
  $("journal-newest").addEventListener("click", journalChanged);
  for (const way of ["newer", "older"]) {
    $(`journal-${way}`).addEventListener("click", (event) => {
      const next = event.currentTarget.dataset.next;
      view.journalAnchor = next === "" ? null : Number(next);
      showJournal();
    });
  }
  $("webhooks-newer").addEventListener("click", () => {
    view.deliveriesOffset = Math.max(view.deliveriesOffset - DELIVERIES_PER_PAGE, 0);
    view.deliveriesKey = "";
    refresh();
  });
  $("webhooks-older").addEventListener("click", () => {
    view.deliveriesOffset += DELIVERIES_PER_PAGE;
    view.deliveriesKey = "";
    refresh();
  });
  $("live").addEventListener("change", () => $("live").checked && refresh());
  window.addEventListener("hashchange", () => {
    readToken(); // a #token=… pasted into the address bar of an open page
    refresh();
  });
}

readToken();
wire();
loadOperations().catch((error) => say(`The spec did not load: ${error.message}`, true));
refresh().then(schedule);
