// useRealtime: a React hook with the options and return shape of Inngest's v4 hook
// (`inngest/react`, read off inngest@4.24.0's react.js), built on ./subscribe.js so that it also
// resumes without gaps: a reconnect, a tab coming back from hidden, or `enabled` turning on again
// continues from the last seq it delivered instead of starting over at "now".
//
// Options (as Inngest's): channel, topics, token, key, enabled = true, bufferInterval = 0,
// validate = true, apiBaseUrl, historyLimit = 100, reconnect = true, reconnectMinMs = 250,
// reconnectMaxMs = 5000, pauseOnHidden = true, autoCloseOnTerminal = true.
// stepstream additions: `since` (a seq to start after on the first connect; 0 replays the
// channel's kept history, useful for a run's own channel) and `WebSocket` (an implementation,
// for Node). `apiBaseUrl` defaults to the token's, then to the page's origin.
//
// Returns: { connectionStatus, runStatus, isPaused, pauseReason,
//            messages: { byTopic, all, last, delta }, result, error, reset }.

import { useEffect, useRef, useState } from "react";

import { Deduper, subscribe } from "./subscribe.js";

const TERMINAL_RUN_STATUSES = new Set(["completed", "failed", "cancelled"]);

/** Append `next` to `prev`, keeping the newest `limit` (null: keep everything). */
export function clampMessages(prev, next, limit) {
  const merged = [...prev, ...next];
  if (limit === null) return merged;
  if (limit <= 0) return [];
  return merged.length > limit ? merged.slice(-limit) : merged;
}

/** Inngest's spellings of a run status, folded onto the hook's five. */
export function normalizeRunStatus(value) {
  if (typeof value !== "string") return undefined;
  switch (value.toLowerCase()) {
    case "running":
    case "in_progress":
      return "running";
    case "completed":
    case "complete":
    case "succeeded":
    case "success":
      return "completed";
    case "failed":
    case "error":
      return "failed";
    case "cancelled":
    case "canceled":
      return "cancelled";
    default:
      return undefined;
  }
}

/** What a `kind: "run"` message says about the run: its status and, when done, its result. */
export function runLifecycleUpdate(message) {
  if (message.kind !== "run" || !message.data || typeof message.data !== "object") return {};
  const data = message.data;
  const runStatus =
    normalizeRunStatus(data.runStatus) ?? normalizeRunStatus(data.status) ?? normalizeRunStatus(data.state);
  if ("result" in data) return { runStatus, result: data.result };
  if (runStatus === "completed" && "output" in data) return { runStatus, result: data.output };
  return { runStatus };
}

const hasDocument = () => typeof document !== "undefined";
const isDocumentVisible = () => !hasDocument() || document.visibilityState !== "hidden";
const toError = (err) => (err instanceof Error ? err : new Error(String(err)));
const isSubscriptionToken = (value) =>
  value !== null && typeof value === "object" && "channel" in value && "topics" in value;
const channelNameOf = (channel) => (typeof channel === "string" ? channel : channel?.name ?? undefined);

function tokenIdentity(tokenInput) {
  if (typeof tokenInput === "function") return "factory";
  if (!tokenInput) return "";
  return JSON.stringify({
    apiBaseUrl: tokenInput.apiBaseUrl,
    channel: isSubscriptionToken(tokenInput) ? channelNameOf(tokenInput.channel) : undefined,
    key: tokenInput.key,
    topics: isSubscriptionToken(tokenInput) ? [...tokenInput.topics] : undefined,
  });
}

