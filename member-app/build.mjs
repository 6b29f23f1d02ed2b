// Build the member app into the Python package's static folder (halqa serves it; no CDN).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";

const out = "../src/halqa/web/static/m";
mkdirSync(out, { recursive: true });
const common = { bundle: true, minify: true, target: "es2022", legalComments: "none", logLevel: "warning" };
await build({ ...common, entryPoints: ["src/main.js"], outfile: `${out}/app.js`, format: "iife" });
for (const f of ["index.html", "app.css", "manifest.webmanifest", "icon.svg", "icon-shopping.svg", "icon-recipes.svg"]) copyFileSync(`src/${f}`, `${out}/${f}`);
const version = createHash("sha256").update(readFileSync(`${out}/app.js`)).update(readFileSync(`${out}/index.html`))
  .update(readFileSync(`${out}/app.css`)).digest("hex").slice(0, 12);
await build({ ...common, entryPoints: ["src/sw.js"], outfile: `${out}/sw.js`, define: { __VERSION__: JSON.stringify(version) } });
