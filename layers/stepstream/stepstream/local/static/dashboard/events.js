// Recent events, newest first, with the runs each one started.
import { api } from "./api.js";
import { ago, clear, compact, every, h, notice, pretty, time } from "./ui.js";

export function render(root) {
  const open = new Map();
  const body = h("tbody");
  const status = h("span", { class: "sub" });
  clear(
    root,
    h("div", { class: "head" }, h("h1", {}, "Events"), status),
    h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["Received", "Name", "Id", "Data"].map((t) => h("th", {}, t)))), body),
  );
  let events = [];
  const draw = () =>
    clear(
      body,
      events.length
        ? events.flatMap((ev) => {
            const row = h(
              "tr",
              { class: "row", onclick: async () => {
                if (open.has(ev.id)) open.delete(ev.id);
                else open.set(ev.id, await api.eventRuns(ev.id).catch(() => []));
                draw();
              } },
              // time() and ago() take the number as it is: an out-of-range ts must not throw here.
              h("td", {}, time(ev.ts), h("span", { class: "sub" }, ago(ev.ts) ? ` ${ago(ev.ts)}` : "")),
              h("td", {}, h("strong", {}, ev.name)),
              h("td", { class: "mono sub" }, ev.id),
              h("td", { class: "mono clip" }, compact(ev.data, 100)),
            );
            if (!open.has(ev.id)) return [row];
            const runs = open.get(ev.id);
            return [row, h("tr", { class: "detail" }, h("td", { colspan: 4 },
              h("pre", {}, pretty(ev.data)),
              h("div", {}, runs.length ? ["Runs: ", runs.map((r) => h("a", { class: "chip", href: `#/run/${encodeURIComponent(r.run_id)}` }, `${r.function_id} · ${String(r.state || r.status).toLowerCase()}`))] : h("span", { class: "sub" }, "started no runs")),
            ))];
          })
        : h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No events yet.")),
    );
  return every(2000, async () => {
    try {
      events = await api.events(100);
      clear(status, `${events.length} shown · live`);
      draw();
    } catch (err) {
      clear(status, notice(err.message));
    }
  });
}
