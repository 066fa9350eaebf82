"""bfdata.py - what the backfill tests share: a database with presignd's
schema, users with known legacy URLs, and ways to run the command and read
the result."""
import json
import os
import time

import psycopg2

import harness

BUCKET = "media"

# (avatar_url, signature_url, expected avatar ref, expected signature ref).
# A ref is (bucket, key, content_type) or a reason string when the URL must
# not be converted.
CASES = [
    ("https://media.s3.amazonaws.com/avatars/1.png",
     "s3://media/signatures/1.png",
     ("media", "avatars/1.png", "image/png"),
     ("media", "signatures/1.png", "image/png")),
    ("https://s3.eu-west-1.amazonaws.com/media/a/b%20c.jpg?X-Amz-Signature=x",
     None,
     ("media", "a/b c.jpg", "image/jpeg"), "no_url"),
    ("https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346",
     "https://other-bucket.s3.amazonaws.com/sig.png",
     "external", "bucket_not_configured"),
    ("", "not a url at all", "unparseable", "unparseable"),
    ("https://media.s3.amazonaws.com/bad%zzescape.png",
     "https://media.s3.amazonaws.com/sig/with+plus.gif",
     "unparseable", ("media", "sig/with plus.gif", "image/gif")),
    ("https://media.s3.amazonaws.com/noext/%E2%9C%93",
     "https://media.s3.amazonaws.com/sig/%2Bliteral.webp",
     ("media", "noext/\u2713", None),
     ("media", "sig/+literal.webp", "image/webp")),
]


def connect(dsn):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def env_for(dsn, **extra):
    env = {"DATABASE_URL": dsn}
    env.update(extra)
    return env


def migrate(dsn, *args, env=None):
    return harness.run(["migrate"] + list(args), env=env_for(dsn, **(env or {})))


def new_database(reference_schema=True):
    dsn = harness.fresh_database("bf")
    if reference_schema:
        r = migrate(dsn, "--reference-schema")
        assert r.returncode == 0, r.stderr
    return dsn


def insert_cases(dsn, cases=CASES, first_id=1):
    """Inserts one user per case, ids from first_id; returns the ids."""
    ids = []
    with connect(dsn) as conn, conn.cursor() as cur:
        for i, (avatar, signature, _, _) in enumerate(cases):
            uid = first_id + i
            cur.execute(
                "INSERT INTO users (id, email, display_name, avatar_url, "
                "signature_url) VALUES (%s, %s, %s, %s, %s)",
                (uid, "u%d@example.test" % uid, "User %d" % uid, avatar,
                 signature))
            ids.append(uid)
    return ids


def insert_bulk(dsn, n, first_id=1):
    """n users, every one with a convertible avatar and every third with a
    convertible signature."""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (id, email, display_name, avatar_url, "
            "signature_url) SELECT i, 'b' || i || '@example.test', 'B', "
            "'https://media.s3.amazonaws.com/avatars/' || i || '.png', "
            "CASE WHEN i %% 3 = 0 THEN 's3://media/sig/' || i || '.png' END "
            "FROM generate_series(%s, %s) AS i", (first_id, first_id + n - 1))
    return n + n // 3


def refs(dsn):
    """{(subject_id, kind): (bucket, key, content_type, source_url)}"""
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT subject_id, kind, bucket, object_key, "
                    "content_type, source_url, created_at "
                    "FROM presignd.object_refs")
        return {(r[0], r[1]): tuple(r[2:]) for r in cur.fetchall()}


def wait_for_other_backends_to_leave(dsn, timeout=30):
    """Waits until no other session is connected to the database."""
    deadline = time.time() + timeout
    with connect(dsn) as conn, conn.cursor() as cur:
        while True:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                        "datname = current_database() AND "
                        "backend_type = 'client backend' AND "
                        "pid <> pg_backend_pid()")
            if cur.fetchone()[0] == 0:
                return
            assert time.time() < deadline, "backends still connected"
            time.sleep(0.02)


def ref_count(dsn):
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM presignd.object_refs")
        return cur.fetchone()[0]


def backfill(dsn, *args, env=None, timeout=120):
    """Runs presignd backfill; returns (CompletedProcess, summary dict)."""
    r = harness.run(["backfill", "--bucket", BUCKET] + list(args),
                    env=env_for(dsn, **(env or {})), timeout=timeout)
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    summary = json.loads(lines[-1]) if lines else None
    return r, summary


def read_report(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def fixture_path(*parts):
    return os.path.join(harness.SOURCE_DIR, "tests", "fixtures", *parts)
