#!/usr/bin/env bash
# demo.sh - presignd's whole job, end to end, on throwaway local servers.
#
#   bash scripts/demo.sh          set up, run the migration, serve; stays in
#                                 the foreground until Ctrl-C, then cleans up
#   bash scripts/demo.sh stop     stop a running demo and delete its state
#   DEMO_CHECK=1 bash scripts/demo.sh
#                                 non-interactive: set up, run the migration,
#                                 check the result, stop; exit 0 (all
#                                 checks passed) or 1
#   DEMO_DETACH=1 bash scripts/demo.sh
#                                 leave everything running and return
#
# As root on Debian 12 it installs what it needs (scripts/install-deps.sh),
# builds presignd in build/demo, starts Postgres (tests/harness/pg.sh) and
# Ceph radosgw (tests/harness/rgw.sh) under .demo/, creates a PUBLIC bucket
# with real images and a host database of ~50 users whose stored URLs point
# into it, then runs the migration the way an operator would: migrate,
# backfill (dry run, then real, with a report), audit, enforce-private, audit
# again. Finally it starts `presignd serve` and a small page (the stand-in
# for the web app) that shows the avatars through the gateway.
#
# Everything listens on 127.0.0.1 and nothing talks to any other host.
# Everything it starts is recorded by PID under .demo/ and stopped by PID.
#
# Knobs: DEMO_STATE (state dir, default .demo), DEMO_BIN (use this presignd
# binary instead of building one), DEMO_GATEWAY_PORT (8080), DEMO_PAGE_PORT
# (8000), DEMO_RGW_PORT (radosgw; default a free block below 32768; it takes
# the 21 ports above too), DEMO_BUCKET (demo-user-media), DEMO_KEEP=1 (keep
# the state dir after a failure, to read the logs).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
state=$(realpath -m -- "${DEMO_STATE:-$top/.demo}")
bucket=${DEMO_BUCKET:-demo-user-media}
check=${DEMO_CHECK:-0}
detach=${DEMO_DETACH:-0}
py=/usr/bin/python3
export AWS_EC2_METADATA_DISABLED=true
t0=$SECONDS

if [ -t 1 ]; then
    bold=$'\033[1m' dim=$'\033[2m' red=$'\033[31m' green=$'\033[32m' off=$'\033[0m'
else
    bold='' dim='' red='' green='' off=''
fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }
info() { printf '%s\n' "$*"; }
warn() { printf '%s%s%s\n' "$red" "$*" "$off" >&2; }
die() { warn "demo.sh: $*"; exit 1; }
# show a command the way an operator would type it, then run it
show() { printf '%s$ %s%s\n' "$dim" "$*" "$off"; }

# ---------------------------------------------------------------------------
# processes: started in the background, recorded as "PID STARTTIME", stopped
# only when that PID still is the process we started

proc_start_time() { # the kernel's start time of PID (field 22 of stat)
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'
}

# In a session of its own (setsid): closing the terminal of a DEMO_DETACH=1
# run must not hang them up, and Ctrl-C reaches only this script, whose trap
# stops them in order. (setsid does not fork here: $! is the process itself.)
start_bg() { # start_bg NAME CMD... (stdout+stderr to $state/log/NAME.log)
    local name=$1
    shift
    setsid "$@" >"$state/log/$name.log" 2>&1 </dev/null &
    echo "$! $(proc_start_time $!)" >"$state/run/$name.pid"
}

ours() { # ours NAME: prints the PID if it still is the process we started
    local pid st
    [ -s "$state/run/$1.pid" ] || return 1
    read -r pid st <"$state/run/$1.pid"
    [ -n "$pid" ] && [ "$(proc_start_time "$pid")" = "$st" ] || return 1
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    echo "$pid"
}

