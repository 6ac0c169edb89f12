#!/usr/bin/env bash
# Checks the deployment files with the tools their formats come with, offline:
#   - deploy/kubernetes: every manifest against Kubernetes' own schemas
#     (kubernetes-validate, from PyPI, which ships them), strictly (no unknown fields);
#   - deploy/compose: the Compose file as docker-compose reads it (Debian's package);
#   - both: every CAPITOLE_* setting they set is one Capitole has
#     (docs/configuration.md), the probes and ports are Capitole's, and the grace period
#     outlasts the drain timeout;
#   - the Dockerfile: built when a container engine answers (`docker info`); otherwise a
#     notice says it was not.
#
#   bash scripts/check-deploy.sh
#
# Installs what it lacks (docker-compose from Debian as root; kubernetes-validate into a
# virtual environment under $CARGO_TARGET_DIR or target/, kept for the next run).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cache=$target/deploy-check
kubernetes_version=1.31.0
validator_version=1.37.0

# shellcheck source=scripts/common.sh
source "$root/scripts/common.sh"

# --- Kubernetes -------------------------------------------------------------------------
venv=$cache/venv
if [[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null)" != "$validator_version" ]]; then
  log "installing kubernetes-validate $validator_version from PyPI"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$validator_version"
fi
log "Kubernetes manifests against the schemas of Kubernetes $kubernetes_version"
manifests=()
for file in "$root"/deploy/kubernetes/*.yaml; do
  [[ $(basename "$file") == kustomization.yaml ]] && continue
  manifests+=("$file")
done
"$venv/bin/kubernetes-validate" --strict --kubernetes-version "$kubernetes_version" "${manifests[@]}"
# Every resource kustomization.yaml names exists, and every manifest but the example
# secret is named there.
for file in "${manifests[@]}"; do
  name=$(basename "$file")
  [[ $name == secret.example.yaml ]] && continue
  grep -qE "^  - $name\$" "$root/deploy/kubernetes/kustomization.yaml" ||
    die "deploy/kubernetes/kustomization.yaml does not list $name"
done
while read -r name; do
  [[ -f "$root/deploy/kubernetes/$name" ]] || die "kustomization.yaml lists $name, which does not exist"
done < <(sed -n 's/^  - \(.*\.yaml\)$/\1/p' "$root/deploy/kubernetes/kustomization.yaml")

# --- Compose ----------------------------------------------------------------------------
if ! command -v docker-compose >/dev/null; then
  log "installing docker-compose from Debian"
  apt_install docker-compose
fi
log "the Compose file as $(docker-compose version --short 2>/dev/null || echo docker-compose) reads it"
CAPITOLE_JWT_KEYS=check:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA== \
  docker-compose --project-directory "$root/deploy/compose" -f "$root/deploy/compose/compose.yaml" config -q

# --- What the files say of Capitole -------------------------------------------------------
log "settings, probes and grace periods"
documented=$(grep -oE '`CAPITOLE_[A-Z0-9_]+`' "$root/docs/configuration.md" | tr -d '`' | sort -u)
for setting in $(grep -ohE 'CAPITOLE_[A-Z0-9_]+' "$root"/deploy/kubernetes/*.yaml "$root"/deploy/compose/compose.yaml | sort -u); do
  [[ $setting == CAPITOLE_DB_PASSWORD ]] && continue # the Compose file's own variable
  grep -qx "$setting" <<<"$documented" || die "$setting, set in deploy/, is not a Capitole setting"
done
deployment=$root/deploy/kubernetes/deployment.yaml
grep -q 'path: /healthz' "$deployment" && grep -q 'path: /readyz' "$deployment" ||
  die "the deployment's probes must be /healthz (alive) and /readyz (ready)"
grace=$(sed -n 's/.*terminationGracePeriodSeconds: \([0-9]*\).*/\1/p' "$deployment")
drain=$(sed -n 's/.*CAPITOLE_DRAIN_TIMEOUT_MS: "\([0-9]*\)".*/\1/p' "$root/deploy/kubernetes/configmap.yaml")
(( drain < grace * 1000 )) || die "CAPITOLE_DRAIN_TIMEOUT_MS ($drain ms) must end before the grace period ($grace s)"

# --- The image --------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
  log "building the image"
  docker build -t capitole:check "$root"
else
  echo "notice: no container engine answers here (docker info); the Dockerfile was not built"
fi
log "deployment files check out"
