"""The host mapping is data: presignd migrate and backfill run against a
schema with other table and column names, UUID keys and signatures in a
second table, given only another queries file."""
import uuid

import bfdata
import harness

QUERIES = bfdata.fixture_path("alt-schema", "queries.sql")


def setup_database():
    dsn = bfdata.new_database(reference_schema=False)
    with open(bfdata.fixture_path("alt-schema", "schema.sql")) as f:
        with bfdata.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(f.read())
    return dsn


def people(dsn, n):
    ids = sorted(str(uuid.uuid4()) for _ in range(n))
    with bfdata.connect(dsn) as conn, conn.cursor() as cur:
        for i, pid in enumerate(ids):
            cur.execute("INSERT INTO crm.people (person_uuid, handle, "
                        "profile_photo_link) VALUES (%s, %s, %s)",
                        (pid, "p%d" % i,
                         "https://media.s3.amazonaws.com/people/%d.png" % i))
            if i % 2 == 0:
                cur.execute("INSERT INTO crm.signature_files VALUES (%s, %s)",
                            (pid, "s3://media/sig/%d.jpg" % i))
    return ids


def test_migrate_and_backfill_with_another_queries_file():
    dsn = setup_database()
    r = bfdata.migrate(dsn, "--queries", QUERIES)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "host_setup: ok (%s)" % QUERIES
    ids = people(dsn, 9)

    r, s = bfdata.backfill(dsn, "--batch-size", "4",
                           env={"PRESIGND_QUERIES": QUERIES})
    assert r.returncode == 0, r.stderr
    assert (s["rows"], s["converted"], s["no_url"], s["batches"]) == (
        9, 14, 4, 3)
    refs = bfdata.refs(dsn)
    assert refs[(ids[0], "avatar")][:3] == ("media", "people/0.png",
                                            "image/png")
    assert refs[(ids[2], "signature")][:3] == ("media", "sig/2.jpg",
                                               "image/jpeg")
    assert (ids[1], "signature") not in refs

    r, s = bfdata.backfill(dsn, env={"PRESIGND_QUERIES": QUERIES})
    assert (s["converted"], s["already_converted"]) == (0, 14)

    r = bfdata.migrate(dsn, "--queries", QUERIES, "--drop-legacy-columns")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "legacy URL columns: dropped"


def test_the_builtin_queries_do_not_fit_the_other_schema():
    dsn = setup_database()
    r = bfdata.migrate(dsn, "--queries", QUERIES)
    assert r.returncode == 0, r.stderr
    r, s = bfdata.backfill(dsn)
    assert r.returncode == 1
    assert "relation \"users\" does not exist" in r.stderr