stop_bg() { # stop_bg NAME: SIGTERM, then SIGKILL after 10 s
    local pid i
    pid=$(ours "$1") || { rm -f "$state/run/$1.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        ours "$1" >/dev/null || break
        sleep 0.25
    done
    if ours "$1" >/dev/null; then
        warn "$1 (pid $pid) ignored SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$state/run/$1.pid"
}

stop_all() {
    [ -d "$state" ] || return 0
    local name
    for name in page serve; do stop_bg "$name"; done
    bash tests/harness/pg.sh stop "$state/pg" 2>/dev/null || true
    bash tests/harness/rgw.sh stop "$state/rgw" 2>/dev/null || true
    rm -rf "$state"
}

# A demo still in the foreground (another terminal) is asked to clean up
# after itself, so two cleanups never race; otherwise (DEMO_DETACH=1, or it
# died) this process does it.
stop_foreground_demo() {
    local pid i
    pid=$(ours demo) || return 0
    [ "$pid" != $$ ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 240; i++)); do
        [ -d "$state" ] && ours demo >/dev/null || return 0
        sleep 0.25
    done
}

if [ "${1:-}" = stop ]; then
    if [ -d "$state" ]; then
        stop_foreground_demo
        stop_all
        info "demo stopped; $state removed"
    else
        info "no demo running (no $state)"
    fi
    exit 0
fi
case "${1:-}" in
-h | --help | help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
esac
[ $# -eq 0 ] || die "usage: bash scripts/demo.sh [stop|--help]"

finished=0
# shellcheck disable=SC2317 # called through the EXIT trap
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if [ "$finished" = 1 ] && [ "$detach" = 1 ]; then exit "$rc"; fi
    if [ "$rc" != 0 ] && [ "$rc" != 130 ] &&
        [ -f "$state/log/serve.log" ]; then
        warn "last lines of the gateway's log:"
        tail -n 15 "$state/log/serve.log" >&2 || true
    fi
    if [ "$rc" != 0 ] && [ "$rc" != 130 ] && [ "${DEMO_KEEP:-0}" = 1 ]; then
        warn "DEMO_KEEP=1: servers stopped, logs kept in $state/log"
        for name in page serve; do stop_bg "$name"; done
        bash tests/harness/pg.sh stop "$state/pg" 2>/dev/null || true
        bash tests/harness/rgw.sh stop "$state/rgw" 2>/dev/null || true
        exit "$rc"
    fi
    say "stopping everything the demo started"
    stop_all
    info "stopped; nothing left behind ($state removed)"
    exit "$rc"
}

free_port() { # free_port PREFERRED: PREFERRED if free (and not 0), else any
    local p
    for p in "$1" $(shuf -i 12000-19999 -n 50); do
        [ "$p" != 0 ] || continue
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    die "no free port found"
}

# ---------------------------------------------------------------------------
# the steps

install_and_build() {
    say "installing packages (scripts/install-deps.sh) and building presignd"
    if [ -n "${DEMO_BIN:-}" ]; then
        bin=$(realpath -- "$DEMO_BIN")
        info "using DEMO_BIN=$bin"
        return
    fi
    bash scripts/install-deps.sh runtime build test
    local b=$top/build/demo
    show "cmake -S . -B build/demo -DPRESIGND_TESTS=OFF && cmake --build build/demo"
    if ! { cmake -S "$top" -B "$b" -DPRESIGND_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
        cmake --build "$b" -j "$(nproc)"; } >"$state/log/build.log" 2>&1; then
        tail -n 30 "$state/log/build.log" >&2
        die "build failed (log above)"
    fi
    bin=$b/presignd
    info "built $("$bin" --version)"
}

# radosgw (rgw.sh picks a free block of 22 ports below the ephemeral range,
# or takes DEMO_RGW_PORT). One retry on a fresh block if the start fails on
# a busy machine.
start_rgw() {
    local try
    for try in 1 2; do
        RGW_PORT=$([ "$try" = 1 ] && echo "${DEMO_RGW_PORT:-}") \
            bash tests/harness/rgw.sh start "$state/rgw" \
            2>>"$state/log/rgw-start.log" && return 0
        echo "(attempt $try failed)" >>"$state/log/rgw-start.log"
    done
    return 1
}

