// Builds the browser pages under web/pages/ (React + inngest/react + stepstream's hook) into
// web/dist/, which the dev stack serves as static files. `npm run build`; see docs/web.md.
import { readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const pages = Object.fromEntries(
  readdirSync(resolve(here, "pages"))
    .filter((name) => name.endsWith(".html"))
    .map((name) => [name.replace(/\.html$/, ""), resolve(here, "pages", name)]),
);

export default defineConfig({
  root: here,
  // Relative asset URLs, so the build works under any mount path (/web/, a CloudFront prefix).
  base: "./",
  build: {
    outDir: resolve(here, "dist"),
    emptyOutDir: true,
    rollupOptions: { input: pages },
    sourcemap: true,
  },
  logLevel: "warn",
});
