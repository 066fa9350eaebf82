#!/usr/bin/env bash
# presign_vs_botocore.sh - presigned URLs per second on one core: presignd's
# C signer and Debian's botocore, in the same run, and the ratio.
#
#   bench/presign_vs_botocore.sh [BUILD_DIR] [SECONDS]
#       BUILD_DIR defaults to build/gcc (needs bench/presign_bench built);
#       SECONDS per measurement, default 3.
#
# Both loops sign distinct keys (GET, virtual-hosted, eu-west-1, 300 s) with
# a warm signing key, pinned to the same CPU when taskset exists. The ratio
# is against the faster of botocore's two signers (CRT and pure Python).
# A benchmark, not a test: figures depend on the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/gcc}
seconds=${2:-3}
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

"${pin[@]}" "$build/bench/presign_bench" "$seconds" 1 >/tmp/presign_bench.$$
c_rate=$(awk '/^presigns\/s:/ {print $2}' /tmp/presign_bench.$$)
rm -f /tmp/presign_bench.$$
boto=$("${pin[@]}" /usr/bin/python3 bench/botocore_presign.py "$seconds")
best=$(echo "$boto" | awk '{print $NF}' | sort -n | tail -1)

printf '%-44s %12.0f\n' "presignd $(git describe --always 2>/dev/null) (C, 1 thread) presigns/s:" "$c_rate"
echo "$boto" | while read -r line; do
    printf '%-44s %12.0f\n' "${line% *}" "${line##* }"
done
awk -v a="$c_rate" -v b="$best" \
    'BEGIN { printf "%-44s %11.0fx\n", "ratio (presignd / fastest botocore):", a / b }'
