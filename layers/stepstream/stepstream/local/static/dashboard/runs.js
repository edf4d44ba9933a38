// Runs: the newest runs, refreshed every second, so a run is seen going queued → running →
// completed as it happens.
import { api } from "./api.js";
import { pendingText } from "./functions.js";
import { ago, badge, between, clear, every, h, ms, notice, time } from "./ui.js";

export function render(root, params) {
  const fn = params.get("function") || "";
  const status = h("span", { class: "sub" }, "");
  const body = h("tbody");
  const table = h(
    "table",
    { class: "grid", id: "runs-table" },
    h("thead", {}, h("tr", {}, ["Status", "Function", "Run", "Created", "Duration", "Event"].map((t) => h("th", {}, t)))),
    body,
  );
  const filter = fn ? h("span", { class: "chip" }, `function: ${fn} `, h("a", { href: "#/runs" }, "×")) : null;
  const pending = h("div", { id: "pending" });
  clear(root, h("div", { class: "head" }, h("h1", {}, "Runs"), filter, status), pending, table);

  return every(1000, async () => {
    let runs;
    let waiting;
    try {
      [runs, waiting] = await Promise.all([api.runs(100, fn), api.pending(100, fn)]);
    } catch (err) {
      clear(status, notice(err.message));
      return;
    }
    clear(status, `${runs.length} shown · live`);
    // Debounced and batched events have no run yet: one line per open window.
    clear(pending, waiting.length
      ? h("section", { class: "card pending" }, h("h2", {}, "No run yet"), waiting.map((p) =>
        h("div", { class: "row pending-item" },
          h("a", { href: `#/runs?function=${encodeURIComponent(p.function_id)}` }, p.function_id),
          p.key ? h("span", { class: "sub" }, ` ${p.key} = ${p.key_value}`) : null,
          ` — ${pendingText(p)}`)))
      : null);
    if (!runs.length) {
      clear(body, h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No runs yet. Send an event from ", h("a", { href: "#/send" }, "Send event"), " or with `stepstream send`.")));
      return;
    }
    clear(
      body,
      runs.map((run) =>
        h(
          "tr",
          { class: "row", onclick: () => (location.hash = `#/run/${encodeURIComponent(run.run_id)}`) },
          h("td", { title: run.held ? run.held.label : "" }, badge(run.state || run.status), run.held ? h("span", { class: "sub" }, ` ${run.held.reason}`) : null),
          h("td", {}, h("a", { href: `#/runs?function=${encodeURIComponent(run.function_id)}`, onclick: (e) => e.stopPropagation() }, run.function_id)),
          h("td", { class: "mono" }, h("a", { href: `#/run/${encodeURIComponent(run.run_id)}` }, run.run_id)),
          h("td", { title: run.created_at || "" }, time(run.created_at), h("span", { class: "sub" }, ` ${ago(run.created_at)}`)),
          h("td", {}, ms(between(run.run_started_at, run.ended_at))),
          h("td", { class: "mono sub" }, run.event_id || "—"),
        ),
      ),
    );
  });
}
