// The generate-response demo: pick a run id, subscribe to ai:{runId} (the seed's AIStream), and
// once the socket is open send app/prompt.submitted with that run id. `?client=inngest` renders
// the same component on Inngest's own hook (inngest/react); `?runId=` fixes the run id so two
// pages can watch one run; `?autostart=0` leaves sending to someone else.
import { useCallback, useState } from "react";
import { createRoot } from "react-dom/client";
import { useRealtime as inngestUseRealtime } from "inngest/react";

import { useRealtime as stepstreamUseRealtime } from "../../useRealtime.js";
import { fetchToken, param, sendEvent } from "../stack.js";
import { AIStream } from "./AIStream.jsx";

const official = param("client") === "inngest";
const useRealtime = official ? inngestUseRealtime : stepstreamUseRealtime;

async function fetchAIToken(runId) {
  return fetchToken(`ai:${runId}`, ["status", "tokens", "result"]);
}

// What the page saw, for the end-to-end tests and for anyone curious in the console.
window.__demo = { client: official ? "inngest" : "stepstream", messages: [], connectionStatus: "idle" };

function App() {
  const [runId, setRunId] = useState(() => param("runId") ?? crypto.randomUUID());
  const [prompt, setPrompt] = useState("Summarize the key points of this document...");
  const [open, setOpen] = useState(false);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState(null);

  const onUpdate = useCallback(({ connectionStatus, messages }) => {
    window.__demo.connectionStatus = connectionStatus;
    window.__demo.messages = messages.map((m) => ({ kind: m.kind, topic: m.topic, data: m.data }));
    setOpen(connectionStatus === "open");
  }, []);

  async function generate(event) {
    event.preventDefault();
    setError(null);
    try {
      await sendEvent("app/prompt.submitted", { runId, prompt });
      setSent(true);
    } catch (err) {
      setError(err.message);
    }
  }

  function again() {
    setRunId(crypto.randomUUID());
    setSent(false);
  }

  return (
    <main>
      <section>
        <form onSubmit={generate}>
          <label htmlFor="prompt">Prompt</label>
          <textarea id="prompt" rows={2} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
          <div className="row">
            <button id="generate" type="submit" disabled={!open || sent || !prompt.trim()}>
              Generate
            </button>
            <button className="secondary" type="button" onClick={again} disabled={!sent}>
              New run
            </button>
            <span className="muted">
              run <code id="run-id">{runId}</code> · hook: {official ? "inngest/react" : "stepstream web/useRealtime.js"}
            </span>
          </div>
        </form>
        {error && <p className="error">{error}</p>}
      </section>
      <section>
        <AIStream key={runId} runId={runId} useRealtime={useRealtime} fetchAIToken={fetchAIToken} onUpdate={onUpdate} />
      </section>
    </main>
  );
}

createRoot(document.getElementById("root")).render(<App />);
