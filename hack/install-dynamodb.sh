#!/usr/bin/env bash
# Installs the local DynamoDB-compatible server (moto, which implements DynamoDB and DynamoDB
# Streams, and cheroot, the HTTP server hack/dynamodb/serve.py runs it under) into a Python
# virtualenv under $INFERCTL_CACHE, once. Prints the path of its moto_server executable (serve.py
# runs under the Python beside it). See docs/decisions/0002-local-servers.md for why not DynamoDB
# Local.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need python3 "install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)"

version="$(tr -d '[:space:]' < "$HACK_DIR/dynamodb/moto.version")"
cheroot="$(tr -d '[:space:]' < "$HACK_DIR/dynamodb/cheroot.version")"
entry="moto-$version-cheroot-$cheroot"
out="$INFERCTL_CACHE/$entry"
stamp="$out/.complete"
complete() { [[ -f "$stamp" && -x "$out/venv/bin/moto_server" ]]; }
use_cached_or_lock "$entry" "$out/venv/bin/moto_server"
rm -rf "$out" && mkdir -p "$out"
echo "inferctl: installing the local DynamoDB server (moto $version, cheroot $cheroot) into $out" >&2
python3 -m venv "$out/venv" >&2 || die "python3 could not create a virtualenv: install python3-venv (Debian: apt-get install python3-venv)"
"$out/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server,dynamodb]==$version" "cheroot==$cheroot" >&2
date -u +%FT%TZ > "$stamp"
echo "$out/venv/bin/moto_server"
