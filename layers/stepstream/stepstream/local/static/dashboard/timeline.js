// A run's timeline: one bar per step on a shared time axis, from the run's start to its end (or
// now, while it runs). Sleeps and waits show as hatched bars, so idle time reads differently
// from work.
import { h } from "./ui.js";

const KIND_CLASS = { sleep: "idle", wait_for_event: "idle", invoke: "idle" };

export function timeline(run) {
  const steps = (run.steps || []).filter((s) => s.started_at);
  const t0 = new Date(run.run_started_at || run.created_at || steps[0]?.started_at || Date.now()).getTime();
  const ends = steps.map((s) => new Date(s.ended_at || Date.now()).getTime());
  const runEnd = run.ended_at ? new Date(run.ended_at).getTime() : Date.now();
  const t1 = Math.max(runEnd, ...ends, t0 + 1);
  const span = t1 - t0;
  const pct = (t) => `${(((t - t0) / span) * 100).toFixed(3)}%`;
  const ticks = [];
  for (let i = 0; i <= 4; i++) {
    ticks.push(h("span", { class: "tick", style: { left: `${i * 25}%` } }, fmt((span * i) / 4)));
  }
  const rows = steps.map((step) => {
    const start = new Date(step.started_at).getTime();
    const end = step.ended_at ? new Date(step.ended_at).getTime() : Date.now();
    const width = Math.max(((end - start) / span) * 100, 0.4);
    const cls = `bar ${KIND_CLASS[step.kind] || "work"} ${String(step.status || "").toLowerCase()}`;
    return h(
      "div",
      { class: "tl-row" },
      h("div", { class: "tl-label", title: step.id }, step.id),
      h(
        "div",
        { class: "tl-track" },
        h("div", {
          class: cls,
          style: { left: pct(start), width: `${width}%` },
          title: `${step.id} · ${step.kind} · ${step.status} · ${fmt(end - start)}`,
        }),
        h("span", { class: "tl-dur", style: { left: `min(calc(${pct(end)} + 6px), calc(100% - 60px))` } }, fmt(end - start)),
      ),
    );
  });
  return h(
    "div",
    { class: "timeline" },
    h("div", { class: "tl-row axis" }, h("div", { class: "tl-label" }, ""), h("div", { class: "tl-track" }, ticks)),
    rows.length ? rows : h("div", { class: "empty" }, "No steps have started yet."),
  );
}

function fmt(msValue) {
  if (msValue < 1000) return `${Math.round(msValue)} ms`;
  if (msValue < 120000) return `${(msValue / 1000).toFixed(1)} s`;
  return `${(msValue / 60000).toFixed(1)} min`;
}
