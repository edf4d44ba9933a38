// In-memory stand-ins for the two browser objects subscribe() touches, so its state machine can
// be driven step by step. The real-server behaviour is covered by the *.gateway.test.mjs files.

/** A WebSocket double: records every socket made; the test plays the server. */
export function fakeSocketClass() {
  const sockets = [];
  class FakeSocket {
    constructor(url) {
      this.url = new URL(url);
      this.sent = [];
      this.closedByClient = null;
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      sockets.push(this);
    }
    send(text) {
      this.sent.push(text);
    }
    close(code, reason) {
      this.closedByClient = { code, reason };
    }
    // Server side:
    open() {
      this.onopen?.({});
    }
    receive(frame) {
      this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
    }
    receiveRaw(data) {
      this.onmessage?.({ data });
    }
    drop(code = 1006, reason = "") {
      this.onclose?.({ code, reason });
    }
  }
  return { FakeSocket, sockets };
}

/** `document` with a settable visibilityState and a working visibilitychange event. */
export function fakeDocument(visibilityState = "visible") {
  const target = new EventTarget();
  return {
    visibilityState,
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    listenerCount: 0,
    setVisibility(state) {
      this.visibilityState = state;
      target.dispatchEvent(new Event("visibilitychange"));
    },
  };
}

/** Resolves once `predicate()` is truthy; rejects with `what` after `ms` (a deadline, not a sleep). */
export async function until(predicate, what = "condition", ms = 3000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function dataFrame(seq, topic = "tokens", extra = {}) {
  return {
    kind: "data",
    channel: "ai:run-1",
    topic,
    data: { token: `t${seq}` },
    created_at: "2026-11-22T03:00:00Z",
    seq,
    id: `m${seq}`,
    ...extra,
  };
}
