#!/usr/bin/env bash
# check-function-length.sh - fails when a C function body is longer than the
# ceiling (default 120 lines); lists those over 80 as a reminder.
#
# Relies on the checked-in .clang-format (Linux braces): a function body
# opens with '{' alone in column 0 and closes with '}' in column 0, so plain
# text matching finds them without a C parser.
#   check-function-length.sh [CEILING]
set -euo pipefail
cd "$(dirname "$0")/.."
ceiling=${1:-120}
mapfile -t files < <(git ls-files '*.c' 2>/dev/null || find src tests bench -name '*.c')
[ ${#files[@]} -gt 0 ] || exit 0
awk -v ceiling="$ceiling" '
    FNR == 1 { start = 0 }
    /^\{$/ { start = FNR; name = prev }
    /^\}/ && start {
        n = FNR - start - 1
        if (n > 80) {
            printf "%s:%d: %d lines: %s\n", FILENAME, start, n, name
            if (n > ceiling) bad++
        }
        start = 0
    }
    { prev = $0 }
    END {
        if (bad) {
            printf "%d function(s) over %d lines: split them into named steps\n",
                   bad, ceiling > "/dev/stderr"
            exit 1
        }
    }' "${files[@]}"
