#!/usr/bin/env bash
# run.sh - the serve benchmark: presignd's authenticated redirect against
# nginx `return 302` (the ceiling) and FastAPI + uvicorn + boto3 + psycopg2
# (the stack presignd replaces), with wrk, in one run, on loopback.
#
#   bash bench/serve/run.sh
#
# Starts a throwaway Postgres (tests/harness/pg.sh), loads users, sessions
# and avatar references (load.sql), then runs each server alone, one after
# another, under the same wrk load, and prints requests/s, p50/p99 latency,
# the ratios, presignd's peak RSS and the issue's targets. A benchmark, not a
# test: it is never registered with CTest. Everything it starts listens on
# 127.0.0.1 and is stopped by PID on exit, Ctrl-C or error.
#
# Settings (environment):
#   PRESIGND_BIN        the binary [build/gcc/presignd]
#   BENCH_DURATION      seconds per measured run [10]
#   BENCH_ROUNDS        presignd-warm / nginx runs, alternated; the report
#                       gives medians (noise on a shared machine) [3]
#   BENCH_WARMUP        seconds of warm-up before each measured run [2]
#   BENCH_CONNECTIONS   wrk connections [64]
#   BENCH_THREADS       wrk threads [2]
#   BENCH_WORKERS       workers for presignd, nginx and uvicorn [nproc]
#   BENCH_USERS         users/sessions loaded; bounds the cold run [200000]
#   BENCH_LEGS          which servers to run [presignd nginx fastapi]
#   BENCH_PRESIGND_ARGS extra flags for presignd serve (e.g. --access-log off)
#   BENCH_KEEP=1        keep the temp directory (logs, wrk output)
#   BENCH_PERF=1        profile presignd during the warm run (perf record)
#                       and print its hottest functions
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

PRESIGND_BIN=${PRESIGND_BIN:-$root/build/gcc/presignd}
duration=${BENCH_DURATION:-10}
rounds=${BENCH_ROUNDS:-3}
warmup=${BENCH_WARMUP:-2}
conns=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
workers=${BENCH_WORKERS:-$(nproc)}
users=${BENCH_USERS:-200000}
legs=${BENCH_LEGS:-presignd nginx fastapi}
orgs=1000
bucket=bench-avatars
cookie=session
url_ttl=300
# users must split evenly into partner pairs and wrk threads (cold.lua)
users=$((users - users % (2 * threads)))

