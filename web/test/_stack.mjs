// Starts the real Python realtime stack (tests/web/_stack.py: moto + template.yaml + the local
// API Gateway WebSocket emulator + a control server) for the integration tests.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PYTHON = process.env.STEPSTREAM_PYTHON ?? join(ROOT, ".venv", "bin", "python");

export async function startStack() {
  if (!existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is missing: run \`make test\` (or \`python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'\`) first`);
  }
  const child = spawn(PYTHON, [join(ROOT, "tests", "web", "_stack.py")], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stack did not start in 30 s:\n${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).once("line", (first) => {
      clearTimeout(timer);
      resolve(first);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the stack exited with ${code}:\n${stderr}`));
    });
  });
  const { gateway, control } = JSON.parse(line);
  const call = async (method, path, body) => {
    const response = await fetch(control + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    gateway,
    control,
    stderr: () => stderr,
    token: async (channel, topics) => (await call("POST", "/token", { channel, topics })).jwt,
    publish: (channel, topic, data, extra = {}) => call("POST", "/publish", { channel, topic, data, ...extra }),
    runStatus: (body) => call("POST", "/run-status", body),
    connections: async () => (await call("GET", "/connections")).ids,
    kill: (id) => call("DELETE", `/connections/${encodeURIComponent(id)}`),
    stats: () => call("GET", "/stats"),
    async stop() {
      child.stdin.end();
      await new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
