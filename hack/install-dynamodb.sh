#!/usr/bin/env bash
# Installs the local DynamoDB-compatible server (moto's server mode, which implements DynamoDB
# and DynamoDB Streams) into a Python virtualenv under $INFERCTL_CACHE, once. Prints the path
# of its moto_server executable. See docs/decisions/0002-local-dynamodb.md for why not
# DynamoDB Local.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need python3 "install Python 3.9 or newer (Debian: apt-get install python3 python3-venv)"

version="$(tr -d '[:space:]' < "$HACK_DIR/dynamodb/moto.version")"
out="$INFERCTL_CACHE/moto-$version"
stamp="$out/.complete"
complete() { [[ -f "$stamp" && -x "$out/venv/bin/moto_server" ]]; }
use_cached_or_lock "moto-$version" "$out/venv/bin/moto_server"
rm -rf "$out" && mkdir -p "$out"
echo "inferctl: installing the local DynamoDB server (moto $version) into $out" >&2
python3 -m venv "$out/venv" >&2 || die "python3 could not create a virtualenv: install python3-venv (Debian: apt-get install python3-venv)"
"$out/venv/bin/pip" install --quiet --disable-pip-version-check "moto[server,dynamodb]==$version" >&2
date -u +%FT%TZ > "$stamp"
echo "$out/venv/bin/moto_server"
