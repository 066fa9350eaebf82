"""presignd backfill: converts each legacy URL once, in batches; re-runs,
concurrent copies and killed runs lose and duplicate nothing; dry runs
predict real ones; bad rows are reported, never written."""
import json
import os
import pty
import signal
import subprocess
import tempfile

import bfdata
import harness


def expected_refs(ids, cases=bfdata.CASES):
    out = {}
    for uid, (avatar, signature, ea, es) in zip(ids, cases):
        for kind, url, exp in (("avatar", avatar, ea),
                               ("signature", signature, es)):
            if isinstance(exp, tuple):
                out[(str(uid), kind)] = exp + (url,)
    return out


def without_time(refs):
    return {k: v[:4] for k, v in refs.items()}


def test_converts_every_form_to_the_right_reference():
    dsn = bfdata.new_database()
    ids = bfdata.insert_cases(dsn)
    report = tempfile.mktemp(suffix=".jsonl")
    r, s = bfdata.backfill(dsn, "--report", report, "--batch-size", "2")
    assert without_time(bfdata.refs(dsn)) == expected_refs(ids)
    assert r.returncode == 3, r.stderr  # some URLs could not be parsed
    assert s["complete"] is True and s["dry_run"] is False
    assert (s["rows"], s["items"], s["batches"]) == (6, 12, 3)
    assert {k: s[k] for k in ("converted", "already_converted", "no_url",
                              "external", "unparseable",
                              "bucket_not_configured", "ambiguous_plus")} == {
        "converted": 6, "already_converted": 0, "no_url": 1, "external": 1,
        "unparseable": 3, "bucket_not_configured": 1, "ambiguous_plus": 1}
    rows = bfdata.read_report(report)
    os.unlink(report)
    assert [(x["subject_id"], x["kind"], x["outcome"]) for x in rows] == [
        ("3", "avatar", "external"),
        ("3", "signature", "bucket_not_configured"),
        ("4", "avatar", "unparseable"),
        ("4", "signature", "unparseable"),
        ("5", "avatar", "unparseable")]
    assert rows[0]["url"] == bfdata.CASES[2][0]
    assert rows[1]["bucket"] == "other-bucket" and rows[1]["key"] == "sig.png"
    assert [x["reason"] for x in rows[2:]] == ["empty", "syntax",
                                               "bad-escape"]


def test_rerun_is_a_no_op():
    dsn = bfdata.new_database()
    ids = bfdata.insert_cases(dsn)
    bfdata.backfill(dsn)
    before = bfdata.refs(dsn)
    r, s = bfdata.backfill(dsn)
    assert bfdata.refs(dsn) == before  # created_at too: nothing rewritten
    assert (s["converted"], s["already_converted"]) == (0, 6)
    assert r.returncode == 3


def test_existing_references_are_never_overwritten():
    dsn = bfdata.new_database()
    ids = bfdata.insert_cases(dsn)
    with bfdata.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO presignd.object_refs (subject_id, kind, "
                    "bucket, object_key) VALUES ('1', 'avatar', 'media', "
                    "'set-by-the-app.png')")
    r, s = bfdata.backfill(dsn)
    assert bfdata.refs(dsn)[("1", "avatar")][:2] == ("media",
                                                     "set-by-the-app.png")
    assert (s["converted"], s["already_converted"]) == (5, 1)


def test_dry_run_changes_nothing_and_predicts_the_real_run():
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn)
    bfdata.insert_bulk(dsn, 300, first_id=100)
    dry_report = tempfile.mktemp(suffix=".jsonl")
    real_report = tempfile.mktemp(suffix=".jsonl")
    rd, dry = bfdata.backfill(dsn, "--dry-run", "--batch-size", "7",
                              "--report", dry_report)
    assert bfdata.ref_count(dsn) == 0
    rr, real = bfdata.backfill(dsn, "--batch-size", "7",
                               "--report", real_report)
    assert dry["dry_run"] is True
    for k in ("dry_run", "elapsed_s", "rows_per_s"):
        dry.pop(k)
        real.pop(k)
    assert dry == real
    assert rd.returncode == rr.returncode == 3
    assert bfdata.read_report(dry_report) == bfdata.read_report(real_report)
    assert bfdata.ref_count(dsn) == real["converted"] == 6 + 400
    os.unlink(dry_report)
    os.unlink(real_report)


