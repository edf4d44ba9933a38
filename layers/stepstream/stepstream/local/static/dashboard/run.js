// One run: status, input event, output or error, a timeline of its steps, and each step's
// output, error and timings. Refreshes every second until the run ends.
import { api } from "./api.js";
import { costCard } from "./cost.js";
import { timeline } from "./timeline.js";
import { badge, between, clear, copyable, errorText, every, h, ms, notice, pretty, time } from "./ui.js";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

export function render(root, params, runId) {
  const open = new Set();
  let event = null;
  let stop = null;
  clear(root, h("div", { class: "sub" }, "loading run…"));

  stop = every(1000, async () => {
    let run;
    try {
      run = await api.run(runId);
    } catch (err) {
      clear(root, h("a", { href: "#/runs", class: "back" }, "← Runs"), notice(err.message));
      return;
    }
    if (run.event_id && !event) {
      event = await api.event(run.event_id).catch(() => ({ missing: true }));
    }
    draw(root, run, event, open);
    if (TERMINAL.has(String(run.state || run.status).toLowerCase())) stop?.();
  });
  return () => stop?.();
}

function draw(root, run, event, open) {
  const state = String(run.state || run.status || "").toLowerCase();
  const cancel = TERMINAL.has(state)
    ? null
    : h("button", { class: "danger", onclick: async (e) => {
        e.target.disabled = true;
        await api.cancel(run.run_id).catch((err) => alert(err.message));
      } }, "Cancel run");
  const rerun = h("button", { id: "rerun", onclick: (e) => rerunFrom(e, run, null) }, "Rerun");
  const steps = run.steps || [];
  clear(
    root,
    h("a", { href: "#/runs", class: "back" }, "← Runs"),
    h("div", { class: "head" }, h("h1", {}, run.function_id), badge(state), rerun, cancel),
    run.held ? h("div", { class: "notice warn", id: "run-held" }, `${run.held.reason}: ${run.held.label}${run.held.until ? ` until ${run.held.until}` : ""}`) : null,
    h(
      "dl",
      { class: "facts" },
      fact("Run", copyable(run.run_id)),
      fact("Event", run.event_id ? copyable(run.event_id) : "—"),
      run.rerun_of ? fact("Rerun of", h("a", { href: `#/run/${encodeURIComponent(run.rerun_of)}`, id: "rerun-of" }, run.rerun_of)) : null,
      fact("Created", time(run.created_at)),
      fact("Started", time(run.run_started_at)),
      fact("Ended", time(run.ended_at)),
      fact("Duration", ms(between(run.run_started_at, run.ended_at))),
      fact("Steps", String(steps.length)),
    ),
    h(
      "div",
      { class: "cols" },
      h("section", { class: "card" }, h("h2", {}, "Input"), event && !event.missing
        ? h("pre", {}, pretty({ name: event.name, data: event.data }))
        : h("div", { class: "sub" }, "—")),
      h("section", { class: `card ${run.error ? "bad" : ""}`, id: "run-output" }, h("h2", {}, run.error ? "Error" : "Output"),
        run.error
          ? h("pre", { class: "err" }, errorText(run.error), run.error.stack ? `\n\n${run.error.stack}` : "")
          : run.output !== undefined && run.output !== null
            ? h("pre", {}, pretty(run.output))
            : h("div", { class: "sub" }, TERMINAL.has(state) ? "none" : "not yet")),
    ),
    h("section", { class: "card", id: "run-timeline" }, h("h2", {}, "Timeline"), timeline(run)),
    costCard(run),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Steps"),
      steps.length
        ? h(
            "table",
            { class: "grid steps" },
            h("thead", {}, h("tr", {}, ["#", "Step", "Kind", "Status", "Attempt", "Started", "Took", "Output / error"].map((t) => h("th", {}, t)))),
            h("tbody", {}, steps.flatMap((step, i) => stepRows(run, step, i, open, () => draw(root, run, event, open)))),
          )
        : h("div", { class: "empty" }, "No steps yet."),
    ),
  );
}

// A new run of the same function and event; from a step, the steps before it keep their memo.
async function rerunFrom(e, run, stepId) {
  e.stopPropagation();
  e.target.disabled = true;
  try {
    const made = await api.rerun(run.run_id, stepId);
    window.location.hash = `#/run/${encodeURIComponent(made.run_id)}`;
  } catch (err) {
    alert(err.message);
    e.target.disabled = false;
  }
}

function stepRows(run, step, index, open, redraw) {
  const key = step.id;
  const expanded = open.has(key);
  const summary = step.error ? errorText(step.error) : step.output === undefined || step.output === null ? "" : pretty(step.output);
  const row = h(
    "tr",
    { class: `row ${expanded ? "open" : ""}`, onclick: () => { expanded ? open.delete(key) : open.add(key); redraw(); } },
    h("td", { class: "sub" }, String(index + 1)),
    h("td", { class: "mono" }, step.id),
    h("td", {}, step.kind),
    h("td", {}, badge(step.status)),
    h("td", {}, String(step.attempt ?? 0)),
    h("td", {}, time(step.started_at)),
    h("td", {}, ms(step.duration_ms ?? between(step.started_at, step.ended_at))),
    h("td", { class: `clip ${step.error ? "errtext" : ""}` }, summary.length > 90 ? summary.slice(0, 89) + "…" : summary),
  );
  if (!expanded) return [row];
  const detail = h(
    "tr",
    { class: "detail" },
    h("td", { colspan: 8 },
      step.input !== undefined ? h("div", {}, h("h3", {}, "Input"), h("pre", {}, pretty(step.input))) : null,
      step.error
        ? h("div", {}, h("h3", {}, "Error"), h("pre", { class: "err" }, errorText(step.error), step.error.stack ? `\n\n${step.error.stack}` : ""))
        : h("div", {}, h("h3", {}, "Output"), h("pre", {}, pretty(step.output) || "—")),
      h("div", { class: "sub" }, `started ${step.started_at || "—"} · ended ${step.ended_at || "—"}`),
      h("button", { class: "small rerun-from", onclick: (e) => rerunFrom(e, run, step.id) }, "Rerun from this step"),
    ),
  );
  return [row, detail];
}

function fact(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value));
}