log() { echo "[bench] $*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in wrk curl psql nginx /usr/bin/python3; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh bench test)"
done

work=$(mktemp -d /tmp/presignd-bench.XXXXXX)
# pg.sh runs Postgres as an unprivileged user when we are root: it must be
# able to reach its directory inside ours.
chmod 755 "$work"
presignd_pid=""
nginx_pid=""
fastapi_pid=""
measuring_pid="" # the server under test, for the CPU accounting
wrk_pid=""
perf_pid=""

# Stops one server by PID: SIGTERM, up to 5 s, then SIGKILL; children (nginx
# and uvicorn workers) are collected first so none outlives its parent.
stop_tree() {
    local pid=$1 kids
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$wrk_pid" ]; then kill -TERM "$wrk_pid" 2>/dev/null || true; fi
    if [ -n "$perf_pid" ]; then kill -TERM "$perf_pid" 2>/dev/null || true; fi
    stop_tree "$presignd_pid"
    stop_tree "$nginx_pid"
    stop_tree "$fastapi_pid"
    bash "$root/tests/harness/pg.sh" stop "$work/pg" 2>/dev/null || true
    if [ "${BENCH_KEEP:-0}" = 1 ]; then
        log "kept $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'exit 143' TERM

# Below the kernel's ephemeral range (32768+), where wrk's many client
# sockets would otherwise make a "free" port fail to bind.
free_port() {
    local p
    for p in $(shuf -i 12000-19999 -n 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    die "no free port found"
}

# Waits until URL answers (any HTTP status) while PID lives, at most 30 s.
wait_http() {
    local url=$1 pid=$2 name=$3
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || { tail -n 20 "$work/$name.log" >&2; die "$name exited"; }
        curl -s -o /dev/null --max-time 1 "$url" && return 0
        sleep 0.1
    done
    die "$name did not answer on $url within 30 s"
}

# Sum of VmHWM (peak resident set, kB) over a process and its children.
tree_hwm_kb() {
    local pid=$1 total=0 p kb
    for p in "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
        kb=$(awk '/^VmHWM:/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0)
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}

## Postgres and data ----------------------------------------------------

setup_database() {
    log "starting Postgres and loading $users users"
    bash "$root/tests/harness/pg.sh" start "$work/pg" 2>>"$work/pg.log"
    # shellcheck disable=SC1091
    . "$work/pg/env"
    "$PRESIGND_BIN" migrate --reference-schema >>"$work/migrate.log" 2>&1 ||
        { cat "$work/migrate.log" >&2; die "presignd migrate failed"; }
    psql_load
}

psql_run() { psql -X -q -v ON_ERROR_STOP=1 -o /dev/null "$@"; }

psql_load() {
    psql_run -v users="$users" -v orgs="$orgs" -v bucket="$bucket" \
        -f "$here/load.sql"
}

## Shared environment ----------------------------------------------------

# Dummy static credentials and an endpoint on a loopback port where nothing
# listens: presigning is local, so nothing is ever contacted; if something
# tried, it would fail on loopback rather than reach out.
export_aws_env() {
    export AWS_ACCESS_KEY_ID=AKIABENCHDUMMYKEY000
    export AWS_SECRET_ACCESS_KEY=benchDummySecretKey0000000000000000000000
    unset AWS_SESSION_TOKEN AWS_PROFILE
    export AWS_REGION=us-east-1
    export AWS_EC2_METADATA_DISABLED=true
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    s3_endpoint="http://127.0.0.1:$(free_port)"
    export AWS_ENDPOINT_URL_S3=$s3_endpoint
}

## wrk -------------------------------------------------------------------

# Viewer 1 (cookie below) asks for partner 2's avatar: the warm request.
warm_path=/v1/users/2/avatar
warm_cookie="$cookie=bt$(printf '%041d' 1)"

# run_wrk PID NAME URL warm|cold WARMUP: a warm-up of WARMUP seconds (warm
# request), then the measured run against the server PID; leaves the BENCH
# line (see report.lua) in $work/NAME.wrk and its CPU figure in NAME.load.
run_wrk() {
    local name=$2 url=$3 mode=$4 wup=$5 script args=()
    measuring_pid=$1
    if [ "$mode" = cold ]; then
        cat "$here/cold.lua" "$here/report.lua" >"$work/cold.lua"
        script=$work/cold.lua
        args=(-- "$users" "$cookie" "$threads")
    else
        script=$here/report.lua
        args=(-H "Cookie: $warm_cookie")
    fi
    if [ "$wup" -gt 0 ]; then
        wrk -t"$threads" -c"$conns" -d"${wup}s" -H "Cookie: $warm_cookie" \
            "$url" >"$work/$name.warmup" 2>&1 &
        wrk_pid=$!
        wait "$wrk_pid"
    fi
    log "$name: wrk -t$threads -c$conns -d${duration}s ($mode)"
    cpu_sample >"$work/cpu.before"
    wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s "$script" \
        "$url" "${args[@]}" >"$work/$name.wrk" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || { cat "$work/$name.wrk" >&2; die "wrk failed"; }
    wrk_pid=""
    cpu_sample >"$work/cpu.after"
    cat "$work/cpu.before" "$work/cpu.after" | tr '\n' ' ' | awk '{
        all = $5 - $1; busy = $6 - $2; ours = ($7 - $3) + ($8 - $4)
        other = busy - ours; if (other < 0) other = 0
        printf "other_cpu=%.0f\n", (all > 0 ? 100 * other / all : 0) }' \
        >"$work/$name.load"
    grep -q '^BENCH ' "$work/$name.wrk" || { cat "$work/$name.wrk" >&2; die "no wrk summary"; }
}

# "all busy ours children" in clock ticks: the machine's total and busy
# CPU time (/proc/stat), the time of the server under test and of Postgres
# with their children, and the CPU this shell's finished children used
# (wrk, once waited for). The difference over a run shows how much CPU
# other work on the machine took meanwhile ("other CPU" in the report).
cpu_sample() {
    local hz ours=0 p pg_pid=""
    hz=$(getconf CLK_TCK)
    # PG_DATA_DIR comes from the harness's env file (sourced at start)
    local pidfile=${PG_DATA_DIR:-$work/pg/data}/postmaster.pid
    [ -f "$pidfile" ] && pg_pid=$(head -n1 "$pidfile")
    for p in $(tree_pids "$measuring_pid") $(tree_pids "$pg_pid"); do
        ours=$((ours + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' \
            /proc/"$p"/stat 2>/dev/null || echo 0)))
    done
    awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9,
                         $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat | tr '\n' ' '
    echo -n "$ours "
    # `times` in this shell (not in a pipe or $(...), whose subshell would
    # start its children's counters at zero); second line: children's time
    times >"$work/times"
    awk -v hz="$hz" 'NR == 2 {
        split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz }' "$work/times"
}

# A process and its descendants.
tree_pids() {
    local p=$1 c
    [ -n "$p" ] && [ -d /proc/"$p" ] || return 0
    echo "$p"
    # shellcheck disable=SC2013 # the file is a list of words (PIDs)
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}

# The first response must be a 302 to the object store (or, for nginx, to
# the URL it was given), else the figures would measure an error page.
# Keeps the response headers in $work/NAME.headers. A server that closes
# the connection after each response would measure TCP set-up, not its
# redirect: that is flagged in the report.
expect_redirect() {
    local name=$1 url=$2 status loc
    read -r status loc < <(curl -s -o /dev/null -D "$work/$name.headers" \
        --max-time 5 -H "Cookie: $warm_cookie" \
        -w '%{http_code} %{redirect_url}\n' "$url")
    [ "$status" = 302 ] || die "$name answered $status, not 302, for $url"
    case "$loc" in "$s3_endpoint"/*) ;; *) die "$name redirected elsewhere: $loc" ;; esac
    if grep -qi '^connection: *close' "$work/$name.headers"; then
        echo "$name answers 'Connection: close': no keep-alive" >>"$work/warnings"
    fi
    echo "$loc"
}

# nginx's add_header lines: every header presignd sent with its redirect
# except those nginx writes itself.
nginx_headers() {
    local src=$work/presignd.headers
    [ -f "$src" ] || src=$work/fastapi.headers
    tr -d '\r' <"$src" | awk -F': ' 'NR > 1 && NF >= 2 &&
        tolower($1) !~ /^(date|server|location|content-length|connection|transfer-encoding|content-type)$/ {
            v = substr($0, length($1) + 3)
            printf "add_header %s \"%s\" always;\n", $1, v }'
}

## The legs --------------------------------------------------------------

start_presignd() {
    local port
    [ -x "$PRESIGND_BIN" ] || die "$PRESIGND_BIN not built (cmake --build build/gcc)"
    port=$(free_port)
    log "starting presignd serve on 127.0.0.1:$port ($workers workers)"
    # BENCH_PRESIGND_ARGS is split into words on purpose
    # shellcheck disable=SC2086
    "$PRESIGND_BIN" serve --listen "127.0.0.1:$port" --bucket "$bucket" \
        --endpoint "$s3_endpoint" --region "$AWS_REGION" --addressing path \
        --url-ttl "$url_ttl" --cookie-name "$cookie" --workers "$workers" \
        ${BENCH_PRESIGND_ARGS:-} >"$work/presignd.log" 2>&1 &
    presignd_pid=$!
    presignd_port=$port
    wait_http "http://127.0.0.1:$port/healthz" "$presignd_pid" presignd
    presignd_url=http://127.0.0.1:$port$warm_path
    location=$(expect_redirect presignd "$presignd_url")
    echo "${#location}" >"$work/location.len"
    presignd_start_kb=$(awk '/^VmRSS:/ {print $2}' /proc/"$presignd_pid"/status)
    metrics >"$work/metrics.0"
}

# After the warm rounds: the cold run, then presignd stops.
finish_presignd() {
    metrics >"$work/metrics.1"
    # peak so far: serving one viewer, caches nearly empty
    tree_hwm_kb "$presignd_pid" >"$work/presignd_warm.rss"
    run_wrk "$presignd_pid" presignd_cold.1 "$presignd_url" cold 0
    metrics >"$work/metrics.2"
    # peak over both: the cold run fills the caches with every session
    presignd_rss_kb=$(tree_hwm_kb "$presignd_pid")
    echo "$presignd_rss_kb" >"$work/presignd_cold.rss"
    stop_tree "$presignd_pid"
    presignd_pid=""
}

# perf samples presignd over the measured part of the first warm run (the
# warm-up is skipped by starting after it); the profile is printed at the
# end. Costs some throughput while it runs.
perf_start() {
    command -v perf >/dev/null || die "BENCH_PERF=1 needs perf (linux-perf)"
    (sleep "$warmup"; exec perf record -q -F 999 -g -p "$1" \
        -o "$work/perf.data" -- sleep "$duration") >"$work/perf.log" 2>&1 &
    perf_pid=$!
}

perf_stop() {
    wait "$perf_pid" || true
    perf_pid=""
    perf report -i "$work/perf.data" --stdio --no-children --sort symbol \
        -g none --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' |
        head -n 25 >"$work/perf.txt" || true
}

metrics() {
    curl -s --max-time 5 "http://127.0.0.1:$presignd_port/metrics" || true
}

start_nginx() {
    local port user_line=""
    port=$(free_port)
    mkdir -p "$work/nginx-tmp"
    if [ "$(id -u)" = 0 ]; then user_line="user nobody nogroup;"; fi
    # The Location is presignd's own URL (or FastAPI's when presignd is not
    # run), so headers and size match byte for byte.
    sed -e "s|@DIR@|$work|g" -e "s|@PORT@|$port|g" \
        -e "s|@WORKERS@|$workers|g" -e "s|@USER@|$user_line|g" \
        -e "s|@LOCATION@|${location//&/\\&}|g" \
        "$here/nginx.conf.in" >"$work/nginx.conf"
    nginx_headers >"$work/nginx-headers.conf"
    log "starting nginx on 127.0.0.1:$port ($workers workers)"
    nginx -p "$work" -e "$work/nginx-error.log" -c "$work/nginx.conf" \
        >"$work/nginx.log" 2>&1 &
    nginx_pid=$!
    nginx_url=http://127.0.0.1:$port$warm_path
    wait_http "http://127.0.0.1:$port/" "$nginx_pid" nginx
    expect_redirect nginx "$nginx_url" >/dev/null
}

leg_fastapi() {
    local port url
    port=$(free_port)
    log "starting FastAPI/uvicorn on 127.0.0.1:$port ($workers workers)"
    BENCH_ENDPOINT=$s3_endpoint BENCH_URL_TTL=$url_ttl \
        BENCH_COOKIE_NAME=$cookie PYTHONDONTWRITEBYTECODE=1 \
        /usr/bin/python3 -m uvicorn --app-dir "$here" fastapi_app:app \
        --host 127.0.0.1 --port "$port" --workers "$workers" \
        --no-access-log --log-level warning >"$work/fastapi.log" 2>&1 &
    fastapi_pid=$!
    url=http://127.0.0.1:$port$warm_path
    wait_http "$url" "$fastapi_pid" fastapi
    # uvicorn answers before every worker is up; let the rest start
    sleep 1
    fastapi_location=$(expect_redirect fastapi "$url")
    run_wrk "$fastapi_pid" fastapi.1 "$url" warm "$warmup"
    tree_hwm_kb "$fastapi_pid" >"$work/fastapi.rss"
    stop_tree "$fastapi_pid"
    fastapi_pid=""
}

# presignd (warm) and nginx, alternated round by round, so both see the
# same changes in the machine's load.
warm_rounds() {
    local r wup
    for r in $(seq "$rounds"); do
        wup=$([ "$r" = 1 ] && echo "$warmup" || echo 0)
        if [ -n "$presignd_pid" ]; then
            [ "$r" = 1 ] && [ "${BENCH_PERF:-0}" = 1 ] && perf_start "$presignd_pid"
            run_wrk "$presignd_pid" "presignd_warm.$r" "$presignd_url" warm "$wup"
            [ "$r" = 1 ] && [ "${BENCH_PERF:-0}" = 1 ] && perf_stop
        fi
        if [ -n "$nginx_pid" ]; then
            run_wrk "$nginx_pid" "nginx.$r" "$nginx_url" warm "$wup"
        fi
    done
    if [ -n "$nginx_pid" ]; then
        tree_hwm_kb "$nginx_pid" >"$work/nginx.rss"
        stop_tree "$nginx_pid"
        nginx_pid=""
    fi
}

## Report ----------------------------------------------------------------

# field RUN KEY: a key=value from a run's BENCH line or its .load file.
field() {
    { cat "$work/$1.wrk" "$work/$1.load" 2>/dev/null || true; } |
        tr ' ' '\n' | sed -n "s/^$2=//p" | tail -n1
}

# values LEG KEY: KEY of every round of LEG (presignd_warm, nginx ...), in
# round order, one per line.
values() {
    local r
    for r in $(seq "$rounds"); do
        [ -f "$work/$1.$r.wrk" ] && field "$1.$r" "$2"
    done
    return 0
}

# median LEG KEY and sum LEG KEY over the rounds.
median() {
    values "$1" "$2" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR) print ((NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
sum() { values "$1" "$2" | awk '{ s += $1 } END { print s + 0 }'; }

row() {
    local name=$1 label=$2
    [ -f "$work/$name.1.wrk" ] || return 0
    awk -v l="$label" -v r="$(median "$name" rps)" -v a="$(median "$name" p50_us)" \
        -v b="$(median "$name" p99_us)" -v bad="$(sum "$name" bad_status)" \
        -v se="$(sum "$name" socket_errors)" \
        -v rss="$(cat "$work/$name.rss" 2>/dev/null)" \
        -v la="$(median "$name" other_cpu)" 'BEGIN {
        printf "%-34s %10.0f %8.2f %8.2f %6d %5d %8s %6s\n", l, r, a / 1000,
            b / 1000, bad, se, (rss == "" ? "-" : sprintf("%.1f", rss / 1024)),
            sprintf("%.0f%%", la) }'
}

# target LABEL VALUE OP LIMIT UNIT
target() {
    awk -v l="$1" -v v="$2" -v op="$3" -v lim="$4" -v u="$5" 'BEGIN {
        ok = (op == ">=") ? (v >= lim) : (v <= lim)
        printf "  %-42s %9.2f %-3s %s\n", l " (" op " " lim u ")", v, u,
            ok ? "met" : "NOT MET" }'
}

report() {
    local p n f cold_wraps
    echo
    echo "presignd serve benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) CPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), shared with other work"
    echo "load: wrk $threads threads, $conns connections, ${duration}s per run after ${warmup}s warm-up; servers with $workers workers; all on 127.0.0.1"
    echo "presignd (warm) and nginx: $rounds alternated rounds, medians shown; the others: one run"
    [ -n "$presignd_rss_kb" ] && echo "presignd: $("$PRESIGND_BIN" --version 2>/dev/null) serve --workers $workers ${BENCH_PRESIGND_ARGS:-} (defaults otherwise: access log on, to a file)"
    [ -f "$work/location.len" ] && echo "redirect: Location of $(cat "$work/location.len") bytes (nginx returns presignd's URL verbatim)"
    echo
    printf "%-34s %10s %8s %8s %6s %5s %8s %6s\n" server "req/s" "p50 ms" \
        "p99 ms" "non3xx" "sockE" "RSS MB" "other"
    row presignd_warm "presignd (warm cache)"
    row presignd_cold "presignd (cold cache)"
    row nginx "nginx return 302 (ceiling)"
    row fastapi "FastAPI+uvicorn+boto3+psycopg2"
    echo "(RSS = peak VmHWM so far, summed over the server's processes; other = CPU other work on the machine took during the run, % of all cores)"
    if [ "$rounds" -gt 1 ]; then
        round_line presignd_warm "presignd warm"
        round_line nginx "nginx"
    fi
    [ -n "$presignd_start_kb" ] && awk -v a="$presignd_start_kb" 'BEGIN {
        printf "presignd RSS right after start: %.1f MB\n", a / 1024 }'
    [ -n "$presignd_rss_kb" ] && echo "cold run: each request a new session and subject (all $users users are valid; caches keep up to their limit)"

    cold_wraps=$(field presignd_cold.1 wraps)
    if [ -n "$cold_wraps" ] && [ "$cold_wraps" != 0 ]; then
        echo "note: the cold run outlived the $users sessions ($cold_wraps wraps): some of its requests were cache hits"
    fi
    cache_summary
    if [ -s "$work/warnings" ]; then
        sed 's/^/WARNING: /' "$work/warnings"
    fi
    if [ -s "$work/perf.txt" ]; then
        echo
        echo "presignd's hottest functions in the warm run (perf, self time):"
        cat "$work/perf.txt"
    fi

    p=$(median presignd_warm rps)
    n=$(median nginx rps)
    f=$(median fastapi rps)
    echo
    echo "ratios and targets (issue 4):"
    [ -n "$p" ] || echo "  (they need the presignd leg)"
    if [ -n "$p" ] && [ -n "$n" ]; then
        # the median of the per-round ratios: each round's pair ran under
        # the same conditions
        target "presignd / nginx throughput" "$(paste <(values presignd_warm rps) <(values nginx rps) |
            awk '$1 != "" && $2 > 0 { print 100 * $1 / $2 }' | sort -g |
            awk '{ v[NR] = $1 } END { print ((NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')" ">=" 60 "%"
    fi
    if [ -n "$p" ] && [ -n "$f" ]; then
        target "presignd / FastAPI throughput" "$(awk -v a="$p" -v b="$f" 'BEGIN {print a / b}')" ">=" 20 "x"
    fi
    if [ -n "$p" ]; then
        target "presignd p99 at $conns connections" "$(awk -v a="$(median presignd_warm p99_us)" 'BEGIN {print a / 1000}')" "<=" 2 "ms"
        target "presignd peak RSS, both runs" "$(awk -v a="$presignd_rss_kb" 'BEGIN {print a / 1024}')" "<=" 50 "MB"
        local c
        c=$(median presignd_cold rps)
        if [ -n "$c" ] && [ -n "$f" ]; then
            awk -v c="$c" -v f="$f" -v w="$p" 'BEGIN {
                printf "  cold cache (no target): %.1fx FastAPI, %.0f%% of warm\n",
                    c / f, 100 * c / w }'
        fi
    fi
    return 0
}

# round_line LEG LABEL: req/s and p99 of every round.
round_line() {
    [ -f "$work/$1.1.wrk" ] || return 0
    echo "  rounds, $2: $(paste -d' ' <(values "$1" rps) <(values "$1" p99_us) |
        awk '{ printf "%s%.0f req/s p99 %.2f ms", (NR > 1 ? "; " : ""), $1, $2 / 1000 }')"
}

# Cache misses of the warm and cold runs, from presignd's /metrics (the
# difference of presignd_cache_misses_total around each run), per cache.
cache_summary() {
    [ -s "$work/metrics.0" ] || return 0
    local i name
    for i in 1 2; do
        name=$([ $i = 1 ] && echo presignd_warm || echo presignd_cold)
        awk -v run="${name#presignd_}" -v reqs="$(sum "$name" requests)" '
            !/^#/ && $1 ~ /^presignd_cache_misses_total/ {
                c = $1; sub(/.*cache="/, "", c); sub(/".*/, "", c)
                if (FILENAME == ARGV[1]) before[c] = $NF
                else { after[c] = $NF; order[++n] = c }
            }
            END {
                if (n == 0) exit
                printf "presignd cache misses in the %s run (%d requests):", run, reqs
                for (k = 1; k <= n; k++)
                    printf " %s %d", order[k], after[order[k]] - before[order[k]]
                printf "\n"
            }' "$work/metrics.$((i - 1))" "$work/metrics.$i"
    done
}

## Main ------------------------------------------------------------------

for leg in $legs; do
    case "$leg" in
    presignd | nginx | fastapi) ;;
    *) die "unknown leg '$leg'" ;;
    esac
done
want() { case " $legs " in *" $1 "*) return 0 ;; esac; return 1; }

if want presignd; then
    [ -x "$PRESIGND_BIN" ] || die "$PRESIGND_BIN not built (cmake --build build/gcc)"
fi
setup_database
export_aws_env
location=""
presignd_rss_kb=""
presignd_start_kb=""
presignd_port=""
want presignd && start_presignd
want fastapi && leg_fastapi
# nginx needs a URL to return; without presignd, FastAPI's stands in.
[ -n "$location" ] || location=${fastapi_location:-}
if want nginx; then
    [ -n "$location" ] || die "nginx needs the presignd or fastapi leg for its URL"
    start_nginx
fi
warm_rounds
[ -n "$presignd_pid" ] && finish_presignd
report
