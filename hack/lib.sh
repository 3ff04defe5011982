# Shared helpers for the hack/ scripts. Sourced, not run.
set -euo pipefail

HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFERCTL_CACHE="${INFERCTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inferctl}"

die() { echo "inferctl: $*" >&2; exit 1; }

need() { # need CMD "how to install"
  command -v "$1" >/dev/null 2>&1 || die "missing prerequisite '$1': $2"
}

# A cache entry is complete only when its stamp exists; the stamp is written last, so an
# interrupted build leaves no stamp and is rebuilt from scratch next time.
cache_key() { # cache_key FILE... -> short content hash of the inputs
  cat "$@" | sha256sum | cut -c1-16
}
