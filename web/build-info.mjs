// Writes ../graphsvc/api/explorer/build-info.json after `vite build`: a sha256 over the explorer's sources and
// lock file, so a test can tell that the committed bundle was built from the committed sources.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const here = import.meta.dirname;
export function sources() {
  const files = ["index.html", "formats.html", "package.json", "package-lock.json", "vite.config.js", "build-info.mjs"];
  for (const name of readdirSync(join(here, "src")).sort()) files.push(`src/${name}`);
  return files;
}
const hash = createHash("sha256");
for (const f of sources()) {
  hash.update(f + "\0");
  hash.update(readFileSync(join(here, f)).toString("utf8").replace(/\r\n/g, "\n"));
  hash.update("\0");
}
const out = resolve(here, "../graphsvc/api/explorer/build-info.json");
writeFileSync(out, JSON.stringify({ sources_sha256: hash.digest("hex"), files: sources() }, null, 1) + "\n");
console.log(`wrote ${relative(process.cwd(), out)}`);
