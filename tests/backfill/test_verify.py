"""presignd backfill --verify against a real S3 store (Ceph radosgw): a
signed HEAD per object; missing objects are reported without failing the
batch; for a raw '+' the reading that exists is kept."""
import json
import uuid

import botocore.session
from botocore.config import Config

import bfdata
import harness


def s3_client(env):
    session = botocore.session.get_session()
    return session.create_client(
        "s3", endpoint_url=env["S3_ENDPOINT"], region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}))


def test_verify_checks_each_object_and_resolves_ambiguous_plus():
    env = harness.rgw_env()
    s3 = s3_client(env)
    bucket = "bf-verify-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    for key, ctype in (("avatars/1.png", "image/x-from-the-store"),
                       ("sig/a+b.png", "image/png"),
                       ("sig/c d.png", "image/png"),
                       ("path/style.jpg", "image/jpeg")):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x", ContentType=ctype)
    vhost = "https://%s.s3.amazonaws.com/" % bucket
    endpoint = env["S3_ENDPOINT"]
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, [
        (vhost + "avatars/1.png", vhost + "sig/a+b.png", None, None),
        (vhost + "avatars/missing.png", vhost + "sig/c+d.png", None, None),
        ("%s/%s/path/style.jpg" % (endpoint, bucket), None, None, None),
    ])
    report = "%s/verify-%s.jsonl" % (harness.HARNESS_DIR, bucket)
    r = harness.run(
        ["backfill", "--bucket", bucket, "--verify", "--report", report,
         "--s3-endpoint", endpoint],
        env=dict(env, DATABASE_URL=dsn, PRESIGND_BUCKETS=""))
    assert r.returncode == 4, r.stderr  # done, but one object is missing
    s = json.loads([l for l in r.stdout.splitlines() if l][-1])
    assert (s["converted"], s["verified"], s["missing"], s["plus_as_plus"],
            s["verify_failed"], s["ambiguous_plus"]) == (5, 4, 1, 1, 0, 2)
    refs = bfdata.refs(dsn)
    assert refs[("1", "avatar")][:3] == (bucket, "avatars/1.png",
                                         "image/x-from-the-store")
    assert refs[("1", "signature")][1] == "sig/a+b.png"  # the one that exists
    assert refs[("2", "signature")][1] == "sig/c d.png"
    assert refs[("2", "avatar")][1] == "avatars/missing.png"  # still written
    assert refs[("3", "avatar")][:3] == (bucket, "path/style.jpg",
                                         "image/jpeg")
    rows = bfdata.read_report(report)
    assert [(x["subject_id"], x["kind"], x["reason"], x["detail"])
            for x in rows] == [("2", "avatar", "missing", "HEAD answered 404")]


