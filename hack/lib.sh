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

# Two checkouts (or two test runs) may install the same cache entry at once; without a lock one
# would delete the other's half-written directory. The lock is held until the script exits (the
# kernel drops it with the descriptor), so callers re-check the stamp after taking it: the run
# that waited usually finds the entry the other one just completed.
lock_cache_entry() { # lock_cache_entry NAME
  need flock "install util-linux (Debian: apt-get install util-linux)"
  mkdir -p "$INFERCTL_CACHE"
  exec 9>"$INFERCTL_CACHE/$1.lock"
  if ! flock -n 9; then
    echo "inferctl: another run is installing $INFERCTL_CACHE/$1; waiting for it" >&2
    flock 9
  fi
}

# use_cached_or_lock ENTRY RESULT: when the caller's `complete` function says the cache entry is
# there, prints RESULT and exits; otherwise takes the entry's lock (waiting out a concurrent
# install) and looks again, so the caller goes on to install only when no other run did.
use_cached_or_lock() {
  if complete; then echo "$2"; exit 0; fi
  lock_cache_entry "$1"
  if complete; then echo "$2"; exit 0; fi
}
