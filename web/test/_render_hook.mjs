// Renders a hook in a real react-dom root inside jsdom, so effects, state updates and
// document visibility behave as in a browser. `result.current` is the latest return value.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><div id=root></div>", { url: "http://127.0.0.1:8288/demo" });
let visibility = "visible";
Object.defineProperty(dom.window.document, "visibilityState", { get: () => visibility, configurable: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
globalThis.location = dom.window.location;
if (!("navigator" in globalThis)) globalThis.navigator = dom.window.navigator;
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

const React = await import("react");
const { createRoot } = await import("react-dom/client");

export const { act } = React;

export function setVisibility(state) {
  visibility = state;
  document.dispatchEvent(new dom.window.Event("visibilitychange"));
}

export async function renderHook(hook, initialProps) {
  const result = { current: undefined, renders: 0 };
  let props = initialProps;
  function Probe() {
    result.current = hook(props);
    result.renders += 1;
    return null;
  }
  const container = document.createElement("div");
  const root = createRoot(container);
  await act(async () => root.render(React.createElement(Probe)));
  return {
    result,
    async rerender(next) {
      props = next;
      await act(async () => root.render(React.createElement(Probe)));
    },
    async unmount() {
      await act(async () => root.unmount());
    },
  };
}

/** Runs `fn` inside act and lets effects, microtasks and any due timers settle. */
export async function settle(fn = () => {}, ms = 0) {
  await act(async () => {
    await fn();
    await new Promise((resolve) => setTimeout(resolve, ms));
  });
}

/** Like settle, repeated until `predicate()` holds; a deadline, not a timing assertion. */
export async function settleUntil(predicate, what = "condition", ms = 3000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(() => {}, 2);
  }
}
