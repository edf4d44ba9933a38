// Subscribes through the official inngest npm client and prints each message as a JSON line.
// Usage: node official_subscribe.mjs <apiBaseUrl> <channel> <topic,topic> <token> <count>
// Prints {"ready":true} once the socket is open, then one line per message, then exits.
import { subscribe } from "inngest/realtime";
import WebSocket from "ws";

// Node 20 has no global WebSocket; the official client looks for one when it connects.
if (typeof globalThis.WebSocket === "undefined") globalThis.WebSocket = WebSocket;

const [apiBaseUrl, channel, topics, key, count] = process.argv.slice(2);
const stream = await subscribe({ channel, topics: topics.split(","), key, apiBaseUrl });
console.log(JSON.stringify({ ready: true }));
let seen = 0;
for await (const message of stream) {
  console.log(JSON.stringify(message));
  if (++seen >= Number(count)) break;
}
stream.close();
process.exit(0);
