// The seed's AIStream component (docs "Stream AI responses to your UI"), with the hook passed in
// so the same markup runs on stepstream's useRealtime or on Inngest's own (inngest/react).
//
// The seed appends each token in an `onMessage` callback; neither v4 hook has that option, so the
// text is read off `messages.all` instead (each hook keeps `historyLimit` messages, in order and
// without duplicates, also across a reconnect).
import { useEffect } from "react";

export function AIStream({ runId, useRealtime, fetchAIToken, onUpdate }) {
  const ch = `ai:${runId}`;
  const { messages, connectionStatus } = useRealtime({
    channel: ch,
    topics: ["status", "tokens", "result"],
    token: () => fetchAIToken(runId),
    enabled: !!runId,
    historyLimit: 100_000,
  });
  const fullText = messages.all
    .filter((msg) => msg.topic === "tokens")
    .map((msg) => msg.data.token)
    .join("");

  const status = messages.byTopic.status?.data;
  const result = messages.byTopic.result?.data;

  useEffect(() => {
    onUpdate?.({ connectionStatus, messages: messages.all });
  }, [connectionStatus, messages.all, onUpdate]);

  return (
    <div>
      <p data-testid="connection">Connection: {connectionStatus}</p>
      {status && !result && (
        <p data-testid="status">
          {status.message} ({status.progress}%)
        </p>
      )}
      {fullText && !result && (
        <div className="whitespace-pre-wrap" data-testid="streaming">
          {fullText}
        </div>
      )}
      {result && (
        <div data-testid="result">
          <div className="whitespace-pre-wrap" data-testid="output">
            {result.output}
          </div>
          <p className="text-sm text-gray-500" data-testid="meta">
            Model: {result.model} | Tokens: {result.tokensUsed}
          </p>
        </div>
      )}
    </div>
  );
}
