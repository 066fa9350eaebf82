"""The lock-down story against real radosgw and Postgres, in order:

a bucket public by ACL and by policy -> `audit` says public (exit 3) ->
`enforce-private` refuses while rows have only legacy URLs (exit 4,
nothing changed) -> after `presignd backfill`, --dry-run lists the exact
changes and makes none -> `enforce-private` saves a rollback file and locks
the bucket:
anonymous GETs denied, presigned GETs 200 (real requests), and the
gateway's redirect still leads to the image -> `audit` exits
0 -> a second run changes nothing -> `--rollback` restores the public state
(anonymous GET 200 again).

radosgw ignores RestrictPublicBuckets, so only deleting the public policy
closes the bucket: the anonymous GETs after the lock prove it was deleted.
"""
import json
import os
import re
import stat
import urllib.parse

import psycopg2
import pytest

import harness
import s3util

KEYS = ["avatars/1.png", "avatars/with space+plus.png", "signatures/2.png"]


class Story:
    pass


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    st = Story()
    st.s3 = s3util.client()
    st.bucket = s3util.unique_bucket("lock")
    st.dsn = s3util.host_database()
    st.env = s3util.presignd_env(st.dsn)
    st.dir = str(tmp_path_factory.mktemp("rollback"))
    s3util.make_public_bucket(st.s3, st.bucket, KEYS)
    ep = harness.rgw_env()["S3_ENDPOINT"]

    def url(bucket, key):
        return "%s/%s/%s" % (ep, bucket, urllib.parse.quote(key))
    conn = psycopg2.connect(st.dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        for uid, (avatar, signature) in enumerate([
                (url(st.bucket, KEYS[0]), None),
                (url(st.bucket, KEYS[1]), url(st.bucket, KEYS[2])),
                ("https://gravatar.com/avatar/abc", None),
                (url(st.bucket + "-archive", "avatars/9.png"), None)], 1):
            cur.execute("INSERT INTO users (id, email, display_name, "
                        "avatar_url, signature_url) VALUES (%s, %s, %s, %s, "
                        "%s)", (uid, "u%d@example.test" % uid, "U", avatar,
                                signature))
    conn.close()
    st.rows = [(1, "avatar", KEYS[0]), (2, "avatar", KEYS[1]),
               (2, "signature", KEYS[2])]  # what the backfill must write
    yield st
    harness.drop_database(st.dsn)


def presignd(st, *args):
    return harness.run(list(args), env=st.env)


def assert_public(st):
    assert s3util.anonymous_status(st.bucket, KEYS[1]) == 200  # policy
    assert s3util.anonymous_status(st.bucket) == 200  # bucket ACL: listing
    assert st.s3.get_bucket_policy(Bucket=st.bucket)["Policy"]


def test_1_audit_says_public(story):
    r = presignd(story, "audit", "--bucket", story.bucket, "--sample", "3")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "verdict: public" in r.stdout
    assert "the bucket policy has 1 public statement(s)" in r.stdout
    assert "the bucket ACL has 1 public grant(s)" in r.stdout
    # nothing is backfilled yet, so there are no keys to sample
    assert "no keys of this bucket in presignd.object_refs)" in r.stdout
    assert "Object ownership         not supported by this store" in r.stdout
    # three rows point into the bucket; gravatar and B-archive do not
    assert "3 row(s) reach this bucket only through a legacy URL" in r.stdout

    r = presignd(story, "audit", "--bucket", story.bucket, "--json")
    assert r.returncode == 3
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "public"
    assert doc["database"]["legacy_only_rows"] == 3
    assert doc["policy"]["public_statements"][0]["Sid"] == "PublicRead"
    assert doc["bucket_acl"]["public_grants"] == [
        {"grantee": "AllUsers", "permission": "READ"}]
    assert doc["object_ownership"]["state"] == "unsupported"
    assert doc["anonymous_listing"]["status"] == 200


def test_2_enforce_refuses_before_backfill(story):
    r = presignd(story, "enforce-private", "--bucket", story.bucket,
                 "--rollback-dir", story.dir)
    assert r.returncode == 4, r.stdout + r.stderr
    assert r.stderr == (
        "presignd enforce-private: refusing: 3 row(s) still reach bucket "
        "'%s' only through a legacy public URL; run `presignd backfill` "
        "first (or use --force)\n" % story.bucket)
    assert os.listdir(story.dir) == []
    assert_public(story)


def test_3_backfill_then_dry_run_changes_nothing(story):
    s3util.backfill(story.dsn, story.bucket, len(story.rows))
    conn = psycopg2.connect(story.dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT subject_id, kind, bucket, object_key FROM "
                    "presignd.object_refs")
        assert sorted(cur.fetchall()) == sorted(
            (str(u), k, story.bucket, key) for u, k, key in story.rows)
    conn.close()
    r = presignd(story, "enforce-private", "--bucket", story.bucket,
                 "--dry-run", "--sample", "3", "--rollback-dir", story.dir)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "dry run: would make these changes:"
    b = story.bucket
    assert lines[1] == ("PutPublicAccessBlock %s: BlockPublicAcls, "
                        "IgnorePublicAcls, BlockPublicPolicy, "
                        "RestrictPublicBuckets all true" % b)
    assert lines[2] == "DeleteBucketPolicy %s: every statement is public" % b
    assert lines[3] == ("PutBucketAcl %s: remove 1 public grant(s), keep 1"
                        % b)
    assert lines[4] == ("PutObjectAcl %s/avatars/1.png: remove 1 public "
                        "grant(s), keep 1" % b)
    assert len(lines) == 5
    assert os.listdir(story.dir) == []
    assert_public(story)
    # presignd's own probes reach every key (space, plus) while it is public
    r = presignd(story, "audit", "--bucket", story.bucket, "--sample", "3",
                 "--json")
    assert r.returncode == 3
    objs = json.loads(r.stdout)["sampled_objects"]
    assert sorted(o["key"] for o in objs) == sorted(KEYS)
    for o in objs:
        assert o["anonymous_get"]["status"] == 200
        assert o["anonymous_get"]["as_expected"] is False
        assert o["presigned_get"]["status"] == 200


def test_4_enforce_locks_and_proves_it(story):
    r = presignd(story, "enforce-private", "--bucket", story.bucket,
                 "--sample", "3", "--rollback-dir", story.dir)
    assert r.returncode == 0, r.stdout + r.stderr
    files = os.listdir(story.dir)
    assert len(files) == 1
    story.rollback = os.path.join(story.dir, files[0])
    assert "rollback file: %s\n" % story.rollback in r.stdout
    assert stat.S_IMODE(os.stat(story.rollback).st_mode) == 0o600
    assert "deleted the public bucket policy" in r.stdout
    assert re.search(r"Anonymous GETs denied +0 of 3 +3 of 3\n", r.stdout)
    assert re.search(r"Presigned GETs 2xx +3 of 3 +3 of 3\n", r.stdout)
    assert re.search(r"Bucket policy +PUBLIC +none\n", r.stdout)
    assert r.stdout.endswith("verified: anonymous GETs denied (3 keys and "
                             "the listing), presigned GETs work\n")
    # the proof, made independently of presignd
    for key in KEYS:
        assert s3util.anonymous_status(story.bucket, key) == 403
        assert s3util.presigned_status(story.s3, story.bucket, key) == 200
    assert s3util.anonymous_status(story.bucket) == 403
    pab = story.s3.get_public_access_block(Bucket=story.bucket)
    assert all(pab["PublicAccessBlockConfiguration"].values())


def test_4b_gateway_redirect_still_works(story):
    token = s3util.session_for(story.dsn, 1)
    gw = s3util.Gateway(story.dsn, story.bucket)
    try:
        status, location = gw.redirect("/v1/me/avatar", token)
    finally:
        gw.stop()
    assert status == 302
    assert location.startswith("%s/%s/avatars/1.png?" % (
        harness.rgw_env()["S3_ENDPOINT"], story.bucket))
    assert s3util.get_status(location) == 200
    assert s3util.anonymous_status(story.bucket, KEYS[0]) == 403


def test_5_audit_exits_0_and_rerun_changes_nothing(story):
    r = presignd(story, "audit", "--bucket", story.bucket, "--sample", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: private" in r.stdout
    r = presignd(story, "enforce-private", "--bucket", story.bucket,
                 "--rollback-dir", story.dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("bucket %s: already private, nothing changed\n"
                               % story.bucket)
    assert len(os.listdir(story.dir)) == 1  # no new rollback file


def test_6_rollback_restores_public_state(story):
    r = presignd(story, "enforce-private", "--rollback", story.rollback)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.endswith("restored the settings saved in %s\n"
                             % story.rollback)
    assert_public(story)
    assert s3util.anonymous_status(story.bucket, KEYS[0]) == 200
    grants = story.s3.get_object_acl(Bucket=story.bucket,
                                     Key=KEYS[0])["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/"
            "AllUsers"} in [g["Grantee"] for g in grants]
    r = presignd(story, "audit", "--bucket", story.bucket)
    assert r.returncode == 3
