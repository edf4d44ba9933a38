// Send events with the official inngest npm client, exactly as an app would, and print the
// result as one JSON line: {"single": [...ids], "batch": [...ids]} or {"error": "..."}.
// Usage: node official_send.mjs <base url> <event key>
import { Inngest } from "inngest";

const [baseUrl, eventKey] = process.argv.slice(2);
const inngest = new Inngest({ id: "http-tests", eventKey, baseUrl, isDev: false });

try {
  const single = await inngest.send({ name: "test/greet", data: { who: "node" } });
  const batch = await inngest.send([
    { name: "test/greet", data: { who: "a" }, user: { id: "u1" } },
    { name: "test/other", id: "node-dedupe", data: { n: 1 }, v: "2024-01-01.1" },
  ]);
  console.log(JSON.stringify({ single: single.ids, batch: batch.ids }));
} catch (err) {
  console.log(JSON.stringify({ error: String(err && err.message ? err.message : err) }));
}
