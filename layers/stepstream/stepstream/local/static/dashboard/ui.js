// Small DOM and formatting helpers shared by the views. No framework: elements are built with
// h(tag, attrs, ...children) and text is always set as text, never parsed as HTML.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const STATUS_CLASS = {
  completed: "ok", ok: "ok", failed: "bad", error: "bad", cancelled: "muted",
  running: "live", queued: "muted", sleeping: "wait", waiting: "wait", retry: "warn",
};

export function badge(status) {
  const s = String(status || "").toLowerCase();
  return h("span", { class: `badge ${STATUS_CLASS[s] || "muted"}` }, s || "—");
}

export function time(value) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toLocaleTimeString([], { hour12: false }) + "." + String(d.getMilliseconds()).padStart(3, "0");
}

export function ago(value) {
  if (!value) return "";
  const seconds = (Date.now() - new Date(value).getTime()) / 1000;
  if (Number.isNaN(seconds)) return ""; // a date JavaScript cannot represent (over 8.64e15 ms)
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

export function ms(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 120000) return `${(value / 1000).toFixed(1)} s`;
  return `${(value / 60000).toFixed(1)} min`;
}

export function between(start, end) {
  if (!start) return null;
  const a = new Date(start).getTime();
  const b = end ? new Date(end).getTime() : Date.now();
  return Number.isFinite(a) && Number.isFinite(b) ? b - a : null;
}

export function compact(value, limit = 120) {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
}

export function pretty(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

export function errorText(error) {
  if (!error) return "";
  if (typeof error === "object") return `${error.name || error.type || "Error"}: ${error.message || ""}`;
  return String(error);
}

export function notice(message, kind = "bad") {
  return h("div", { class: `notice ${kind}` }, message);
}

export function copyable(text) {
  return h("code", { class: "copy", title: "click to copy", onclick: () => navigator.clipboard?.writeText(text) }, text);
}

/** Run `tick` now and every `everyMs` until the returned stop() is called or the view changes. */
export function every(everyMs, tick) {
  let stopped = false;
  let timer = null;
  const loop = async () => {
    if (stopped) return;
    try {
      await tick();
    } finally {
      if (!stopped) timer = setTimeout(loop, document.hidden ? everyMs * 5 : everyMs);
    }
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
