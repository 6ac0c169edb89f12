# What the check scripts share; sourced, not run:
#   source "$root/scripts/common.sh"

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_install PACKAGE...: installs Debian packages (refreshing the lists once if needed).
apt_install() {
  [[ $(id -u) -eq 0 ]] || die "missing $*: install them (as root: apt-get install $*)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}
