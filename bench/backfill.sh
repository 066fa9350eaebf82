#!/usr/bin/env bash
# backfill.sh - benchmark of `presignd backfill` against the obvious
# row-at-a-time Python/psycopg2 script (bench/backfill_rowwise.py), on a
# throwaway local PostgreSQL cluster. Not a test: prints figures only.
#
#   bench/backfill.sh               1,000,000 users; Python on 20,000 of them
#                                   (3,000 with durable commits)
#   ROWS=N PY_ROWS=M PY_ROWS_DURABLE=K bench/backfill.sh
#   PRESIGND_BIN=path BATCH=N      binary to time (default build/gcc), batch
#
# The users carry a realistic mix of legacy URLs: virtual-hosted, path-style
# (regional and dash), s3://, stale presigned query strings, percent-encoded
# and '+' keys, gravatar (external), NULLs, garbage and another bucket. The
# Python script is timed on the first PY_ROWS users only (it is too slow for
# the whole table); its rate is reported as measured and the ratio compares
# rates, which says so on the output line. Both runs start from an empty
# presignd.object_refs. Peak RSS comes from /usr/bin/time -v.
#
# Everything runs twice: first with the test harness's settings (fsync,
# synchronous_commit and full_page_writes off), which flatter the
# row-at-a-time script (one commit per row) far more than the batched
# backfill, then with them on, as on a real server. The machine's load
# average is printed, since other work on it skews both.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-1000000}
py_rows=${PY_ROWS:-20000}
py_rows_durable=${PY_ROWS_DURABLE:-3000}
batch=${BATCH:-5000}
bin=$(realpath "${PRESIGND_BIN:-build/gcc/presignd}")
[ -x "$bin" ] || { echo "backfill.sh: build presignd first ($bin)" >&2; exit 1; }

dir=$(mktemp -d /tmp/presignd-bench-backfill.XXXXXX)
chmod 755 "$dir"
trap 'bash tests/harness/pg.sh stop "$dir/pg"; rm -rf "$dir"' EXIT
bash tests/harness/pg.sh start "$dir/pg"
# shellcheck disable=SC1091
. "$dir/pg/env"
psql -qc "CREATE DATABASE bench"
export PGDATABASE=bench
export DATABASE_URL="postgresql://postgres@/bench?host=$PGHOST&port=$PGPORT"
"$bin" migrate --reference-schema >/dev/null

calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION

echo "== loading $rows users" >&2
load_start=$(date +%s.%N)
psql -q -v rows="$rows" <<'SQL'
INSERT INTO users (id, email, display_name, avatar_url, signature_url)
SELECT i, 'u' || i || '@example.test', 'User ' || i,
  CASE i % 20
    WHEN 0 THEN NULL
    WHEN 1 THEN 'https://www.gravatar.com/avatar/' || md5(i::text)
    WHEN 2 THEN 'https://s3.eu-west-1.amazonaws.com/media/avatars/' || i || '/photo.jpg'
    WHEN 3 THEN 's3://media/avatars/' || i || '.png'
    WHEN 4 THEN 'https://media.s3.eu-west-1.amazonaws.com/avatars/' || i
                || '.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=' || md5(i::text)
    WHEN 5 THEN 'https://media.s3-eu-west-1.amazonaws.com/avatars/my+photo%20' || i || '.png'
    WHEN 6 THEN 'https://other-bucket.s3.amazonaws.com/avatars/' || i || '.png'
    WHEN 7 THEN CASE WHEN i % 40 = 7 THEN 'not a url' ELSE '' END
    ELSE 'https://media.s3.amazonaws.com/avatars/' || i || '/' || md5(i::text) || '.png'
  END,
  CASE i % 4
    WHEN 0 THEN 'https://media.s3.amazonaws.com/signatures/' || i || '.png'
    WHEN 1 THEN 'https://s3.amazonaws.com/media/signatures/' || i || '%2Bv2.png'
    ELSE NULL
  END
FROM generate_series(1, :rows) AS i;
VACUUM ANALYZE users;
SQL
echo "   loaded in $(calc "%.1f" "$(date +%s.%N) - $load_start") s" >&2

reset_refs() { psql -qc "TRUNCATE presignd.object_refs" -c "VACUUM ANALYZE presignd.object_refs"; }
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])[sys.argv[2]])" "$1" "$2"; }
rss_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
wall_s() { # "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:07.12"
    sed -n 's/.*Elapsed (wall clock).*): //p' "$1" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

run_presignd() { # run_presignd NAME [extra args]
    local name=$1
    shift
    reset_refs
    /usr/bin/time -v "$bin" backfill --bucket media --progress none \
        --batch-size "$batch" "$@" >"$dir/$name.json" 2>"$dir/$name.time" || {
        rc=$?
        [ $rc = 3 ] || { cat "$dir/$name.time" >&2; exit 1; }
    }
}

durability() { # durability off|on: the harness's settings, or a server's
    local v=$1
    psql -q -c "ALTER SYSTEM SET fsync = $v" \
        -c "ALTER SYSTEM SET synchronous_commit = $v" \
        -c "ALTER SYSTEM SET full_page_writes = $v" -c "SELECT pg_reload_conf()" >/dev/null
}

compare() { # compare LABEL PY_ROWS
    local label=$1 n=$2
    echo "== [$label] presignd backfill, --limit 100000 (memory baseline)" >&2
    run_presignd small --limit 100000
    echo "== [$label] presignd backfill, all $rows users" >&2
    run_presignd full
    echo "== [$label] row-at-a-time Python, first $n users" >&2
    reset_refs
    /usr/bin/time -v /usr/bin/python3 bench/backfill_rowwise.py \
        "host=$PGHOST port=$PGPORT user=postgres dbname=bench" media "$n" \
        >"$dir/py.json" 2>"$dir/py.time"

    local c_rows c_secs c_conv c_rate py_n py_secs py_rate
    c_rows=$(field "$dir/full.json" rows)
    c_secs=$(field "$dir/full.json" elapsed_s)
    c_conv=$(field "$dir/full.json" converted)
    c_rate=$(calc "%d" "$c_rows / $c_secs")
    py_n=$(field "$dir/py.json" rows)
    py_secs=$(field "$dir/py.json" seconds)
    py_rate=$(calc "%d" "$py_n / $py_secs")
    echo
    echo "[$label] presignd backfill: $c_rows users ($c_conv references) in" \
         "$c_secs s (process wall $(wall_s "$dir/full.time") s): $c_rate users/s," \
         "batch $batch, peak RSS $(rss_kb "$dir/full.time") kB" \
         "(with --limit 100000: $(rss_kb "$dir/small.time") kB)"
    echo "[$label] row-at-a-time Python: $py_n users in $py_secs s:" \
         "$py_rate users/s, peak RSS $(rss_kb "$dir/py.time") kB" \
         "(measured on the first $py_n users only)"
    echo "[$label] ratio (rates): $(calc "%.1f" "$c_rate / $py_rate")x" \
         "(Python extrapolated to $c_rows users: $(calc "%d" "$c_rows / $py_rate") s)"
    echo
}

echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
durability off
compare "fsync off" "$py_rows"
durability on
compare "fsync on" "$py_rows_durable"
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "last summary: $(tail -n1 "$dir/full.json")"