start_stores() {
    say "starting a throwaway Postgres and Ceph radosgw on 127.0.0.1"
    show "bash tests/harness/rgw.sh start .demo/rgw & bash tests/harness/pg.sh start .demo/pg"
    start_rgw &
    local rgw_job=$!
    bash tests/harness/pg.sh start "$state/pg"
    wait "$rgw_job" || { cat "$state/log/rgw-start.log" >&2; die "radosgw did not start"; }
    cat "$state/log/rgw-start.log"
    # shellcheck disable=SC1091
    . "$state/pg/env"
    # shellcheck disable=SC1091
    . "$state/rgw/env"
    rgw=http://127.0.0.1:$RGW_PORT
    psql -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE presignd_demo'
    export DATABASE_URL=postgresql://postgres@127.0.0.1:$PGPORT/presignd_demo
    export PGDATABASE=presignd_demo
}

seed() {
    say "the 'before' state: a PUBLIC bucket and an app storing public URLs"
    show "psql -f sql/reference/host_schema.sql   # the host app's own tables"
    psql -q -v ON_ERROR_STOP=1 -f sql/reference/host_schema.sql
    show "python3 scripts/demo/seed.py   # images, public bucket, 50 users"
    "$py" scripts/demo/seed.py --state "$state" --bucket "$bucket" \
        --endpoint "$rgw" --dsn "$DATABASE_URL"
    legacy_url=$rgw/$bucket/avatars/alice-martin.png
    info "anonymous GET of a stored public URL ($legacy_url):" \
        "HTTP $(http_code "$legacy_url")"
}

http_code() { curl -s -o /dev/null -m 10 -w '%{http_code}' "$@" || true; }

# The settings every command below reads (see README "Configuration").
export_settings() {
    export PRESIGND_BUCKETS=$bucket
    # legacy URLs on the local store are path-style on this endpoint
    # (audit, enforce-private and serve add their own endpoint by themselves)
    legacy_endpoints=$rgw
    export PRESIGND_ADDRESSING=path   # the store is an IP address
    export PRESIGND_LOG_LEVEL=${PRESIGND_LOG_LEVEL:-info}
    say "settings (environment)"
    info "DATABASE_URL=$DATABASE_URL"
    info "PRESIGND_BUCKETS=$PRESIGND_BUCKETS  PRESIGND_ADDRESSING=path"
    info "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL  AWS_REGION=$AWS_REGION  AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY=(set)"
}

migrate_and_backfill() {
    local rc
    say "1. presignd migrate: presignd's schema (object references, triggers)"
    show "presignd migrate"
    "$bin" migrate
    show "presignd migrate --status"
    "$bin" migrate --status

    say "2. presignd backfill --dry-run: what a real run would do"
    again=
    show "PRESIGND_S3_ENDPOINTS=$legacy_endpoints presignd backfill --dry-run"
    rc=0
    PRESIGND_S3_ENDPOINTS=$legacy_endpoints "$bin" backfill --dry-run || rc=$?
    info "(exit $rc$([ "$rc" = 3 ] && echo ': some URLs cannot be parsed'))"

    say "3. presignd backfill: legacy URLs -> (bucket, key) references"
    show "PRESIGND_S3_ENDPOINTS=$legacy_endpoints presignd backfill --verify --report .demo/backfill-report.jsonl"
    backfill_rc=0
    PRESIGND_S3_ENDPOINTS=$legacy_endpoints "$bin" backfill --verify --report "$state/backfill-report.jsonl" ||
        backfill_rc=$?
    if [ "$backfill_rc" = 3 ]; then
        info "(exit 3: finished, but some stored URLs could not be parsed;" \
            "the report lists every item not converted, with its reason)"
    elif [ "$backfill_rc" != 0 ]; then
        die "presignd backfill failed (exit $backfill_rc)"
    fi
    if [ -s "$state/backfill-report.jsonl" ]; then
        show "cat .demo/backfill-report.jsonl"
        cat "$state/backfill-report.jsonl"
    fi
    clear_missing
    show "PRESIGND_S3_ENDPOINTS=$legacy_endpoints presignd backfill --progress none   # again: nothing to do"
    again=$(PRESIGND_S3_ENDPOINTS=$legacy_endpoints "$bin" backfill \
        --progress none 2>&1 || true)
    info "$again"
}

