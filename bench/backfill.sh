#!/usr/bin/env bash
# backfill.sh - benchmark of `presignd backfill` against the obvious
# row-at-a-time Python/psycopg2 script (bench/backfill_rowwise.py), on a
# throwaway local PostgreSQL cluster. Not a test: prints figures only.
#
#   bench/backfill.sh               1,000,000 users; Python on 20,000 of them
#   ROWS=N PY_ROWS=M bench/backfill.sh
#   PRESIGND_BIN=path BATCH=N      binary to time (default build/gcc), batch
#
# The users carry a realistic mix of legacy URLs: virtual-hosted, path-style
# (regional and dash), s3://, stale presigned query strings, percent-encoded
# and '+' keys, gravatar (external), NULLs, garbage and another bucket. The
# Python script is timed on the first PY_ROWS users only (it is too slow for
# the whole table); its rate is reported as measured and the ratio compares
# rates, which says so on the output line. Both runs start from an empty
# presignd.object_refs. Peak RSS comes from /usr/bin/time -v. The cluster
# runs with fsync off, which flatters the row-at-a-time script (one commit
# per row) far more than the batched backfill.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-1000000}
py_rows=${PY_ROWS:-20000}
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
echo "   loaded in $(echo "$(date +%s.%N) - $load_start" | bc) s" >&2

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

echo "== presignd backfill, --limit 100000 (memory baseline)" >&2
run_presignd small --limit 100000
echo "== presignd backfill, all $rows users" >&2
run_presignd full
echo "== row-at-a-time Python, first $py_rows users" >&2
reset_refs
/usr/bin/time -v /usr/bin/python3 bench/backfill_rowwise.py \
    "host=$PGHOST port=$PGPORT user=postgres dbname=bench" media "$py_rows" \
    >"$dir/py.json" 2>"$dir/py.time"

c_rows=$(field "$dir/full.json" rows)
c_secs=$(field "$dir/full.json" elapsed_s)
c_wall=$(wall_s "$dir/full.time")
c_conv=$(field "$dir/full.json" converted)
c_rate=$(echo "$c_rows / $c_secs" | bc)
py_n=$(field "$dir/py.json" rows)
py_secs=$(field "$dir/py.json" seconds)
py_rate=$(echo "$py_n / $py_secs" | bc)
echo
echo "presignd backfill: $c_rows users ($c_conv references) in $c_secs s" \
     "(process wall $c_wall s): $c_rate users/s," \
     "batch $batch, peak RSS $(rss_kb "$dir/full.time") kB" \
     "(with --limit 100000: $(rss_kb "$dir/small.time") kB)"
echo "row-at-a-time Python: $py_n users in $py_secs s: $py_rate users/s," \
     "peak RSS $(rss_kb "$dir/py.time") kB (measured on the first $py_n users only)"
echo "ratio (rates): $(echo "scale=1; $c_rate / $py_rate" | bc)x" \
     "(Python extrapolated to $c_rows users: $(echo "$c_rows / $py_rate" | bc) s)"
echo "summary: $(tail -n1 "$dir/full.json")"
