// Inngest's own client (inngest/realtime, v4) against a stepstream stack: gets its token from the
// stack's token endpoint with its own getSubscriptionToken, subscribes, prints {"ready":true},
// then one JSON line per message until the channel's `result` topic arrives.
// Usage: APP_ID=... INNGEST_SIGNING_KEY=... node official_subscribe_until_result.mjs <base url> <channel> <topic,topic>
import { Inngest } from "inngest";
import { getSubscriptionToken, subscribe } from "inngest/realtime";
import WebSocket from "ws";

// Node 20 has no global WebSocket; the official client uses the global one.
if (typeof globalThis.WebSocket === "undefined") globalThis.WebSocket = WebSocket;

const [baseUrl, channel, topicList] = process.argv.slice(2);
const topics = topicList.split(",");
const app = new Inngest({ id: process.env.APP_ID, baseUrl, signingKey: process.env.INNGEST_SIGNING_KEY });
const token = await getSubscriptionToken(app, { channel, topics });
const stream = await subscribe({ ...token, apiBaseUrl: baseUrl });
console.log(JSON.stringify({ ready: true }));
for await (const message of stream) {
  console.log(JSON.stringify(message));
  if (message.kind === "data" && message.topic === "result") break;
}
stream.close?.();
process.exit(0);
