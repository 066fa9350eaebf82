#!/usr/bin/env bash
# rgw.sh - a throwaway S3-compatible store for tests and the demo: a
# single-node Ceph cluster (one monitor, one in-memory OSD, one radosgw)
# bound to 127.0.0.1 only. radosgw verifies SigV4 and enforces ACLs, bucket
# policies and Block Public Access (all but RestrictPublicBuckets).
#
#   rgw.sh start DIR   create and start a new, empty cluster; writes DIR/env
#   rgw.sh stop DIR    stop exactly the daemons started for DIR; delete it
#
# DIR/env exports S3_ENDPOINT, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_EC2_METADATA_DISABLED=true.
# RGW_PORT chooses the S3 port (default: a free one); the monitor and OSD
# take the 21 ports above it. The cluster itself lives in a short /tmp
# directory (Ceph's admin sockets have a path-length limit). Memory: about
# 120 MiB idle; objects are kept in RAM (RGW_MEMSTORE_MB, default 512).
# No cephx: everything is local and throwaway. Runs as root (radosgw here
# needs no privileges, but the demo and CI run as root anyway).
set -euo pipefail

cmd=${1:?usage: rgw.sh start|stop DIR}
dir=$(realpath -m -- "${2:?usage: rgw.sh $cmd DIR}")
access_key=${RGW_ACCESS_KEY:-PRESIGNDTESTKEY00001}
secret_key=${RGW_SECRET_KEY:-presignd-test-secret-0000000000000000001}

log() { echo "[rgw.sh] $*" >&2; }
die() { log "error: $*"; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
    local base i ok
    # Blocks of 22 ports from 11000 to 32021: below the kernel's ephemeral
    # range (32768-60999 here), where an outgoing connection could take a
    # port between our check and radosgw's bind.
    for base in $(shuf -i 110-320 -n 40); do
        base=$((base * 100))
        ok=1
        for ((i = 0; i <= 21; i++)); do
            port_free $((base + i)) || { ok=0; break; }
        done
        [ $ok = 1 ] && { echo "$base"; return; }
    done
    die "no free block of 22 ports found"
}

# The PID in FILE, if that process still runs with our ceph.conf.
our_pid() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1")
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$conf" || return 1
    # a reaped-late zombie counts as gone
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    echo "$pid"
}