export function useRealtime({
  channel,
  topics,
  token: tokenInput,
  key,
  enabled = true,
  bufferInterval = 0,
  validate = true,
  apiBaseUrl,
  historyLimit = 100,
  reconnect = true,
  reconnectMinMs = 250,
  reconnectMaxMs = 5000,
  pauseOnHidden = true,
  autoCloseOnTerminal = true,
  since,
  WebSocket: socketImpl,
}) {
  const channelKey = channelNameOf(channel);
  const topicsKey = topics ? JSON.stringify([...topics]) : "";
  const tokenInputKey = tokenIdentity(tokenInput);

  const [allMessages, setAllMessages] = useState([]);
  const [messageDelta, setMessageDelta] = useState([]);
  const [messagesByTopic, setMessagesByTopic] = useState({});
  const [lastMessage, setLastMessage] = useState(null);
  const [error, setError] = useState(null);
  const [connectionStatus, setConnectionStatus] = useState("idle");
  const [pauseReason, setPauseReason] = useState(null);
  const [runStatus, setRunStatus] = useState("unknown");
  const [result, setResult] = useState(undefined);
  const [isVisible, setIsVisible] = useState(() => isDocumentVisible());

  const bufferRef = useRef([]);
  const bufferIntervalRef = useRef(bufferInterval);
  const historyLimitRef = useRef(historyLimit);
  const runStatusRef = useRef(runStatus);
  const tokenInputRef = useRef(tokenInput);
  // Where the next connection resumes; survives pauses and token changes, not a new channel.
  const resumeSeqRef = useRef(since ?? null);
  // Ids of the messages applied, across the subscriptions of one channel: each subscription
  // dedupes its own frames, but a resumed one starts with no memory, and seq cannot tell a repeat
  // from a new message (two publishers' seqs interleave).
  const appliedRef = useRef(null);
  if (appliedRef.current === null) appliedRef.current = new Deduper();

  useEffect(() => {
    tokenInputRef.current = tokenInput;
  }, [tokenInput]);
  useEffect(() => {
    bufferIntervalRef.current = bufferInterval;
  }, [bufferInterval]);
  useEffect(() => {
    historyLimitRef.current = historyLimit;
  }, [historyLimit]);

  const clearState = () => {
    bufferRef.current = [];
    setAllMessages([]);
    setMessageDelta([]);
    setMessagesByTopic({});
    setLastMessage(null);
    setResult(undefined);
    setError(null);
    runStatusRef.current = "unknown";
    setRunStatus("unknown");
  };

  const isFirstSubscriptionRef = useRef(true);
  useEffect(() => {
    if (!isFirstSubscriptionRef.current) {
      resumeSeqRef.current = since ?? null;
      appliedRef.current = new Deduper();
    }
    isFirstSubscriptionRef.current = false;
    clearState();
    // `since` only seeds a new subscription; changing it alone does not restart one.
  }, [channelKey, topicsKey, key]);

  useEffect(() => {
    if (!pauseOnHidden || !hasDocument()) return undefined;
    const onVisibilityChange = () => setIsVisible(isDocumentVisible());
    document.addEventListener("visibilitychange", onVisibilityChange);
    return () => document.removeEventListener("visibilitychange", onVisibilityChange);
  }, [pauseOnHidden]);

  /** Clears messages, result, error and run status; the connection and its position stay. */
  const reset = () => clearState();

  const flushBuffered = () => {
    if (bufferRef.current.length === 0) return;
    const buffered = bufferRef.current;
    bufferRef.current = [];
    setMessageDelta(buffered);
    setAllMessages((prev) => clampMessages(prev, buffered, historyLimitRef.current));
    setLastMessage(buffered[buffered.length - 1] ?? null);
  };

  useEffect(() => {
    if (bufferInterval <= 0) {
      flushBuffered();
      return undefined;
    }
    const interval = setInterval(flushBuffered, bufferInterval);
    return () => clearInterval(interval);
  }, [bufferInterval]);

  useEffect(() => {
    if (!enabled || (pauseOnHidden && !isVisible)) {
      setPauseReason(!enabled ? "disabled" : "hidden");
      setConnectionStatus("paused");
      return undefined;
    }
    setPauseReason(null);
    if (autoCloseOnTerminal && TERMINAL_RUN_STATUSES.has(runStatusRef.current)) {
      setConnectionStatus("closed");
      return undefined;
    }

    let sub = null;
    let cancelled = false;

    const resolveToken = async () => {
      const input = tokenInputRef.current;
      const value = typeof input === "function" ? await input() : input;
      if (typeof value === "string") {
        if (!channel || !topics) {
          throw new Error("useRealtime token() returned a string but channel/topics were not provided");
        }
        return { key: value, apiBaseUrl: defaultBaseUrl() };
      }
      // {key} as in Inngest; {jwt} is the body POST /v1/realtime/token answers.
      const jwt = value && typeof value === "object" ? (typeof value.key === "string" ? value.key : value.jwt) : undefined;
      if (typeof jwt === "string") {
        if (!isSubscriptionToken(value) && (!channel || !topics)) {
          throw new Error("useRealtime token did not include channel/topics and channel/topics were not provided");
        }
        return { key: jwt, apiBaseUrl: value.apiBaseUrl ?? defaultBaseUrl() };
      }
      throw new Error("useRealtime: no token: pass `token` as a {key} object, a JWT-returning function, or a subscription token");
    };

    const applyMessage = (message) => {
      if (message.kind === "run") {
        const lifecycle = runLifecycleUpdate(message);
        if (lifecycle.runStatus) {
          runStatusRef.current = lifecycle.runStatus;
          setRunStatus(lifecycle.runStatus);
        }
        if ("result" in lifecycle) setResult(lifecycle.result);
        if (autoCloseOnTerminal && TERMINAL_RUN_STATUSES.has(runStatusRef.current)) {
          flushBuffered();
          sub?.close();
        }
        return;
      }
      if (runStatusRef.current === "unknown") {
        runStatusRef.current = "running";
        setRunStatus("running");
      }
      if (message.topic) setMessagesByTopic((prev) => ({ ...prev, [message.topic]: message }));
      if (bufferIntervalRef.current <= 0) {
        setMessageDelta([message]);
        setAllMessages((prev) => clampMessages(prev, [message], historyLimitRef.current));
        setLastMessage(message);
        return;
      }
      bufferRef.current.push(message);
    };

    const onStatus = (status) => {
      if (cancelled) return;
      if (status === "connecting") setError(null);
      if (status === "open" && runStatusRef.current === "unknown") {
        runStatusRef.current = "running";
        setRunStatus("running");
      }
      setConnectionStatus(status);
    };

    // The token's own channel/topics are used when the hook was given none.
    const tokenInput = tokenInputRef.current;
    const fallback = tokenInput && typeof tokenInput === "object" && isSubscriptionToken(tokenInput) ? tokenInput : null;
    try {
      sub = subscribe({
        url: apiBaseUrl,
        channel: channel ?? fallback?.channel,
        topics: topics ?? fallback?.topics,
        token: resolveToken,
        onMessage: (message) => {
          if (!cancelled && appliedRef.current.accept(message)) applyMessage(message);
        },
        onStatus,
        onError: (err) => {
          if (!cancelled) setError(toError(err));
        },
        since: resumeSeqRef.current ?? undefined,
        validate,
        reconnect,
        reconnectMinMs,
        reconnectMaxMs,
        pauseOnHidden: false, // the hook pauses itself, to report pauseReason
        ...(socketImpl ? { WebSocket: socketImpl } : {}),
      });
    } catch (err) {
      setError(toError(err));
      setConnectionStatus("error");
      return undefined;
    }

    return () => {
      cancelled = true;
      flushBuffered();
      if (sub.lastSeq !== null) resumeSeqRef.current = sub.lastSeq;
      sub.close();
      setConnectionStatus((prev) => (prev === "open" ? "closed" : prev));
    };
    // The values that restart the connection: v4's list. `since` and `WebSocket` only seed one.
  }, [
    apiBaseUrl,
    autoCloseOnTerminal,
    channelKey,
    enabled,
    isVisible,
    key,
    pauseOnHidden,
    reconnect,
    reconnectMaxMs,
    reconnectMinMs,
    tokenInputKey,
    topicsKey,
    validate,
  ]);

  return {
    connectionStatus,
    runStatus,
    isPaused: connectionStatus === "paused",
    pauseReason,
    messages: { byTopic: messagesByTopic, all: allMessages, last: lastMessage, delta: messageDelta },
    result,
    error,
    reset,
  };
}

function defaultBaseUrl() {
  return typeof location !== "undefined" && location.origin && location.origin !== "null" ? location.origin : undefined;
}