# What an operator does with the report's "missing" objects (deleted long
# ago: broken images today already): clear them, so the user gets the
# no-image answer, and nothing probes a key that does not exist.
clear_missing() {
    local ids
    ids=$("$py" -c 'import json,sys
print(",".join("%s" % int(r["subject_id"]) for r in map(json.loads, open(sys.argv[1]))
               if r.get("reason") == "missing" and r["kind"] == "avatar"))' \
        "$state/backfill-report.jsonl")
    [ -n "$ids" ] || return 0
    info "The report lists avatars whose objects no longer exist: clear them."
    show "psql -c \"DELETE FROM presignd.object_refs WHERE kind = 'avatar' AND subject_id = ANY('{$ids}'); UPDATE users SET avatar_url = NULL WHERE id = ANY('{$ids}')\""
    psql -q -v ON_ERROR_STOP=1 -c "BEGIN" \
        -c "DELETE FROM presignd.object_refs WHERE kind = 'avatar' AND subject_id = ANY('{$ids}'::text[])" \
        -c "UPDATE users SET avatar_url = NULL WHERE id = ANY('{$ids}'::bigint[])" \
        -c "COMMIT"
}

lock_bucket() {
    local rc
    say "4. presignd audit: is the bucket private? (it is not, yet)"
    show "presignd audit --bucket $bucket --sample 3"
    rc=0
    "$bin" audit --bucket "$bucket" --sample 3 || rc=$?
    info "(exit $rc$([ "$rc" = 3 ] && echo ': public'))"

    say "5. presignd enforce-private: lock the bucket, prove it"
    show "presignd enforce-private --bucket $bucket --sample 3 --rollback-dir .demo"
    "$bin" enforce-private --bucket "$bucket" --sample 3 --rollback-dir "$state"

    say "6. presignd audit again"
    show "presignd audit --bucket $bucket --sample 3"
    audit_rc=0
    "$bin" audit --bucket "$bucket" --sample 3 || audit_rc=$?
    info "(exit $audit_rc)"
    info "anonymous GET of the same stored public URL now:" \
        "HTTP $(http_code "$legacy_url")"
}

start_gateway() {
    gw_port=$(free_port "${DEMO_GATEWAY_PORT:-$([ "$check" = 1 ] && echo 0 || echo 8080)}")
    page_port=$(free_port "${DEMO_PAGE_PORT:-$([ "$check" = 1 ] && echo 0 || echo 8000)}")
    gw=http://127.0.0.1:$gw_port
    page=http://127.0.0.1:$page_port
    say "7. presignd serve: the gateway, and the app's page using it"
    show "presignd serve --listen 127.0.0.1:$gw_port --bucket $bucket --cors-origin $page --workers 2"
    start_bg serve "$bin" serve --listen "127.0.0.1:$gw_port" \
        --bucket "$bucket" --cors-origin "$page" --workers 2
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(http_code "$gw/healthz")" = 200 ] && break
        ours serve >/dev/null || { cat "$state/log/serve.log" >&2; die "presignd serve exited"; }
        sleep 0.1
    done
    [ "$(http_code "$gw/readyz")" = 200 ] ||
        { cat "$state/log/serve.log" >&2; die "the gateway is not ready ($gw/readyz)"; }
    grep -m1 listening "$state/log/serve.log" || true
    start_bg page "$py" scripts/demo/page.py --state "$state" \
        --listen "127.0.0.1:$page_port" --gateway "$gw"
    for ((i = 0; i < 50; i++)); do
        [ "$(http_code "$page/")" = 200 ] && break
        sleep 0.1
    done
    [ "$(http_code "$page/")" = 200 ] ||
        { cat "$state/log/page.log" >&2; die "the demo page did not start"; }
}

# ---------------------------------------------------------------------------
# DEMO_CHECK=1: the demo checks its own result

failures=0
expect() { # expect WHAT WANT GOT
    if [ "$2" = "$3" ]; then
        info "${green}PASS${off} $1 ($3)"
    else
        info "${red}FAIL${off} $1: expected $2, got $3"
        failures=$((failures + 1))
    fi
}

token_of() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["token"])' "$state/sessions.json" "$1"; }
user_id() { # user_id N: the id of roster user N
    "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])]["id"])' "$state/users.json" "$1"
}

