#!/usr/bin/python3
"""backfill_rowwise.py - the obvious row-at-a-time backfill, as a peer for
bench/backfill.sh: select one row, parse its URLs in Python, insert the
references, commit; repeat. Written the way a team would write it on a
Friday afternoon (psycopg2, urllib), not tuned.

    backfill_rowwise.py DSN BUCKET[,BUCKET...] [MAX_ROWS]

Prints one JSON line: rows, converted, seconds.
"""
import json
import re
import sys
import time
import urllib.parse

import psycopg2

AWS_HOST = re.compile(
    r"^(?:(?P<vbucket>[a-z0-9.-]+)\.)?s3(?:[.-](?:dualstack\.)?"
    r"(?P<region>[a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$")


def parse(url):
    """(bucket, key) or None."""
    if not url:
        return None
    u = urllib.parse.urlsplit(url)
    if u.scheme == "s3":
        key = urllib.parse.unquote(u.path.lstrip("/"))
        return (u.netloc, key) if u.netloc and key else None
    if u.scheme not in ("http", "https") or u.username:
        return None
    m = AWS_HOST.match((u.hostname or "").lower())
    if not m:
        return None
    path = u.path
    if m.group("vbucket") and m.group("vbucket") != "s3":
        bucket, key = m.group("vbucket"), path[1:]
    else:
        bucket, _, key = path[1:].partition("/")
    key = urllib.parse.unquote_plus(key)
    return (bucket, key) if bucket and key else None


def main():
    dsn, buckets = sys.argv[1], set(sys.argv[2].split(","))
    max_rows = int(sys.argv[3]) if len(sys.argv) > 3 else None
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    last, rows, converted = 0, 0, 0
    start = time.monotonic()
    while max_rows is None or rows < max_rows:
        cur.execute("SELECT id, avatar_url, signature_url FROM users "
                    "WHERE id > %s ORDER BY id LIMIT 1", (last,))
        row = cur.fetchone()
        if row is None:
            break
        last = row[0]
        for kind, url in (("avatar", row[1]), ("signature", row[2])):
            ref = parse(url)
            if ref is None or ref[0] not in buckets:
                continue
            cur.execute(
                "INSERT INTO presignd.object_refs "
                "(subject_id, kind, bucket, object_key, source_url) "
                "VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (subject_id, kind) DO NOTHING",
                (str(row[0]), kind, ref[0], ref[1], url))
            converted += cur.rowcount
        conn.commit()
        rows += 1
    print(json.dumps({"rows": rows, "converted": converted,
                      "seconds": round(time.monotonic() - start, 3)}))


if __name__ == "__main__":
    main()
