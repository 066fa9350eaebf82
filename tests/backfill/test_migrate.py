"""presignd migrate: numbered migrations applied once, recorded, safe to
re-run and to run concurrently; host setup; the guarded legacy drop."""
import subprocess

import bfdata
import harness

MIGRATIONS = ["0001_object_refs", "0002_object_refs_statement_notify"]


def query(dsn, sql, *params):
    with bfdata.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def applied(dsn):
    return query(dsn, "SELECT version, name, checksum, applied_at "
                      "FROM presignd.schema_migrations ORDER BY version")


def test_status_on_an_empty_database_lists_pending_and_creates_nothing():
    dsn = bfdata.new_database(reference_schema=False)
    r = bfdata.migrate(dsn, "--status")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["version", "name", "state", "applied_at"]
    assert lines[1].split() == ["0001", "object_refs", "pending", "-"]
    assert lines[-1] == "0 applied, %d pending" % len(MIGRATIONS)
    assert query(dsn, "SELECT count(*) FROM pg_namespace "
                      "WHERE nspname = 'presignd'") == [(0,)]


def test_dry_run_says_what_it_would_do_and_changes_nothing():
    dsn = bfdata.new_database(reference_schema=False)
    r = bfdata.migrate(dsn, "--dry-run")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == (
        ["would apply %s" % m for m in MIGRATIONS] +
        ["would run host_setup (built-in)"])
    assert query(dsn, "SELECT count(*) FROM pg_namespace "
                      "WHERE nspname = 'presignd'") == [(0,)]


def test_migrate_applies_in_order_and_a_rerun_is_a_no_op():
    dsn = bfdata.new_database(reference_schema=False)
    r = bfdata.migrate(dsn, "--reference-schema")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == (
        ["reference host schema: ok"] +
        ["applied %s" % m for m in MIGRATIONS] +
        ["host_setup: ok (built-in)"])
    first = applied(dsn)
    assert [(v, n) for v, n, _, _ in first] == [
        (1, "object_refs"), (2, "object_refs_statement_notify")]
    assert all(len(c) == 64 for _, _, c, _ in first)

    r = bfdata.migrate(dsn)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "migrations: nothing to apply (%d applied)" % len(MIGRATIONS),
        "host_setup: ok (built-in)"]
    assert applied(dsn) == first
    status = bfdata.migrate(dsn, "--status").stdout.splitlines()
    assert [l.split()[2] for l in status[1:-1]] == ["applied"] * 2
    assert status[-1] == "%d applied, 0 pending" % len(MIGRATIONS)


def test_concurrent_runs_apply_each_migration_exactly_once():
    dsn = bfdata.new_database(reference_schema=False)
    env = dict(harness.os.environ, DATABASE_URL=dsn)
    procs = [subprocess.Popen([harness.BIN, "migrate", "--reference-schema"],
                              env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in outs]
    applied_lines = [l for out, _ in outs for l in out.splitlines()
                     if l.startswith("applied ")]
    assert sorted(applied_lines) == ["applied %s" % m for m in MIGRATIONS]
    assert len(applied(dsn)) == len(MIGRATIONS)


def test_host_setup_needs_the_host_tables_and_can_be_skipped():
    dsn = bfdata.new_database(reference_schema=False)
    r = bfdata.migrate(dsn)
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "presignd migrate: host_setup failed (SQLSTATE 42P01): "
        "ERROR:  relation \"sessions\" does not exist")
    # The migrations themselves were committed before host_setup ran.
    assert len(applied(dsn)) == len(MIGRATIONS)
    r = bfdata.migrate(dsn, "--skip-host-setup")
    assert r.returncode == 0, r.stderr


def test_a_migration_changed_after_it_was_applied_blocks_the_run():
    dsn = bfdata.new_database()
    query(dsn, "UPDATE presignd.schema_migrations SET checksum = 'x' "
               "WHERE version = 1 RETURNING version")
    r = bfdata.migrate(dsn)
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "presignd migrate: migration 0001_object_refs was changed after it "
        "was applied; refusing to go on")
    status = bfdata.migrate(dsn, "--status").stdout.splitlines()
    assert status[1].split()[2] == "changed"
    assert "1 CHANGED after being applied" in status[-1]


def test_host_setup_installs_invalidation_triggers():
    dsn = bfdata.new_database()
    names = {r[0] for r in query(
        dsn, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    assert {"presignd_sessions_notify", "presignd_users_notify",
            "presignd_memberships_notify",
            "object_refs_notify_insert"} <= names


def test_object_ref_changes_notify_the_gateways():
    dsn = bfdata.new_database()
    conn = bfdata.connect(dsn)
    cur = conn.cursor()
    cur.execute("LISTEN presignd_invalidate")
    cur.execute("INSERT INTO presignd.object_refs (subject_id, kind, bucket, "
                "object_key) VALUES ('7', 'avatar', 'media', 'a.png'), "
                "('8', 'avatar', 'media', 'b.png')")
    cur.execute("UPDATE presignd.object_refs SET subject_id = '9' "
                "WHERE subject_id = '8'")
    cur.execute("DELETE FROM presignd.object_refs WHERE subject_id = '7'")
    conn.poll()
    payloads = [n.payload for n in conn.notifies]
    conn.close()
    assert sorted(payloads) == sorted(
        ["user:7", "user:8", "user:9", "user:8", "user:7"])


def test_drop_legacy_columns_refuses_while_a_row_depends_on_a_url():
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, bfdata.CASES[:2])
    bfdata.backfill(dsn, "--kind", "avatar")
    r = bfdata.migrate(dsn, "--drop-legacy-columns")
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "presignd migrate: not dropping the legacy URL columns: 1 rows still "
        "have a legacy URL and no reference (run presignd backfill --report "
        "FILE to see them)")
    assert column_count(dsn) == 2


def column_count(dsn):
    return query(dsn, "SELECT count(*) FROM information_schema.columns "
                      "WHERE table_name = 'users' AND column_name IN "
                      "('avatar_url', 'signature_url')")[0][0]


def test_drop_legacy_columns_drops_once_every_url_has_a_reference():
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, bfdata.CASES[:2])
    r, summary = bfdata.backfill(dsn)
    assert r.returncode == 0, r.stderr
    r = bfdata.migrate(dsn, "--drop-legacy-columns", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == (
        "legacy URL columns: would be dropped (no row depends on them)")
    assert column_count(dsn) == 2
    r = bfdata.migrate(dsn, "--drop-legacy-columns")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "legacy URL columns: dropped"
    assert column_count(dsn) == 0
    assert len(bfdata.refs(dsn)) == 3


def test_usage_errors_exit_2():
    r = harness.run(["migrate", "--bogus"])
    assert r.returncode == 2
    r = harness.run(["migrate", "extra"])
    assert r.returncode == 2
    assert r.stderr.strip() == "presignd migrate: unexpected argument 'extra'"
    r = harness.run(["migrate", "--help"])
    assert r.returncode == 0 and "--drop-legacy-columns" in r.stdout
