// The functions the app registers: triggers, retries, cancellation rules; and the operations
// on their runs (replay, bulk cancel, pause) from ops.js.
import { api } from "./api.js";
import { operations } from "./ops.js";
import { clear, h, notice } from "./ui.js";

export function render(root, _params, _id, message = "") {
  clear(root, h("div", { class: "head" }, h("h1", {}, "Functions")), h("div", { class: "sub" }, "loading…"));
  const refresh = (text) => render(root, _params, _id, text);
  Promise.all([api.functions(), api.pauses().catch(() => ({}))]).then(
    ([fns, pauses]) => {
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
