// How long subscribe() waits before reconnect attempt N. Pure, so it can be tested alone.

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, "equal jitter" so
 * two clients dropped together do not return together, yet never wait less than half the step. */
export function backoffDelay(attempt, minMs = 250, maxMs = 5000, random = Math.random) {
  const step = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}
