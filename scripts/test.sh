#!/usr/bin/env bash
# test.sh - the whole test suite, from a fresh Debian 12 machine (as root).
#
# Installs what it needs, checks formatting, builds with gcc and with clang
# (warnings are errors), runs every test (unit, database, object store,
# browser, botocore cross-check) in the gcc build, then runs the whole suite
# again in an AddressSanitizer + UBSan build. .ci/run calls exactly this.
#
#   scripts/test.sh             everything
#   TEST_FAST=1 scripts/test.sh skip the clang and sanitizer builds
#   CTEST_ARGS="-L unit"        pass extra arguments to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
export AWS_EC2_METADATA_DISABLED=true

bash scripts/install-deps.sh all
bash scripts/check-format.sh
bash scripts/check-function-length.sh

jobs=$(nproc)
build() { # build DIR CC [cmake args...]
    local dir=$1 cc=$2
    shift 2
    CC=$cc cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}
run_ctest() { # run_ctest DIR
    # shellcheck disable=SC2086
    (cd "$1" && ctest --output-on-failure --timeout 600 -j "$jobs" ${CTEST_ARGS:-})
}

echo "== gcc build, full suite"
build build/gcc gcc
run_ctest build/gcc
if [ "${TEST_FAST:-0}" = 1 ]; then
    exit 0
fi

echo "== clang build (warnings are errors)"
build build/clang clang -DPRESIGND_TESTS=OFF

echo "== ASan + UBSan build, full suite"
build build/asan clang -DPRESIGND_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest build/asan
echo "== all test runs passed"