def test_verify_without_credentials_refuses_to_start():
    dsn = bfdata.new_database()
    r = harness.run(["backfill", "--bucket", "media", "--verify"],
                    env={"DATABASE_URL": dsn, "AWS_ACCESS_KEY_ID": "",
                         "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "none",
                         "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    assert r.returncode == 1
    assert r.stderr.startswith("presignd backfill: ")
    assert bfdata.ref_count(dsn) == 0


def test_verify_checks_many_objects_concurrently_in_chunks():
    env = harness.rgw_env()
    s3 = s3_client(env)
    bucket = "bf-many-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    for i in range(0, 600, 2):  # every even avatar exists
        s3.put_object(Bucket=bucket, Key="a/%d.png" % i, Body=b"x")
    dsn = bfdata.new_database()
    with bfdata.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (id, email, display_name, avatar_url) "
            "SELECT i, i || '@x.test', 'x', "
            "'https://' || %s || '.s3.amazonaws.com/a/' || i || '.png' "
            "FROM generate_series(0, 599) AS i", (bucket,))
    report = "%s/verify-%s.jsonl" % (harness.HARNESS_DIR, bucket)
    r = harness.run(
        ["backfill", "--bucket", bucket, "--verify", "--report", report,
         "--verify-concurrency", "8", "--batch-size", "400"],
        env=dict(env, DATABASE_URL=dsn, PRESIGND_BUCKETS=""))
    assert r.returncode == 4, r.stderr  # half the objects are missing
    s = json.loads([l for l in r.stdout.splitlines() if l][-1])
    assert (s["converted"], s["verified"], s["missing"]) == (600, 300, 300)
    missing = sorted(int(x["subject_id"])
                     for x in bfdata.read_report(report))
    assert missing == list(range(1, 600, 2))


def test_verify_concurrency_is_bounded():
    r = harness.run(["backfill", "--bucket", "b", "--verify-concurrency",
                     "65"])
    assert (r.returncode, r.stderr.strip()) == (
        2, "presignd backfill: --verify-concurrency must be 1..64, not '65' "
           "(see 'presignd backfill --help')")


def test_verify_sends_keys_with_dot_segments_as_stored():
    # S3 keys are literal: "d/../x.png" is its own object. A client that
    # squashes dot segments asks for another key (and the signature fails).
    env = harness.rgw_env()
    s3 = s3_client(env)
    bucket = "bf-dots-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    for key in ("d/../x.png", "./y.png"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, [("s3://%s/d/../x.png" % bucket,
                               "s3://%s/./y.png" % bucket, None, None)])
    r = harness.run(["backfill", "--bucket", bucket, "--verify"],
                    env=dict(env, DATABASE_URL=dsn, PRESIGND_BUCKETS=""))
    assert r.returncode == 0, r.stderr
    s = json.loads([l for l in r.stdout.splitlines() if l][-1])
    assert (s["converted"], s["verified"], s["missing"],
            s["verify_failed"]) == (2, 2, 0, 0), r.stdout


def test_verify_that_cannot_reach_the_store_exits_4():
    # Every check fails (nothing listens on the port): the references are
    # still written, and the exit status tells a script to look.
    env = dict(harness.rgw_env(), AWS_ENDPOINT_URL="http://127.0.0.1:9",
               AWS_ENDPOINT_URL_S3="")
    dsn = bfdata.new_database()
    bfdata.insert_cases(dsn, [("s3://media-bucket/a.png", None, None, None)])
    r = harness.run(["backfill", "--bucket", "media-bucket", "--verify"],
                    env=dict(env, DATABASE_URL=dsn, PRESIGND_BUCKETS=""))
    assert r.returncode == 4, r.stderr
    s = json.loads([l for l in r.stdout.splitlines() if l][-1])
    assert (s["converted"], s["verified"], s["verify_failed"]) == (1, 0, 1)


def test_verify_reaches_a_named_endpoint_through_resolve_pins():
    # The store by name, pinned to loopback as the audit commands allow,
    # and the signed Host is the name. radosgw reads any other name than its
    # "rgw dns name" (localhost here) as a bucket CNAME, so the name is
    # localhost; the pin makes curl skip even /etc/hosts.
    env = harness.rgw_env()
    s3 = s3_client(env)
    bucket = "bf-pin-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a.png", Body=b"x")
    port = env["S3_ENDPOINT"].rsplit(":", 1)[1]

    def verify_pinned_to(address):
        dsn = bfdata.new_database()
        bfdata.insert_cases(dsn, [("s3://%s/a.png" % bucket, None, None,
                                   None)])
        r = harness.run(
            ["backfill", "--bucket", bucket, "--verify"],
            env=dict(env, DATABASE_URL=dsn, PRESIGND_BUCKETS="",
                     AWS_ENDPOINT_URL="http://localhost:%s" % port,
                     AWS_ENDPOINT_URL_S3="",
                     PRESIGND_S3_RESOLVE="localhost:%s:%s" % (port, address)))
        s = json.loads([l for l in r.stdout.splitlines() if l][-1])
        return (r.returncode, s["converted"], s["verified"],
                s["verify_failed"])

    assert verify_pinned_to("127.0.0.1") == (0, 1, 1, 0)
    # The pin wins over /etc/hosts: pinned where nothing listens, it fails.
    assert verify_pinned_to("127.0.0.2") == (4, 1, 0, 1)
