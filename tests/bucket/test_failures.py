"""Wrong credentials, an unreachable endpoint, a bucket that does not exist,
a rollback file for another bucket: each is a clear error naming the cause,
exit 5 ("could not check") or 1, and the bucket is left exactly as it was.
"""
import json
import os
import socket

import pytest

import harness
import s3util


@pytest.fixture(scope="module")
def public_bucket():
    s3 = s3util.client()
    bucket = s3util.unique_bucket("fail")
    s3util.make_public_bucket(s3, bucket, ["a.png"])
    dsn = s3util.host_database()
    yield s3, bucket, dsn
    harness.drop_database(dsn)


def unchanged(s3, bucket):
    """The bucket is as public as make_public_bucket left it."""
    assert s3util.anonymous_status(bucket, "a.png") == 200
    assert s3util.anonymous_status(bucket) == 200
    assert "PublicRead" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    pab = s3.get_public_access_block(Bucket=bucket)
    assert not any(pab["PublicAccessBlockConfiguration"].values())


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("command", ["audit", "enforce-private"])
def test_wrong_secret_is_named_and_changes_nothing(public_bucket, command,
                                                   tmp_path):
    s3, bucket, dsn = public_bucket
    env = s3util.presignd_env(dsn, AWS_SECRET_ACCESS_KEY="not-the-secret")
    args = [command, "--bucket", bucket]
    if command == "enforce-private":
        args += ["--force", "--rollback-dir", str(tmp_path)]
    r = harness.run(args, env=env)
    assert r.returncode == 5
    assert ("S3 GetBucketAcl on bucket '%s': HTTP 403 SignatureDoesNotMatch"
            % bucket) in r.stderr
    assert r.stdout == ""
    assert os.listdir(tmp_path) == []
    unchanged(s3, bucket)


def test_unknown_access_key_is_named(public_bucket, tmp_path):
    s3, bucket, dsn = public_bucket
    env = s3util.presignd_env(dsn, AWS_ACCESS_KEY_ID="NOSUCHKEY0000000000X")
    r = harness.run(["enforce-private", "--bucket", bucket, "--force",
                     "--rollback-dir", str(tmp_path)], env=env)
    assert r.returncode == 5
    assert r.stderr.startswith(
        "presignd enforce-private: S3 GetBucketAcl on bucket '%s': HTTP 403 "
        "InvalidAccessKeyId, request id " % bucket)
    assert r.stderr.endswith("; nothing changed\n")
    unchanged(s3, bucket)


def test_unreachable_endpoint_is_named(public_bucket, tmp_path):
    s3, bucket, dsn = public_bucket
    port = closed_port()
    env = s3util.presignd_env(dsn, AWS_ENDPOINT_URL="http://127.0.0.1:%d"
                              % port)
    env.pop("AWS_ENDPOINT_URL_S3", None)
    r = harness.run(["enforce-private", "--bucket", bucket, "--force",
                     "--rollback-dir", str(tmp_path)], env=env)
    assert r.returncode == 5
    assert r.stderr == (
        "presignd enforce-private: S3 GetBucketAcl: cannot reach "
        "http://127.0.0.1:%d: Couldn't connect to server (4 attempts); "
        "nothing changed\n" % port)
    r = harness.run(["audit", "--bucket", bucket], env=env)
    assert r.returncode == 5
    assert "cannot reach http://127.0.0.1:%d" % port in r.stderr
    unchanged(s3, bucket)


def test_missing_bucket_is_named(public_bucket, tmp_path):
    s3, _, dsn = public_bucket
    missing = s3util.unique_bucket("nobucket")
    env = s3util.presignd_env(dsn)
    for args in (["audit", "--bucket", missing],
                 ["enforce-private", "--bucket", missing, "--force",
                  "--rollback-dir", str(tmp_path)]):
        r = harness.run(args, env=env)
        assert r.returncode == 5
        assert ("S3 GetBucketAcl on bucket '%s': HTTP 404 NoSuchBucket"
                % missing) in r.stderr
    assert os.listdir(tmp_path) == []


def test_rollback_file_for_another_bucket_is_refused(public_bucket, tmp_path):
    s3, bucket, dsn = public_bucket
    f = tmp_path / "other.json"
    f.write_text(json.dumps({"presignd_rollback": 1, "bucket": "other-bucket",
                             "public_access_block": None, "policy": None,
                             "acls": []}))
    r = harness.run(["enforce-private", "--rollback", str(f), "--bucket",
                     bucket], env=s3util.presignd_env(dsn))
    assert r.returncode == 1
    assert r.stderr == (
        "presignd enforce-private: rollback stopped: rollback file %s is "
        "for bucket 'other-bucket', not '%s'\n" % (f, bucket))
    unchanged(s3, bucket)


def test_unreachable_database_blocks_enforcement(public_bucket, tmp_path):
    s3, bucket, _ = public_bucket
    env = s3util.presignd_env("host=/nonexistent-presignd dbname=x")
    r = harness.run(["enforce-private", "--bucket", bucket, "--rollback-dir",
                     str(tmp_path)], env=env)
    assert r.returncode == 5
    assert ("cannot count the rows that depend on public URLs: cannot "
            "connect to the database") in r.stderr
    assert os.listdir(tmp_path) == []
    unchanged(s3, bucket)
