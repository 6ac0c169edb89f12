#!/usr/bin/env bash
# Fetch the assets of Capitole's GraphiQL page from the npm registry, for serving
# them ourselves (CAPITOLE_GRAPHIQL_ASSETS=DIR) instead of loading them from unpkg.
#
#   bash scripts/fetch-graphiql-assets.sh DIR
#
# DIR mirrors unpkg's layout, so the page uses the same paths under either root:
#   DIR/graphiql@4/graphiql.min.js           (UMD build; bundles graphql and codemirror)
#   DIR/graphiql@4/graphiql.min.css          (fonts and images are inlined as data: URLs)
#   DIR/react@18/umd/react.production.min.js
#   DIR/react-dom@18/umd/react-dom.production.min.js
# plus each package's LICENSE and package.json (for the exact version).
#
# Needs node/npm and access to the npm registry (npm's usual configuration applies,
# e.g. NPM_CONFIG_REGISTRY); nothing else is downloaded.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dest=$1

command -v npm >/dev/null || { echo "error: npm is required" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# spec | files to copy, relative to the package root
packages=(
  "graphiql@4|graphiql.min.js graphiql.min.css"
  "react@18|umd/react.production.min.js"
  "react-dom@18|umd/react-dom.production.min.js"
)

for entry in "${packages[@]}"; do
  spec=${entry%%|*}
  files=${entry#*|}
  name=${spec%@*}

  mkdir -p "$work/$name"
  tarball=$(cd "$work/$name" && npm pack --silent "$spec" | tail -n 1)
  tar -xzf "$work/$name/$tarball" -C "$work/$name"
  pkg=$work/$name/package
  version=$(node -p 'require(process.argv[1]).version' "$pkg/package.json")

  out=$dest/$spec
  rm -rf "$out"
  mkdir -p "$out"
  for f in $files; do
    if [[ ! -f "$pkg/$f" ]]; then
      echo "error: $spec ($version) has no $f" >&2
      exit 1
    fi
    mkdir -p "$out/$(dirname "$f")"
    cp "$pkg/$f" "$out/$f"
  done
  cp "$pkg/package.json" "$out/package.json"
  for lic in LICENSE LICENSE.md LICENSE.txt; do
    [[ -f "$pkg/$lic" ]] && cp "$pkg/$lic" "$out/$lic"
  done
  echo "$spec -> $name@$version: $files"
done

# The page loads nothing else; fail now rather than at a visitor's first request.
for f in graphiql@4/graphiql.min.js graphiql@4/graphiql.min.css \
         react@18/umd/react.production.min.js react-dom@18/umd/react-dom.production.min.js; do
  [[ -s "$dest/$f" ]] || { echo "error: missing $dest/$f" >&2; exit 1; }
done
if grep -Eq 'url\((["'\'']?)(\.|/|https?:)' "$dest/graphiql@4/graphiql.min.css"; then
  echo "warning: graphiql.min.css references files that were not copied" >&2
fi
echo "GraphiQL assets ready in $dest"