dockerfile_healthcheck() { # the shell command of docker/Dockerfile's HEALTHCHECK
    "$py" -c 'import json,re,sys
t = re.sub(r"\\\n", " ", open(sys.argv[1]).read())
print(json.loads(re.search(r"^HEALTHCHECK .*? CMD (\[.*\])$", t, re.M).group(1))[2])' \
        docker/Dockerfile
}

run_checks() {
    say "checks (DEMO_CHECK=1)"
    local owner member alice colleague other loc got want i
    owner="Cookie: session=$(token_of owner)"
    member="Cookie: session=$(token_of member)"
    alice=$(user_id 0)
    colleague=$(user_id 5)
    other=$(user_id 31)
    expect "backfill exits 3 (done, some URLs unparseable)" 3 \
        "$backfill_rc"
    expect "the backfill report names the broken row" 1 \
        "$(grep -c 'upload_25' "$state/backfill-report.jsonl" || true)"
    expect "a second backfill converts nothing" 1 \
        "$(grep -c '"converted":0,' <<<"$again" || true)"
    expect "object references written" 1 \
        "$(psql -Atq -c "SELECT count(*) > 40 FROM presignd.object_refs WHERE kind = 'avatar'" | sed 's/t/1/;s/f/0/')"
    expect "final audit says private (exit status)" 0 "$audit_rc"
    expect "anonymous GET of a legacy public URL is denied" 403 \
        "$(http_code "$legacy_url")"
    expect "no cookie: 401" 401 "$(http_code "$gw/v1/users/$alice/avatar")"
    expect "garbage cookie: 401" 401 \
        "$(http_code -H 'Cookie: session=garbage' "$gw/v1/users/$alice/avatar")"
    expect "owner views a member's avatar: 302" 302 \
        "$(http_code -H "$owner" "$gw/v1/users/$colleague/avatar")"
    loc=$(curl -s -o /dev/null -m 10 -H "$owner" -w '%{redirect_url}' \
        "$gw/v1/me/avatar")
    expect "the redirect goes to the local store" "$rgw/" "${loc:0:${#rgw}+1}"
    got=$(curl -s -m 10 "$loc" | sha256sum | cut -d' ' -f1)
    want=$(sha256sum "$state/images/a00.png" | cut -d' ' -f1)
    expect "the presigned URL fetches the real image" "$want" "$got"
    expect "user of the other organisation: 404" 404 \
        "$(http_code -H "$owner" "$gw/v1/users/$other/avatar")"
    expect "plain member, someone else's signature: 404" 404 \
        "$(http_code -H "$member" "$gw/v1/users/$alice/signature")"
    expect "owner, own signature: 302" 302 \
        "$(http_code -H "$owner" "$gw/v1/me/signature")"
    expect "user that does not exist: 404" 404 \
        "$(http_code -H "$owner" "$gw/v1/users/999999/avatar")"
    expect "member views a colleague's avatar: 302" 302 \
        "$(http_code -H "$member" "$gw/v1/users/$colleague/avatar")"
    psql -q -c "UPDATE sessions SET revoked_at = now() WHERE token_sha256 = sha256(convert_to('$(token_of member)', 'UTF8'))"
    got=0
    for ((i = 0; i < 20; i++)); do
        got=$(http_code -H "$member" "$gw/v1/users/$colleague/avatar")
        [ "$got" != 401 ] || break
        sleep 0.1
    done
    expect "after revoking that session in Postgres: 401 within 2 s" 401 "$got"
    expect "docker/Dockerfile's HEALTHCHECK command passes against it" 0 \
        "$(PRESIGND_LISTEN=0.0.0.0:$gw_port bash -c "$(dockerfile_healthcheck)" && echo 0 || echo 1)"
    expect "the demo page serves and points at the gateway" 1 \
        "$(curl -s -m 10 -H "$owner" "$page/" | grep -c "$gw/v1/me/avatar" || true)"
}

