// Send an event through the event API, then follow the runs it starts.
import { api, eventKey } from "./api.js";
import { badge, clear, h, notice } from "./ui.js";

export function render(root, params) {
  const name = h("input", { name: "name", list: "event-names", required: true, placeholder: "app/hello", value: params.get("name") || "", size: 40 });
  const data = h("textarea", { name: "data", rows: 10, spellcheck: "false" }, params.get("data") || "{\n  \n}");
  const id = h("input", { name: "id", placeholder: "optional: dedupe id", size: 30 });
  const names = h("datalist", { id: "event-names" });
  const result = h("div", { id: "send-result" });
  let cancelled = false;

  api.functions().then((fns) => {
    const all = [...new Set(fns.flatMap((f) => (f.triggers || []).map((t) => t.event).filter(Boolean)))];
    clear(names, all.map((n) => h("option", { value: n })));
    if (!name.value && all.length) name.placeholder = all[0];
  }).catch(() => {});

  const form = h(
    "form",
    { class: "card form", onsubmit: async (e) => {
      e.preventDefault();
      let parsed;
      try {
        parsed = data.value.trim() ? JSON.parse(data.value) : {};
      } catch (err) {
        clear(result, notice(`Data is not valid JSON: ${err.message}`));
        return;
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        clear(result, notice("Data must be a JSON object, e.g. {\"name\": \"you\"}"));
        return;
      }
      const event = { name: (name.value || name.placeholder).trim(), data: parsed };
      if (id.value.trim()) event.id = id.value.trim();
      if (!eventKey()) {
        clear(result, notice("No event key: open the dashboard from http://127.0.0.1 or set one under Keys below."));
        return;
      }
      try {
        const answer = await api.send(event);
        const eventId = answer.ids[0];
        const runs = h("div", { class: "chips" }, h("span", { class: "sub" }, "waiting for runs…"));
        clear(result, h("div", { class: "notice ok" }, "Sent ", h("code", {}, event.name), " · event id ", h("code", {}, eventId)), runs);
        follow(eventId, runs, () => cancelled);
      } catch (err) {
        clear(result, notice(err.message));
      }
    } },
    h("label", {}, "Event name", name, names),
    h("label", {}, "Data (JSON object)", data),
    h("label", {}, "Id", id),
    h("div", {}, h("button", { type: "submit" }, "Send event")),
  );
  clear(root, h("div", { class: "head" }, h("h1", {}, "Send event")), form, result);
  return () => { cancelled = true; };
}

async function follow(eventId, into, isCancelled) {
  for (let i = 0; i < 20 && !isCancelled(); i++) {
    const runs = await api.eventRuns(eventId).catch(() => []);
    if (runs.length) {
      clear(into, "Started: ", runs.map((r) => h("a", { class: "chip", href: `#/run/${encodeURIComponent(r.run_id)}` }, `${r.function_id} `, badge(r.state || r.status))));
      if (runs.every((r) => ["completed", "failed", "cancelled"].includes(String(r.state || r.status).toLowerCase()))) return;
    } else if (i > 3) {
      clear(into, h("span", { class: "sub" }, "No function is triggered by this event (yet)."));
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
