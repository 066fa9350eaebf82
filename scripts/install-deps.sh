#!/usr/bin/env bash
# install-deps.sh - installs the Debian 12 packages presignd needs.
#
#   install-deps.sh runtime   the shared libraries the binary links against
#   install-deps.sh build     compilers, headers, CMake, cmocka
#   install-deps.sh test      servers and tools the test suite starts
#                             (PostgreSQL, Ceph radosgw, Chromium, botocore...)
#   install-deps.sh bench     peers the benchmarks compare with (nginx, wrk,
#                             FastAPI/uvicorn/boto3)
#   install-deps.sh all       everything above
#
# CI (.ci/run via scripts/test.sh), the demo and docker/Dockerfile all call
# this one script, so the tested install path and the image's cannot drift.
# Non-interactive; waits for the dpkg lock; installs only what is missing.
set -euo pipefail

runtime=(ca-certificates libssl3 libcurl4 libpq5 libmicrohttpd12 libjansson4
         libexpat1 libjwt0)
build=(build-essential clang clang-format cmake pkg-config git libssl-dev
       libcurl4-openssl-dev libpq-dev libmicrohttpd-dev libjansson-dev
       libexpat1-dev libjwt-dev libcmocka-dev libclang-rt-14-dev)
test=(postgresql postgresql-client ceph-mon ceph-osd radosgw ceph-common
      awscli curl chromium python3 python3-pytest python3-psycopg2
      python3-botocore imagemagick fonts-dejavu-core fonts-dejavu-extra
      procps iproute2 util-linux)
bench=(nginx-light wrk python3-fastapi python3-uvicorn python3-boto3 time)

pkgs=()
[ $# -gt 0 ] || set -- all
for group in "$@"; do
    case "$group" in
    runtime) pkgs+=("${runtime[@]}") ;;
    build) pkgs+=("${build[@]}") ;;
    test) pkgs+=("${test[@]}") ;;
    bench) pkgs+=("${bench[@]}") ;;
    all) pkgs+=("${runtime[@]}" "${build[@]}" "${test[@]}" "${bench[@]}") ;;
    *) echo "install-deps.sh: unknown group '$group'" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps.sh: all ${#pkgs[@]} packages present" >&2
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: need root to install: ${missing[*]}" >&2
    exit 1
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600 -q)
apt-get "${apt_opts[@]}" update >/dev/null
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps.sh: done" >&2
