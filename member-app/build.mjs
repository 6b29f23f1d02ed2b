// Build the member app into the Python package's static folder (halqa serves it; no CDN).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";

const out = "../src/halqa/web/static/m";
mkdirSync(out, { recursive: true });
// The app's words come from halqa's catalogues (src/halqa/i18n/<lang>.member.json), where the
// catalogue tests check every language has every id; only the app's ids are embedded.
const catalogues = {
  name: "halqa-catalogues",
  setup(b) {
    b.onResolve({ filter: /^halqa:catalogues$/ }, (args) => ({ path: args.path, namespace: "halqa" }));
    b.onLoad({ filter: /.*/, namespace: "halqa" }, () => {
      const words = {};
      for (const lang of ["ar", "ckb", "en"]) {
        const path = `../src/halqa/i18n/${lang}.member.json`;
        const all = JSON.parse(readFileSync(path, "utf8"));
        words[lang] = Object.fromEntries(Object.entries(all).filter(([id]) => /^(app\.|member\.look\.)/.test(id)));
      }
      return { contents: JSON.stringify(words), loader: "json", watchFiles: [] };
    });
  },
};
const common = { bundle: true, minify: true, target: "es2022", legalComments: "none", logLevel: "warning" };
await build({ ...common, entryPoints: ["src/main.js"], outfile: `${out}/app.js`, format: "iife", plugins: [catalogues] });
for (const f of ["index.html", "app.css", "manifest.webmanifest", "icon.svg", "icon-shopping.svg", "icon-recipes.svg"]) copyFileSync(`src/${f}`, `${out}/${f}`);
const version = createHash("sha256").update(readFileSync(`${out}/app.js`)).update(readFileSync(`${out}/index.html`))
  .update(readFileSync(`${out}/app.css`)).digest("hex").slice(0, 12);
await build({ ...common, entryPoints: ["src/sw.js"], outfile: `${out}/sw.js`, define: { __VERSION__: JSON.stringify(version) } });
