// A run's cost ledger (GET /v1/runs/{id} `cost`) on the run page, and each function's cost per
// day on the functions page, summed in the browser over the newest runs the API lists.
import { api } from "./api.js";
import { h } from "./ui.js";

const LABELS = {
  dynamodb_requests: "DynamoDB requests",
  dynamodb_read_units: "DynamoDB read units",
  dynamodb_write_units: "DynamoDB write units",
  sqs_requests: "SQS requests",
  sqs_billed_requests: "SQS billed requests (64 KB)",
  s3_put_requests: "S3 PUT requests",
  s3_get_requests: "S3 GET requests",
  s3_bytes_in: "S3 bytes in",
  s3_bytes_out: "S3 bytes out",
  websocket_messages: "@connections messages",
  websocket_units: "WebSocket units (32 KB)",
  lambda_invocations: "Lambda invocations",
  lambda_gb_seconds: "Lambda GB-seconds",
};
export const RUNS_SUMMED = 500;

export function usd(value) {
  if (!value) return "$0";
  if (value >= 0.01) return `$${value.toFixed(4)}`;
  const digits = Math.min(12, 2 - Math.floor(Math.log10(value)));  // three significant digits
  return `$${value.toFixed(digits).replace(/0+$/, "")}`;
}

function label(unit) {
  if (LABELS[unit]) return LABELS[unit];
  const [kind, model] = unit.split("#");
  return `${kind === "bedrock_input_tokens" ? "input" : "output"} tokens · ${model}`;
}

function number(value) {
  return Number.isInteger(value) ? value.toLocaleString() : value.toFixed(3);
}

// The run page's card: the estimate, the lines by service and every counted unit.
export function costCard(run) {
  const cost = run.cost;
  if (!cost) {
    return h("section", { class: "card", id: "run-cost" }, h("h2", {}, "Cost"),
      h("div", { class: "sub" }, "not counted yet: the ledger is written when an invocation ends"));
  }
  const lines = Object.entries(cost.lines).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${usd(v)}`).join(" · ");
  const where = cost.region_fallback
    ? `${cost.region || "unknown region"} priced as ${cost.region_priced}`
    : cost.region_priced;
  return h(
    "section",
    { class: "card", id: "run-cost" },
    h("h2", {}, "Cost ", h("span", { class: "mono", id: "run-cost-usd" }, usd(cost.usd)),
      h("span", { class: "sub" }, ` · $${(cost.usd * 1e6).toFixed(2)} per million such runs`)),
    h("div", { class: "sub" }, `${lines || "—"} · list prices of ${where} on ${cost.prices_date}`),
    h("table", { class: "grid" }, h("tbody", {}, Object.entries(cost.units).sort().map(([unit, value]) =>
      h("tr", {}, h("td", {}, label(unit)), h("td", { class: "mono" }, number(value))),
    ))),
  );
}

// Cost per function per UTC day over the newest runs: { fn: [[day, usd, runs], ...] }.
export async function costByFunctionDay() {
  const runs = await api.runs(RUNS_SUMMED);
  const out = {};
  for (const run of runs) {
    if (!run.cost || !run.created_at) continue;
    const day = String(run.created_at).slice(0, 10);
    const days = (out[run.function_id] ||= {});
    const entry = (days[day] ||= [0, 0]);
    entry[0] += run.cost.usd;
    entry[1] += 1;
  }
  return Object.fromEntries(Object.entries(out).map(([fn, days]) =>
    [fn, Object.entries(days).sort().reverse().map(([day, [total, count]]) => [day, total, count])]));
}

// A function card's line: "cost per day: 2026-11-25 $0.0012 (3 runs) · ...".
export function costLine(perDay) {
  if (!perDay || !perDay.length) return h("div", { class: "sub cost" }, "cost per day: none counted yet");
  return h("div", { class: "sub cost" }, "cost per day: ",
    perDay.slice(0, 7).map(([day, total, count]) => `${day} ${usd(total)} (${count} run${count === 1 ? "" : "s"})`).join(" · "));
}