def test_limit_kind_and_batch_size_select_the_rows():
    dsn = bfdata.new_database()
    bfdata.insert_bulk(dsn, 30)
    r, s = bfdata.backfill(dsn, "--limit", "10", "--batch-size", "4",
                           "--kind", "signature")
    assert r.returncode == 0, r.stderr
    assert (s["rows"], s["items"], s["batches"]) == (10, 10, 3)
    assert sorted(bfdata.refs(dsn)) == [(str(i), "signature")
                                        for i in (3, 6, 9)]
    r, s = bfdata.backfill(dsn, "--kind", "avatar")
    assert (s["rows"], s["converted"]) == (30, 30)
    assert bfdata.ref_count(dsn) == 33


def test_only_external_or_unconfigured_rows_exit_0():
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, bfdata.CASES[2:3])
    r, s = bfdata.backfill(dsn)
    assert r.returncode == 0, r.stderr
    assert (s["external"], s["bucket_not_configured"]) == (1, 1)
    assert bfdata.ref_count(dsn) == 0


def test_report_never_carries_a_stale_url_signature_or_token():
    secret = "X-Amz-Credential=AKIAOLD%2F20200101&X-Amz-Signature=deadbeef"
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, [
        ("https://other-bucket.s3.amazonaws.com/a.png?" + secret,
         "https://www.gravatar.com/avatar/x?token=s3cr3t", None, None)])
    report = tempfile.mktemp(suffix=".jsonl")
    r, s = bfdata.backfill(dsn, "--report", report)
    rows = bfdata.read_report(report)
    os.unlink(report)
    assert [x["url"] for x in rows] == [
        "https://other-bucket.s3.amazonaws.com/a.png?<removed>",
        "https://www.gravatar.com/avatar/x?<removed>"]
    assert r.returncode == 0, r.stderr


def test_buckets_come_from_presignd_buckets_too():
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, bfdata.CASES[2:3])
    r = harness.run(["backfill"], env=bfdata.env_for(
        dsn, PRESIGND_BUCKETS="x-bucket,other-bucket"))
    assert r.returncode == 0, r.stderr
    assert bfdata.refs(dsn)[("1", "signature")][:2] == ("other-bucket",
                                                         "sig.png")


def test_presignd_buckets_items_are_trimmed_as_serve_trims_them():
    # serve reads "a, b" as two buckets; the backfill must read the same
    # setting the same way, or rows in " b" are silently not converted.
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, bfdata.CASES[2:3])
    r = harness.run(["backfill"], env=bfdata.env_for(
        dsn, PRESIGND_BUCKETS="x-bucket, other-bucket "))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["bucket_not_configured"] == 0, r.stdout
    assert bfdata.refs(dsn)[("1", "signature")][:2] == ("other-bucket",
                                                         "sig.png")


def test_invalid_bucket_name_is_a_usage_error():
    r = harness.run(["backfill", "--bucket", "Media"],
                    env={"PRESIGND_BUCKETS": ""})
    assert (r.returncode, r.stderr.strip()) == (
        2, "presignd backfill: --bucket: bucket name 'Media' may contain "
           "only lower-case letters, digits, '.' and '-' "
           "(see 'presignd backfill --help')")


def test_non_tty_progress_is_one_json_line_per_batch():
    dsn = bfdata.new_database()
    bfdata.insert_bulk(dsn, 10)
    r, s = bfdata.backfill(dsn, "--batch-size", "4")
    lines = [json.loads(l) for l in r.stderr.splitlines()]
    assert [(l["batch"], l["rows"], l["total"]) for l in lines] == [
        (1, 4, 10), (2, 8, 10), (3, 10, 10)]
    assert lines[-1]["converted"] == s["converted"] == 13


