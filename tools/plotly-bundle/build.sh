#!/usr/bin/env bash
# Rebuilds static/vendor/plotly/: plotly.js from the npm registry (versions
# pinned in package-lock.json) with only the traces in entry.js, bundled and
# minified by esbuild, plus the licenses of everything bundled. node_modules
# lives in a temporary folder, never in the repository.
# Run: tools/plotly-bundle/build.sh   (needs node and npm)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../static/vendor/plotly"
version=$(node -p 'require(process.argv[1]).devDependencies["plotly.js"]' "$here/package.json")
bundle="plotly-klips-$version.min.js"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$here/entry.js" "$work/"
cd "$work"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# The same esbuild settings as plotly.js's own dist builds (esbuild-config.js);
# CSS is empty because the only stylesheet Plotly imports is for map traces.
mkdir -p "$out"
rm -f "$out"/plotly-klips-*.min.js
node_modules/.bin/esbuild entry.js \
  --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --loader:.css=empty \
  --legal-comments=eof --metafile=meta.json --log-level=warning \
  --banner:js="/* plotly.js v$version (MIT), HarvestDash's partial bundle: tools/plotly-bundle/ */" \
  --outfile="$out/$bundle"

# One licenses file: that of each package with bytes in the bundle, plotly.js's
# included.
node - "$out/LICENSE.txt" <<'JS'
const fs = require("fs");
const path = require("path");
const meta = JSON.parse(fs.readFileSync("meta.json", "utf8"));
const packages = new Set();
for (const output of Object.values(meta.outputs)) {
  for (const [input, used] of Object.entries(output.inputs)) {
    if (!used.bytesInOutput) continue;
    const match = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (match) packages.add(match[1]);
  }
}
const sections = [...packages].sort().map((folder) => {
  const info = JSON.parse(fs.readFileSync(path.join(folder, "package.json"), "utf8"));
  const file = fs
    .readdirSync(folder)
    .find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  const text = file
    ? fs.readFileSync(path.join(folder, file), "utf8").trim()
    : `License: ${info.license} (no license file in the package)`;
  return `${info.name} ${info.version}\n${"-".repeat(72)}\n${text}\n`;
});
fs.writeFileSync(process.argv[2], sections.join("\n"));
JS
echo "built static/vendor/plotly/$bundle ($(wc -c < "$out/$bundle") bytes)"
