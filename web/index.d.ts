// Types for web/subscribe.js and web/useRealtime.js.

/** What `token()` may resolve to: the JWT itself, Inngest's `{key}` object, or the `{jwt}` body of
 * `POST /v1/realtime/token`. */
export type TokenValue = string | { key: string; apiBaseUrl?: string } | { jwt: string; apiBaseUrl?: string };

/** A channel by name, or an object with a name and (optionally) Standard Schema topic schemas. */
export type ChannelInput =
  | string
  | {
      name: string;
      topics?: Record<string, { schema?: { "~standard": { validate(value: unknown): unknown } } } | undefined>;
    };

/** A delivered message: inngest/realtime's message shape plus stepstream's `seq` and `id`. */
export interface RealtimeMessage<TData = unknown> {
  kind: "data" | "run";
  channel?: string;
  topic?: string;
  data: TData;
  runId?: string;
  fnId?: string;
  envId?: string;
  createdAt: Date;
  /** Per-channel, strictly increasing; pass the last one as `since` to resume. */
  seq?: number;
  /** Message id, for deduplication. */
  id?: string;
}

export type ConnectionStatus = "idle" | "connecting" | "open" | "paused" | "closed" | "error";

export interface SubscribeOptions {
  /** http(s) base of the stack (ws(s) also accepted); its path is kept. Defaults to the token's `apiBaseUrl`. */
  url?: string;
  channel?: ChannelInput;
  topics?: readonly string[];
  /** Called on every (re)connect for a fresh token. */
  token: (() => TokenValue | Promise<TokenValue>) | TokenValue;
  onMessage: (message: RealtimeMessage) => void;
  onStatus?: (status: ConnectionStatus) => void;
  /** Error frames, refused connects, token failures, throwing callbacks. Never fatal. */
  onError?: (error: Error & { code?: string }) => void;
  /** Resume after this seq on the first connect (0: the channel's whole kept history). */
  since?: number;
  signal?: AbortSignal;
  /** WebSocket implementation; default globalThis.WebSocket (pass `ws` in Node 20). */
  WebSocket?: new (url: string) => WebSocket;
  reconnect?: boolean;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  pauseOnHidden?: boolean;
  validate?: boolean;
  keepaliveMs?: number;
  document?: Pick<Document, "visibilityState" | "addEventListener" | "removeEventListener"> | null;
  random?: () => number;
}

export interface Subscription {
  close(): void;
  readonly lastSeq: number | null;
  readonly status: ConnectionStatus;
}

export declare function subscribe(options: SubscribeOptions): Subscription;
export declare function backoffDelay(attempt: number, minMs?: number, maxMs?: number, random?: () => number): number;
export declare function connectUrl(base: string, jwt: string, since?: number | null): string;

export type UseRealtimeRunStatus = "unknown" | "running" | "completed" | "failed" | "cancelled";
export type UseRealtimePauseReason = "hidden" | "disabled" | null;

export interface UseRealtimeOptions {
  channel?: ChannelInput;
  topics?: readonly string[];
  token?:
    | { key: string; apiBaseUrl?: string }
    | { channel: ChannelInput; topics: readonly string[]; key?: string; apiBaseUrl?: string }
    | (() => Promise<string | { key: string; apiBaseUrl?: string } | { channel: ChannelInput; topics: readonly string[]; key?: string; apiBaseUrl?: string }>);
  key?: string;
  enabled?: boolean;
  bufferInterval?: number;
  validate?: boolean;
  historyLimit?: number | null;
  apiBaseUrl?: string;
  reconnect?: boolean;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  pauseOnHidden?: boolean;
  autoCloseOnTerminal?: boolean;
  /** stepstream: seq to start after on the first connect (0: the channel's kept history). */
  since?: number;
  /** stepstream: WebSocket implementation (Node). */
  WebSocket?: new (url: string) => WebSocket;
}

export interface UseRealtimeResult {
  connectionStatus: ConnectionStatus;
  runStatus: UseRealtimeRunStatus;
  isPaused: boolean;
  pauseReason: UseRealtimePauseReason;
  messages: {
    byTopic: Record<string, RealtimeMessage | undefined>;
    all: RealtimeMessage[];
    last: RealtimeMessage | null;
    delta: RealtimeMessage[];
  };
  result: unknown;
  error: Error | null;
  reset: () => void;
}

export declare function useRealtime(options: UseRealtimeOptions): UseRealtimeResult;
