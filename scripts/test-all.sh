#!/usr/bin/env bash
# Every check, in the order a failure is cheapest to find: lint, types, generated files, build,
# unit tests, then the integration tests against real servers (built or installed into
# ~/.cache/inferctl on first use).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

echo "== lint"; npx biome ci .
echo "== types"; npx tsc -p tsconfig.json --noEmit
echo "== generated files"; npm run --silent verify
echo "== build"; npm run --silent build
echo "== servers"; bash hack/build-kube.sh >/dev/null; bash hack/install-dynamodb.sh >/dev/null
status=0
echo "== unit"; npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json" || status=1
echo "== integration"; npx vitest run --project integration --reporter=default --reporter=json --outputFile="$results/integration.json" || status=1
node scripts/summarise-tests.mjs "$results/unit.json" "$results/integration.json"
exit $status
