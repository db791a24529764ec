#!/usr/bin/env bash
# Type-checks every workspace package with its own tsconfig (web gets DOM types, the rest Node's).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for p in shared agent hub web cli sim test; do
  pnpm exec tsc -p "$p" || status=1
done
exit $status
