// Builds the React demo (generate-response) into web/demos/generate-response/app.js, which is
// committed so that `make dev` and `make test` need no build step. After changing a demo's source
// (or web/useRealtime.js, web/subscribe.js, stack.js), run:
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
  logLevel: "warning",
});
const banner = `// built by web/demos/build.mjs from ${SOURCES.length} sources, sha256 ${sourcesHash()}\n`;
writeFileSync(outfile, banner + result.outputFiles[0].text);
console.log(`${relative(root, outfile)}: ${(result.outputFiles[0].contents.length / 1024).toFixed(0)} KiB`);