# ---------------------------------------------------------------------------

main() {
    if [ -d "$state" ]; then
        info "stopping the previous demo run in $state"
        stop_foreground_demo
        stop_all
    fi
    mkdir -p "$state/run" "$state/log"
    echo "$$ $(proc_start_time $$)" >"$state/run/demo.pid"
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    install_and_build
    start_stores
    seed
    export_settings
    migrate_and_backfill
    lock_bucket
    start_gateway

    if [ "$check" = 1 ]; then
        run_checks
        if [ "$failures" -gt 0 ]; then
            warn "$failures check(s) failed"
            exit 1
        fi
        info "${green}all checks passed${off} ($((SECONDS - t0)) s)"
        exit 0
    fi

    say "ready after $((SECONDS - t0)) s"
    cat <<EOF
Open in a browser on this machine:
  $page/login?as=owner         signed in as $("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["owner"]["name"])' "$state/sessions.json") (owner, Acme Corp)
  $page/login?as=member        a plain member (sees no one else's signature)
  $page/login?as=globex-admin  an admin of the other organisation
  $page/logout                 no session: the gateway answers 401
The gateway:      $gw   (/healthz /readyz /metrics)
The object store: $rgw   (bucket $bucket, now private)
From a shell:
  curl -si -H 'Cookie: session=$(token_of owner)' $gw/v1/me/avatar
  curl -si $legacy_url   # anonymous: 403
Revoke every session and reload the page: the gateway drops its cached
sessions at once (Postgres LISTEN/NOTIFY) and answers 401; then undo it:
  psql '$DATABASE_URL' -c 'UPDATE sessions SET revoked_at = now()'
  psql '$DATABASE_URL' -c 'UPDATE sessions SET revoked_at = NULL WHERE expires_at > now()'
On another machine than this one, forward all three ports first, e.g.
  ssh -L $page_port:127.0.0.1:$page_port -L $gw_port:127.0.0.1:$gw_port -L $RGW_PORT:127.0.0.1:$RGW_PORT root@THIS-HOST
(the presigned URLs point at the object store, which the browser fetches).
Logs: $state/log/   Settings: $state/pg/env, $state/rgw/env
(The gravatar user shows 404: the demo allowlists no external host, so
nothing leaves this machine. See README "Configuration".)
EOF
    finished=1
    if [ "$detach" = 1 ]; then
        info "DEMO_DETACH=1: left running. Stop with: bash scripts/demo.sh stop"
        exit 0
    fi
    info "Stop with Ctrl-C here, or: bash scripts/demo.sh stop"
    while [ -d "$state" ] && ours page >/dev/null &&
        ours serve >/dev/null; do
        sleep 1
    done
    [ -d "$state" ] || { trap - EXIT; info "stopped from elsewhere"; exit 0; }
    warn "a demo process exited on its own; stopping the rest"
    exit 1
}

main