stop_daemon() { # stop_daemon NAME
    local pid i
    pid=$(our_pid "$state/run/$1.pid") || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
        our_pid "$state/run/$1.pid" >/dev/null || return 0
        sleep 0.25
    done
    log "$1 (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

write_conf() {
    local mon_port=$((port + 1))
    cat >"$conf" <<CONF
# written by presignd tests/harness/rgw.sh: throwaway, loopback only
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
public network = 127.0.0.1/32
cluster network = 127.0.0.1/32
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = $((port + 2))
ms bind port max = $((port + 21))
auth cluster required = none
auth service required = none
auth client required = none
client mount timeout = 30
run dir = $state/run
admin socket = $state/run/\$name.asok
pid file = $state/run/\$name.pid
log file = $state/log/\$name.log
mon cluster log file = $state/log/cluster.\$channel.log
crash dir = $state/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
# radosgw creates its pools one paxos round at a time: keep rounds short
paxos propose interval = 0.1
paxos min wait = 0.01

[mon]
mon data = $state/mon

[osd]
osd data = $state/osd
osd objectstore = memstore
memstore device bytes = $((${RGW_MEMSTORE_MB:-512} * 1048576))

[client]
# auth "none" cannot do radosgw's default "secure" mon mode
ms mon client mode = crc secure

[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $state/rgw
rgw dns name = localhost
rgw init timeout = 120
rgw thread pool size = 64
rgw enable usage log = false
rgw enable ops log = false
CONF
}

# The end of a daemon's log on stderr: the cluster directory is deleted when
# start fails, so this is the only trace left of why.
show_log() {
    local f
    for f in "$state/log/$1.log" "$state/log/$1.stderr"; do
        [ -s "$f" ] || continue
        log "last lines of $f:"
        tail -n 15 "$f" >&2
    done
}

wait_until() { # wait_until SECONDS DAEMON WHAT CMD...
    local start=$SECONDS limit=$((SECONDS + $1)) daemon=$2 what=$3
    shift 3
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $limit ] ||
            { show_log "$daemon"; die "timed out waiting for $what"; }
        # Daemons fork into the background and write their PID file only
        # after some start-up work, which takes seconds on a loaded machine:
        # a process that wrote its PID file and is gone has died; one that
        # wrote none after 30 s is taken as dead too.
        if ! our_pid "$state/run/$daemon.pid" >/dev/null &&
            { [ -s "$state/run/$daemon.pid" ] ||
                [ $((SECONDS - start)) -ge 30 ]; }; then
            show_log "$daemon"
            die "$daemon exited while waiting for $what"
        fi
        sleep 0.3
    done
}

ceph_() { timeout 30 ceph -c "$conf" --connect-timeout 10 "$@"; }
osd_up() { ceph_ osd stat -f json | grep -q '"num_up_osds":1'; }
s3_up() {
    [ "$(curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ]
}

start() {
    local t0=$SECONDS osd_uuid
    for tool in ceph-mon ceph-osd radosgw ceph radosgw-admin monmaptool curl; do
        command -v "$tool" >/dev/null ||
            die "$tool not found (bash scripts/install-deps.sh test)"
    done
    [ ! -f "$dir/env" ] || stop
    port=${RGW_PORT:-$(pick_port)}
    port_free "$port" || die "127.0.0.1:$port is in use"
    state=$(mktemp -d /tmp/presignd-rgw.XXXXXX)
    conf=$state/ceph.conf
    fsid=$(cat /proc/sys/kernel/random/uuid)
    mkdir -p "$dir" "$state"/{run,log,mon,osd,rgw,crash}
    printf 'RGW_STATE_DIR=%s\n' "$state" >"$dir/env"
    write_conf

    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$((port + 1))]" \
        "$state/monmap" >/dev/null
    ceph-mon -c "$conf" --mkfs -i a --monmap "$state/monmap" >"$state/log/mkfs.log" 2>&1
    ceph-mon -c "$conf" -i a
    wait_until 60 mon.a "the monitor" ceph_ mon stat

    osd_uuid=$(cat /proc/sys/kernel/random/uuid)
    [ "$(ceph_ osd new "$osd_uuid")" = 0 ] || die "could not register the OSD"
    ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$state/log/mkfs.log" 2>&1
    ceph-osd -c "$conf" -i 0 2>>"$state/log/osd.0.stderr"
    wait_until 90 osd.0 "the OSD" osd_up

    radosgw -c "$conf" -n client.rgw.gw
    wait_until 150 client.rgw.gw "radosgw on 127.0.0.1:$port" s3_up
    timeout 60 radosgw-admin -c "$conf" user create --uid=presignd-test \
        --display-name="presignd test user" --access-key="$access_key" \
        --secret-key="$secret_key" >"$state/log/user.json"

    cat >>"$dir/env" <<ENV
# written by presignd tests/harness/rgw.sh: throwaway radosgw on loopback
export S3_ENDPOINT=http://127.0.0.1:$port
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=$access_key
export AWS_SECRET_ACCESS_KEY=$secret_key
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$state/aws-config
export AWS_SHARED_CREDENTIALS_FILE=$state/aws-credentials
export CEPH_CONF=$conf
RGW_PORT=$port
RGW_OWNER_ID=presignd-test
ENV
    : >"$state/aws-config"
    log "radosgw up on http://127.0.0.1:$port after $((SECONDS - t0)) s"
}

stop() {
    [ -f "$dir/env" ] || { rm -rf "$dir"; return 0; }
    state=$(sed -n 's/^RGW_STATE_DIR=//p' "$dir/env")
    conf=$state/ceph.conf
    case "$state" in
    /tmp/presignd-rgw.*)
        stop_daemon client.rgw.gw
        stop_daemon osd.0
        stop_daemon mon.a
        rm -rf "$state"
        ;;
    esac
    rm -rf "$dir"
}

trap 'rc=$?; [ $rc = 0 ] || [ "$cmd" != start ] || { log "start failed; cleaning up"; stop || true; }' EXIT
case "$cmd" in
start) start ;;
stop) stop ;;
*) die "unknown command '$cmd'" ;;
esac
