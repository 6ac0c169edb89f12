#!/usr/bin/env bash
# Fetch the files of Capitole's GraphiQL page from the npm registry, for serving them
# ourselves (CAPITOLE_GRAPHIQL_ASSETS=DIR) instead of loading them from unpkg.
#
#   bash scripts/fetch-graphiql-assets.sh DIR
#   bash scripts/fetch-graphiql-assets.sh --refresh-pins DIR
#
# The files, their exact versions and their integrity hashes are pinned in
# crates/api/src/http/graphiql-assets.txt (CAPITOLE_GRAPHIQL_PINS names another file).
# DIR mirrors unpkg's URLs for those versions, so the page uses the same paths under
# either root:
#   DIR/graphiql@4.1.2/graphiql.min.js                    (UMD build; bundles graphql and codemirror)
#   DIR/graphiql@4.1.2/graphiql.min.css                   (fonts and images are inlined as data: URLs)
#   DIR/react@18.3.1/umd/react.production.min.js
#   DIR/react-dom@18.3.1/umd/react-dom.production.min.js
# plus each package's LICENSE and package.json.
#
# Every file is checked against its pinned SHA-384 hash before it is copied into DIR; a
# mismatch fails and leaves DIR as it was. Files already in DIR with their pinned hash
# are kept, so a second run downloads nothing.
#
# --refresh-pins is for changing versions: edit the versions in the pins file, then run
# the script with it. It fetches those versions and writes their files' hashes into the
# pins file (and the files into DIR). Review the diff before committing it.
#
# Needs node/npm and access to the npm registry (npm's usual configuration applies,
# e.g. NPM_CONFIG_REGISTRY); nothing else is downloaded.
set -euo pipefail

refresh=false
if [[ ${1:-} == --refresh-pins ]]; then
  refresh=true
  shift
fi
if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 [--refresh-pins] DIR" >&2
  exit 2
fi
dest=$1
root=$(cd "$(dirname "$0")/.." && pwd)
pins=${CAPITOLE_GRAPHIQL_PINS:-$root/crates/api/src/http/graphiql-assets.txt}

command -v npm >/dev/null || { echo "error: npm is required" >&2; exit 1; }
command -v node >/dev/null || { echo "error: node is required" >&2; exit 1; }
[[ -f "$pins" ]] || { echo "error: no pins file at $pins" >&2; exit 1; }

# integrity FILE: its Subresource Integrity value, sha384-<base64>.
integrity() {
  node -e 'const c = require("crypto"), fs = require("fs");
    process.stdout.write("sha384-" + c.createHash("sha384").update(fs.readFileSync(process.argv[1])).digest("base64"));' "$1"
}

# The pins: package@version, file, integrity (comments and blank lines skipped).
specs=() files=() hashes=()
while read -r spec file hash _; do
  [[ -z "$spec" || "$spec" == \#* ]] && continue
  if [[ -z "$file" || -z "$hash" || "$spec" != ?*@[0-9]*.[0-9]*.[0-9]* ]]; then
    echo "error: $pins: expected 'package@x.y.z file sha384-…', got: $spec $file $hash" >&2
    exit 1
  fi
  specs+=("$spec") files+=("$file") hashes+=("$hash")
done <"$pins"
[[ ${#specs[@]} -gt 0 ]] || { echo "error: $pins pins no file" >&2; exit 1; }

in_place() {
  local i
  for i in "${!specs[@]}"; do
    local f=$dest/${specs[$i]}/${files[$i]}
    [[ -s "$f" && "$(integrity "$f")" == "${hashes[$i]}" ]] || return 1
  done
}
if ! $refresh && in_place; then
  echo "GraphiQL assets already in $dest, each matching its pinned hash"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Fetch each package once, check its version and the hashes of its files, then copy.
declare -A fetched=()
for spec in "${specs[@]}"; do
  [[ -n "${fetched[$spec]:-}" ]] && continue
  fetched[$spec]=1
  name=${spec%@*}
  version=${spec##*@}
  mkdir -p "$work/$spec"
  tarball=$(cd "$work/$spec" && npm pack --silent "$spec" | tail -n 1)
  tar -xzf "$work/$spec/$tarball" -C "$work/$spec"
  pkg=$work/$spec/package
  got=$(node -p 'require(process.argv[1]).version' "$pkg/package.json")
  if [[ "$got" != "$version" ]]; then
    echo "error: the registry answered $name@$got for $spec" >&2
    exit 1
  fi
  for i in "${!specs[@]}"; do
    [[ "${specs[$i]}" == "$spec" ]] || continue
    f=${files[$i]}
    [[ -f "$pkg/$f" ]] || { echo "error: $spec has no $f" >&2; exit 1; }
    actual=$(integrity "$pkg/$f")
    if $refresh; then
      hashes[$i]=$actual
    elif [[ "$actual" != "${hashes[$i]}" ]]; then
      echo "error: $spec/$f is $actual; $pins pins ${hashes[$i]}" >&2
      exit 1
    fi
  done
done

for spec in "${!fetched[@]}"; do
  pkg=$work/$spec/package
  out=$dest/$spec
  rm -rf "$out"
  mkdir -p "$out"
  for i in "${!specs[@]}"; do
    [[ "${specs[$i]}" == "$spec" ]] || continue
    mkdir -p "$out/$(dirname "${files[$i]}")"
    cp "$pkg/${files[$i]}" "$out/${files[$i]}"
  done
  cp "$pkg/package.json" "$out/package.json"
  for lic in LICENSE LICENSE.md LICENSE.txt; do
    if [[ -f "$pkg/$lic" ]]; then cp "$pkg/$lic" "$out/$lic"; fi
  done
  echo "$spec -> $out"
done

if $refresh; then
  updated=$work/pins
  i=0
  while IFS= read -r line; do
    read -r spec _ <<<"$line" || true
    if [[ -z "${spec:-}" || "$spec" == \#* ]]; then
      printf '%s\n' "$line"
    else
      printf '%-20s %-35s %s\n' "${specs[$i]}" "${files[$i]}" "${hashes[$i]}"
      i=$((i + 1))
    fi
  done <"$pins" >"$updated"
  cp "$updated" "$pins"
  echo "pins written to $pins; rebuild Capitole to serve them"
fi

in_place || { echo "error: the files in $dest do not match $pins" >&2; exit 1; }
for i in "${!specs[@]}"; do
  if [[ "${files[$i]}" == *.css ]] &&
    grep -Eq 'url\((["'\'']?)(\.|/|https?:)' "$dest/${specs[$i]}/${files[$i]}"; then
    echo "warning: ${specs[$i]}/${files[$i]} references files that were not copied" >&2
  fi
done
echo "GraphiQL assets ready in $dest"
