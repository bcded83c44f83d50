// creatify-mock's dashboard: a view of the admin API (/__mock__/…), refreshed by polling.
// It keeps no state of its own beyond what it shows: every control is one admin API call,
// so whatever it does a script can do too. Plain DOM, no build step, no library: ES modules
// as they are, this one (the admin API, polling, tasks, webhooks, controls), journal.js (the
// requests) and dom.js.
import { $, el } from "./dom.js";
import { pullJournal, showJournalIfChanged, wireJournal } from "./journal.js";

const ADMIN = "/__mock__";
const POLL_MS = 1000;
const TASKS_PER_PAGE = 10;
const DELIVERIES_PER_PAGE = 20;

const view = {
  token: null,
  tasksOffset: 0,
  taskCards: new Map(), // record id -> {card, info, form, json}
  deliveriesOffset: 0,
  deliveriesKey: "",
  variantChoices: null,
  operationsLoaded: false,
  polling: false,
  again: false, // a control acted during a poll: poll again at once when it ends
};

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
  if (view.polling) {
    view.again = true;
    return;
  }
  view.polling = true;
  view.again = false;
  try {
    const account = $("account").value;
    const query = new URLSearchParams({ limit: TASKS_PER_PAGE, offset: view.tasksOffset });
    if (account) query.set("account", account);
    const [clock, tasks, deliveries, variants, outcomes, faults] = await Promise.all([
      call("GET", "/clock"),
      call("GET", `/records?${query}`),
      call("GET", `/webhooks?newest=${DELIVERIES_PER_PAGE}&offset=${view.deliveriesOffset}`),
      call("GET", "/variants"),
      call("GET", "/outcomes"),
      call("GET", "/faults"),
      pullJournal(call),
    ]);
    showClock(clock);
    showTasks(tasks);
    showDeliveries(deliveries);
    await showVariants(variants);
    showQueues(outcomes.queued, faults.pending);
    showJournalIfChanged();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    $("updated").textContent = error instanceof AdminRefusal ? error.message : `the mock does not answer (${error.message})`;
  } finally {
    view.polling = false;
  }
  if (view.again) await refresh();
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
  // The fields are made once and then only set, so that one in use keeps the focus.
  if (!view.variantChoices) {
    view.variantChoices = await call("GET", "/variants/choices");
    for (const [name, choices] of Object.entries(view.variantChoices)) {
      const select = el("select", { id: `variant-${name}`, "data-variant": name });
      choices.forEach((choice, index) => select.append(el("option", { value: index, text: String(choice) })));
      $("variant-fields").append(el("label", { for: select.id, text: name.replaceAll("_", " ") }), select);
    }
  }
  for (const [name, choices] of Object.entries(view.variantChoices)) {
    const index = String(choices.indexOf(variants[name]));
    const select = $(`variant-${name}`);
    if (select.value !== index) select.value = index;
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
    urls.length ? el("dl", { class: "urls" }, urls.map(([name, url]) => [el("dt", { text: name }), el("dd", {}, link(url))])) : null,
  ];
}

function link(url) {
  // A client chose these URLs: only a web address becomes a link (never javascript:…).
  return /^https?:\/\//i.test(url) ? el("a", { href: url, rel: "noreferrer", text: url }) : el("code", { text: url });
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

// -- webhooks -----------------------------------------------------------------------------

function showDeliveries(answer) {
  // A page of the newest deliveries, asked for as a page: a thousand would take the mock
  // a tenth of a second to copy, every second.
  const key = JSON.stringify(answer);
  if (key === view.deliveriesKey) return;
  view.deliveriesKey = key;
  const { deliveries: page, total } = answer;
  if (view.deliveriesOffset > 0 && view.deliveriesOffset >= total) {
    view.deliveriesOffset = 0; // the deliveries on this page are gone (a reset)
    return;
  }
  const start = view.deliveriesOffset;
  $("webhooks-count").textContent = `${total} deliver${total === 1 ? "y" : "ies"}`;
  $("webhooks-page").textContent = total ? `${start + 1}–${start + page.length} of ${total}` : "";
  $("webhooks-newer").disabled = start === 0;
  $("webhooks-older").disabled = start + DELIVERIES_PER_PAGE >= total;
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
  $("reset").addEventListener("click", () => {
    if (confirm("Reset the mock? Every record, request, delivery, queued outcome and fault goes.")) {
      act("the mock was reset", "POST", "/reset");
    }
  });
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
  wireJournal();
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
