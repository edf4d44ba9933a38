// Subscribes through the official inngest npm client and prints each message as a JSON line.
// Usage: node official_subscribe.mjs <apiBaseUrl> <channel> <topic,topic> <token> <count>
// With <token> "--fetch", the token comes from the official client's getSubscriptionToken (POST
// <apiBaseUrl>/v1/realtime/token with the hashed signing key from INNGEST_SIGNING_KEY).
// Prints {"ready":true} once the socket is open, then one line per message, then exits.
import { Inngest } from "inngest";
import { getSubscriptionToken, subscribe } from "inngest/realtime";
import WebSocket from "ws";

// Node 20 has no global WebSocket; the official client looks for one when it connects.
if (typeof globalThis.WebSocket === "undefined") globalThis.WebSocket = WebSocket;

const [apiBaseUrl, channel, topicList, key, count] = process.argv.slice(2);
const topics = topicList.split(",");
let token = { channel, topics, key, apiBaseUrl };
if (key === "--fetch") {
  const app = new Inngest({ id: process.env.APP_ID, baseUrl: apiBaseUrl, signingKey: process.env.INNGEST_SIGNING_KEY });
  token = await getSubscriptionToken(app, { channel, topics });
  console.error(JSON.stringify({ fetched: typeof token.key, apiBaseUrl: token.apiBaseUrl }));
}
const stream = await subscribe(token);
console.log(JSON.stringify({ ready: true }));
let seen = 0;
for await (const message of stream) {
  console.log(JSON.stringify(message));
  if (++seen >= Number(count)) break;
}
stream.close();
process.exit(0);
