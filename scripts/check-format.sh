#!/usr/bin/env bash
# check-format.sh - fails when a C file is not formatted by .clang-format.
#   check-format.sh          check (CI)
#   check-format.sh --fix    rewrite the files in place
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null ||
                     find src include tests bench -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || exit 0
if [ "${1:-}" = --fix ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/presignd-format.$$; then
    grep -E '^[^ ].*: (error|warning):' /tmp/presignd-format.$$ | cut -d: -f1 | sort -u |
        sed 's/^/not formatted: /' >&2
    rm -f /tmp/presignd-format.$$
    echo "run scripts/check-format.sh --fix" >&2
    exit 1
fi
rm -f /tmp/presignd-format.$$
echo "format: ${#files[@]} files ok"
