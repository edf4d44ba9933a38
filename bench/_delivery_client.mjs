// A subscriber for bench/delivery.py: prints {"ready":true} once subscribed, then one line per
// token message, {"i": <token number>, "t": <publish ms>, "r": <receive ms>}, until it has
// <count> of them, then {"cpu": <this process's CPU seconds since it was ready>}. Receive times
// are taken here, as the message reaches the caller.
// Usage: node _delivery_client.mjs ours|official <gatewayBaseUrl> <channel> <topic> <jwt> <count>
import WebSocket from "ws";

if (typeof globalThis.WebSocket === "undefined") globalThis.WebSocket = WebSocket;

const [client, base, channel, topic, jwt, count] = process.argv.slice(2);
const wanted = Number(count);
let seen = 0;
let cpuAtReady = { user: 0, system: 0 };

function received(message) {
  const data = message?.data;
  if (message?.kind !== "data" || !data || typeof data.i !== "number" || data.i < 0) return;
  process.stdout.write(`${JSON.stringify({ i: data.i, t: data.t, r: Date.now() })}\n`);
  if (++seen >= wanted) {
    const { user, system } = process.cpuUsage(cpuAtReady);
    process.stdout.write(`${JSON.stringify({ cpu: (user + system) / 1e6 })}\n`);
    process.exit(0);
  }
}

if (client === "ours") {
  const { subscribe } = await import("../web/subscribe.js");
  subscribe({
    url: base,
    channel,
    topics: [topic],
    token: jwt,
    validate: false,
    onMessage: received,
    onStatus: (status) => {
      if (status === "open") cpuAtReady = process.cpuUsage();
      if (status === "open") process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
    },
    onError: (error) => process.stderr.write(`${error}\n`),
  });
} else {
  const { subscribe } = await import("inngest/realtime");
  const stream = await subscribe({ channel, topics: [topic], key: jwt, apiBaseUrl: base });
  cpuAtReady = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  for await (const message of stream) received(message);
}
