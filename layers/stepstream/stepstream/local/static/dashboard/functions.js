// The functions the app registers: triggers, retries, cancellation rules, flow-control limits;
// and the operations on their runs (replay, bulk cancel, pause) from ops.js.
import { api } from "./api.js";
import { costByFunctionDay, costLine } from "./cost.js";
import { operations } from "./ops.js";
import { clear, h, notice, time } from "./ui.js";

export function render(root, _params, _id, message = "") {
  clear(root, h("div", { class: "head" }, h("h1", {}, "Functions")), h("div", { class: "sub" }, "loading…"));
  const refresh = (text) => render(root, _params, _id, text);
  Promise.all([api.functions(), api.pauses().catch(() => ({})), costByFunctionDay().catch(() => ({}))]).then(
    ([fns, pauses, costs]) => {
      const cards = fns.map((fn) =>
        h(
          "section",
          { class: "card fn" },
          h("div", { class: "head" }, h("h2", {}, fn.id), h("a", { href: `#/runs?function=${encodeURIComponent(fn.id)}` }, "runs →")),
          h("div", { class: "chips" }, (fn.triggers || []).map((t) =>
            h("span", { class: "chip" }, t.cron ? `⏱ cron ${t.cron}${t.tz ? ` ${t.tz}` : ""}` : `⚡ ${t.event}`, t.if_exp ? h("code", {}, ` if ${t.if_exp}`) : null),
          )),
          h("div", { class: "sub" },
            `retries ${fn.retries}`,
            fn.idempotency ? ` · idempotency ${fn.idempotency}` : "",
            fn.has_on_failure ? " · on_failure handler" : "",
            (fn.cancel_on || []).length ? ` · cancel on ${(fn.cancel_on || []).map((c) => c.event).join(", ")}` : "",
          ),
          flowLine(fn.flow),
          costLine(costs[fn.id]),
          usageBox(fn),
          (fn.triggers || []).some((t) => t.event)
            ? h("a", { class: "button small", href: `#/send?name=${encodeURIComponent(fn.triggers.find((t) => t.event).event)}` }, "Send a trigger event")
            : null,
          operations(fn, pauses[fn.id], refresh),
        ),
      );
      clear(root, h("div", { class: "head" }, h("h1", {}, "Functions"), h("span", { class: "sub" }, `${fns.length} registered`)),
        message ? h("div", { class: "notice ok", id: "functions-message" }, message) : null,
        fns.length ? h("div", { class: "cards" }, cards) : h("div", { class: "empty" }, "No functions registered. Add one in functions/app/."));
    },
    (err) => clear(root, h("h1", {}, "Functions"), notice(err.message)),
  );
  return () => {};
}

// Flow control in words: "concurrency 2 per event.data.user · throttle 10/60s (burst 2) · ..."
function flowLine(flow) {
  if (!flow || !Object.keys(flow).length) return null;
  const per = (o) => (o.key ? ` per ${o.key}` : "");
  const parts = [];
  for (const c of flow.concurrency || []) parts.push(`concurrency ${c.limit}${per(c)}${c.scope && c.scope !== "fn" ? ` (${c.scope})` : ""}`);
  if (flow.throttle) parts.push(`throttle ${flow.throttle.limit}/${flow.throttle.period}s${per(flow.throttle)}${flow.throttle.burst > 1 ? ` (burst ${flow.throttle.burst})` : ""}`);
  if (flow.rate_limit) parts.push(`rate limit ${flow.rate_limit.limit}/${flow.rate_limit.period}s${per(flow.rate_limit)}`);
  if (flow.debounce) parts.push(`debounce ${flow.debounce.period}s${per(flow.debounce)}${flow.debounce.timeout ? ` (max ${flow.debounce.timeout}s)` : ""}`);
  if (flow.batch_events) parts.push(`batch ${flow.batch_events.max_size} within ${flow.batch_events.timeout}s${per(flow.batch_events)}`);
  if (flow.priority && flow.priority.run) parts.push(`priority ${flow.priority.run}`);
  if (flow.singleton) parts.push(`singleton ${flow.singleton.mode}${per(flow.singleton)}`);
  if (flow.timeouts) parts.push(["start", "finish"].filter((k) => flow.timeouts[k]).map((k) => `${k} timeout ${flow.timeouts[k]}s`).join(", "));
  return h("div", { class: "sub flow" }, parts.join(" · "));
}

// Current usage next to each limit, read once per page view from GET /v1/functions/{id}/usage
// (a bounded number of reads, shown): slots held and runs in line for the busiest keys, the
// throttle's next start per key, and debounce or batch windows that have no run yet.
function usageBox(fn) {
  const flow = fn.flow || {};
  if (!(flow.concurrency || flow.throttle || flow.debounce || flow.batch_events)) return null;
  const box = h("div", { class: "sub usage", "data-function": fn.id }, "usage: loading…");
  api.usage(fn.id).then(
    (u) => clear(box, usageLines(u)),
    (err) => clear(box, `usage: ${err.message}`),
  );
  return box;
}

function usageLines(u) {
  const lines = [];
  const value = (v) => (v === "" ? "(no key)" : v);
  for (const c of u.concurrency || []) {
    const keys = (c.busiest || []).map((k) => `${value(k.value)}: ${k.running}/${c.limit} running${k.queued ? `, ${k.queued >= 100 ? "100+" : k.queued} queued` : ""}`);
    lines.push(h("div", { class: "usage-concurrency" }, `concurrency ${c.limit}${c.key ? ` per ${c.key}` : ""} — `, keys.length ? keys.join(" · ") : "no slot held", c.keys_read >= 20 ? " (first 20 keys read)" : ""));
  }
  if ((u.throttle || []).length) {
    lines.push(h("div", { class: "usage-throttle" }, "throttle — ", u.throttle.map((t) => `${value(t.value)}: next start ${time(t.next_allowed_at)}`).join(" · ")));
  }
  for (const p of u.pending || []) {
    lines.push(h("div", { class: "usage-pending" }, `${p.key ? `${p.key} = ${value(p.key_value)}: ` : ""}${pendingText(p)}`));
  }
  lines.push(h("div", { class: "usage-reads" }, `as of ${time(u.at)} · ${u.reads} reads`));
  return lines;
}

export function pendingText(p) {
  if (p.kind === "debounce") return `debounced until ${time(p.starts_at)} (last event ${p.last_event_id})`;
  return `batch of ${p.events} event${p.events === 1 ? "" : "s"}, starts at ${time(p.starts_at)} or at ${p.max_size}`;
}
