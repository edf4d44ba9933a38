// Builds the React demo (generate-response) into web/demos/generate-response/app.js, which is
// committed so that `make dev` and `make test` need no build step. After changing a demo's source
// (or web/useRealtime.js, web/subscribe.js and web/subscribe/*, stack.js), run:
//   npm ci --prefix web/demos && node web/demos/build.mjs
// The bundle's first line records a hash of its sources; tests/e2e check it is current.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
export const SOURCES = [
  "web/demos/generate-response/main.jsx",
  "web/demos/generate-response/AIStream.jsx",
  "web/demos/stack.js",
  "web/useRealtime.js",
  "web/subscribe.js",
  "web/subscribe/backoff.js",
  "web/subscribe/dedupe.js",
  "web/subscribe/frames.js",
  "web/subscribe/machine.js",
];

export function sourcesHash() {
  const hash = createHash("sha256");
  for (const source of SOURCES) hash.update(source).update("\0").update(readFileSync(join(root, source))).update("\0");
  return hash.digest("hex");
}

const outfile = join(here, "generate-response", "app.js");
const result = await build({
  entryPoints: [join(here, "generate-response", "main.jsx")],
  bundle: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  minify: true,
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  write: false,
  metafile: true,
  absWorkingDir: root,
  logLevel: "warning",
});
// The hash must cover every project file in the bundle, or a change to an unlisted one would
// leave a stale bundle that the test still takes as current.
const unlisted = Object.keys(result.metafile.inputs).filter((input) => !input.includes("node_modules/") && !SOURCES.includes(input));
if (unlisted.length > 0) throw new Error(`web/demos/build.mjs: add ${unlisted.join(", ")} to SOURCES`);
const banner = `// built by web/demos/build.mjs from ${SOURCES.length} sources, sha256 ${sourcesHash()}\n`;
writeFileSync(outfile, banner + result.outputFiles[0].text);
console.log(`${relative(root, outfile)}: ${(result.outputFiles[0].contents.length / 1024).toFixed(0)} KiB`);