def test_tty_progress_shows_count_rate_and_eta():
    dsn = bfdata.new_database()
    bfdata.insert_bulk(dsn, 10)
    master, slave = pty.openpty()
    p = subprocess.Popen([harness.BIN, "backfill", "--bucket", "media",
                          "--batch-size", "4"],
                         env=dict(os.environ, DATABASE_URL=dsn),
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    out, _ = p.communicate(timeout=30)
    assert p.returncode == 0
    screen = b"".join(chunks).decode()
    updates = [u.strip() for u in screen.split("\r") if u.strip()]
    assert [u.split(" rows")[0] for u in updates] == ["4/10", "8/10",
                                                      "10/10"]
    assert all(" rows/s  ETA " in u for u in updates)
    assert updates[-1].startswith("10/10 rows (100%)")
    assert json.loads(out)["converted"] == 13


def test_usage_errors_exit_2_with_the_reason():
    cases = [
        ([], "presignd backfill: no bucket configured: give --bucket NAME or "
             "PRESIGND_BUCKETS (see 'presignd backfill --help')"),
        (["--bucket", "b", "--batch-size", "0"],
         "presignd backfill: --batch-size must be 1..100000, not '0' "
         "(see 'presignd backfill --help')"),
        (["--bucket", "b", "--kind", "photo"],
         "presignd backfill: --kind must be avatar, signature or all, not "
         "'photo' (see 'presignd backfill --help')"),
        (["--bucket", "b", "--limit", "-3"],
         "presignd backfill: --limit must be a positive number, not '-3' "
         "(see 'presignd backfill --help')"),
    ]
    for args, message in cases:
        r = harness.run(["backfill"] + args,
                        env={"PRESIGND_BUCKETS": ""})
        assert (r.returncode, r.stderr.strip()) == (2, message)


def test_database_errors_exit_1_and_name_the_step():
    dsn = bfdata.new_database(reference_schema=False)
    r, s = bfdata.backfill(dsn)
    assert r.returncode == 1
    assert r.stderr.startswith(
        "presignd backfill: backfill_count failed (SQLSTATE 42P01)")


def test_two_concurrent_copies_neither_duplicate_nor_lose_rows():
    dsn = bfdata.new_database()
    total = bfdata.insert_bulk(dsn, 6000)
    env = dict(os.environ, DATABASE_URL=dsn)
    cmd = [harness.BIN, "backfill", "--bucket", "media", "--batch-size", "50",
           "--progress", "none"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    sums = [json.loads(o.splitlines()[-1]) for o, _ in outs]
    assert sums[0]["converted"] + sums[1]["converted"] == total
    assert all(s["converted"] + s["already_converted"] == total
               for s in sums)
    assert bfdata.ref_count(dsn) == total


def test_sigkill_mid_run_then_rerun_finishes_the_job():
    dsn = bfdata.new_database()
    total = bfdata.insert_bulk(dsn, 20000)
    env = dict(os.environ, DATABASE_URL=dsn)
    p = subprocess.Popen([harness.BIN, "backfill", "--bucket", "media",
                          "--batch-size", "20", "--progress", "json"],
                         env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    for _ in range(5):  # let a few batches commit
        assert json.loads(p.stderr.readline())["batch"] > 0
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=30)
    assert p.returncode == -signal.SIGKILL
    # A COMMIT the server had already received still completes after the
    # client died: count only once the killed run's backends are gone.
    bfdata.wait_for_other_backends_to_leave(dsn)
    partial = bfdata.ref_count(dsn)
    assert 0 < partial < total
    r, s = bfdata.backfill(dsn, "--progress", "none")
    assert r.returncode == 0, r.stderr
    assert (s["converted"], s["already_converted"]) == (total - partial,
                                                        partial)
    assert bfdata.ref_count(dsn) == total
