#!/usr/bin/env bash
# `npm run test:lts`: the checks that need no servers — types, generated files, the build and the
# unit tier — on the Node.js LTS the image runs (hack/node/lts.version, installed into the cache by
# hack/install-node.sh), whatever Node this machine has. Not part of `npm test`: the first run
# downloads ~50 MB.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node_bin="$(bash hack/install-node.sh "$@")"
export PATH="$(dirname "$node_bin"):$PATH"
echo "== node $(node --version) ($node_bin)"
echo "== types"; node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
echo "== generated files"; node --import tsx scripts/generate.ts --check
echo "== unit"; node node_modules/vitest/vitest.mjs run --project unit
