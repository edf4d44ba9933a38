// Operations on one function's runs: replay failed runs (counted first, then confirmed), bulk
// cancel, pause and resume. Each calls the operations API (http/_ops_routes.py) and shows its
// answer, or the API's reason when it refuses.
import { api } from "./api.js";
import { h } from "./ui.js";

const RANGES = [["1h", 3600], ["24h", 86400], ["7d", 7 * 86400], ["31d", 31 * 86400]];

function range(select) {
  const seconds = Number(select.value);
  const until = new Date(Date.now() + 60_000); // a minute ahead: runs created just now count
  const since = new Date(Date.now() - seconds * 1000);
  return { started_after: since.toISOString(), started_before: until.toISOString() };
}

function rangeSelect(id) {
  return h("select", { id }, RANGES.map(([label, seconds]) => h("option", { value: String(seconds), selected: label === "24h" }, `last ${label}`)));
}

// An inline confirmation: the question, then Confirm / Back.
function confirmIn(box, question, onConfirm) {
  box.replaceChildren(
    h("span", { class: "confirm-question" }, question, " "),
    h("button", { class: "danger confirm", onclick: async (e) => { e.target.disabled = true; await onConfirm(); } }, "Confirm"),
    h("button", { class: "small", onclick: () => box.replaceChildren() }, "Back"),
  );
}

async function attempt(box, work) {
  try {
    await work();
  } catch (err) {
    box.replaceChildren(h("span", { class: "errtext op-error" }, err.message));
  }
}

// The replay's progress, every second until its runs have all finished or the page moved on.
function follow(replayId, into) {
  const timer = setInterval(async () => {
    if (!into.isConnected) return clearInterval(timer);
    const status = await api.replayStatus(replayId).catch(() => null);
    if (!status || !status.progress) return;
    const { total, finished } = status.progress;
    into.textContent = `finished ${finished}/${total}`;
    if (finished >= total) clearInterval(timer);
  }, 1000);
}

export function operations(fn, paused, refresh) {
  const id = fn.id;
  const slug = id.replace(/[^a-zA-Z0-9_-]/g, "_");
  const replayBox = h("div", { class: "op-result", id: `replay-${slug}` });
  const cancelBox = h("div", { class: "op-result", id: `cancel-${slug}` });
  const replayRange = rangeSelect(`replay-range-${slug}`);
  const cancelRange = rangeSelect(`cancel-range-${slug}`);
  const cancelIf = h("input", { placeholder: "if (CEL over event), optional", class: "cel", id: `cancel-if-${slug}` });

  const replay = h("button", { class: "replay", onclick: () => attempt(replayBox, async () => {
    const body = { function_id: id, ...range(replayRange), statuses: ["failed"] };
    const dry = await api.replay({ ...body, dry_run: true });
    if (!dry.count) {
      replayBox.replaceChildren(h("span", { class: "sub" }, "No failed runs in that range."));
      return;
    }
    confirmIn(replayBox, `Replay ${dry.count} failed run${dry.count === 1 ? "" : "s"} of ${id}?`, () => attempt(replayBox, async () => {
      const done = await api.replay(body);
      const progress = h("span", { class: "op-progress sub" });
      replayBox.replaceChildren(h("span", { class: "op-done" }, `Started ${done.count} run${done.count === 1 ? "" : "s"} (replay ${done.id}).`), progress);
      follow(done.id, progress);
    }));
  }) }, "Replay failed runs…");

  const cancel = h("button", { class: "danger bulk-cancel", onclick: () => attempt(cancelBox, async () => {
    const expression = cancelIf.value.trim();
    const question = `Cancel every queued, running, sleeping or waiting run of ${id} in that range${expression ? " matching the expression" : ""}?`;
    confirmIn(cancelBox, question, () => attempt(cancelBox, async () => {
      const body = { function_id: id, ...range(cancelRange) };
      if (expression) body.if = expression;
      const done = await api.cancelMany(body);
      cancelBox.replaceChildren(h("span", { class: "op-done" }, `Cancelled ${done.cancelled} run${done.cancelled === 1 ? "" : "s"}.`));
    }));
  }) }, "Cancel runs…");

  const pauseBox = h("div", { class: "op-result", id: `pause-${slug}` });
  const mode = h("select", { id: `pause-mode-${slug}` },
    h("option", { value: "hold" }, "keep new runs for resume"),
    h("option", { value: "skip" }, "skip new runs"));
  const pauseControls = paused
    ? [h("span", { class: "badge paused" }, `paused (${paused})`),
       h("button", { class: "resume", onclick: () => attempt(pauseBox, async () => {
         const done = await api.resume(id);
         refresh(`Resumed; started ${done.started.length} kept run${done.started.length === 1 ? "" : "s"}.`);
       }) }, "Resume")]
    : [mode, h("button", { class: "pause", onclick: () => attempt(pauseBox, async () => {
         await api.pause(id, mode.value);
         refresh(`Paused: no new runs start; runs in flight finish.`);
       }) }, "Pause")];

  return h(
    "div",
    { class: "ops" },
    h("div", { class: "op" }, replayRange, replay, replayBox),
    h("div", { class: "op" }, cancelRange, cancelIf, cancel, cancelBox),
    h("div", { class: "op" }, pauseControls, pauseBox),
  );
}
