"""s3util.py - what the bucket tests need from the real radosgw: a botocore
client (path style, loopback only, explicit credentials so nothing looks
for instance metadata), plain GETs without any proxy, and a fresh host
database with presignd's schema (`presignd migrate`), and the backfill
(`presignd backfill`)."""
import json
import urllib.error
import urllib.request
import uuid

import botocore.config
import botocore.session

import harness

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def client(env=None):
    env = env or harness.rgw_env()
    session = botocore.session.get_session()
    return session.create_client(
        "s3", endpoint_url=env["S3_ENDPOINT"], region_name="us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))


def unique_bucket(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def get_status(url):
    """Status of an unsigned GET (anonymous, or of a presigned URL)."""
    try:
        with _OPENER.open(url, timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def anonymous_status(bucket, key=""):
    url = "%s/%s/%s" % (harness.rgw_env()["S3_ENDPOINT"], bucket,
                        urllib.request.quote(key))
    return get_status(url)


def presigned_status(s3, bucket, key):
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    return get_status(url)


def make_public_bucket(s3, bucket, keys):
    """A bucket public three ways: bucket ACL, an object ACL, a policy."""
    s3.create_bucket(Bucket=bucket)
    for i, key in enumerate(keys):
        s3.put_object(Bucket=bucket, Key=key, Body=b"image %d" % i,
                      ContentType="image/png")
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    s3.put_object_acl(Bucket=bucket, Key=keys[0], ACL="public-read")
    s3.put_bucket_policy(Bucket=bucket, Policy=(
        '{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead",'
        '"Effect":"Allow","Principal":"*","Action":"s3:GetObject",'
        '"Resource":"arn:aws:s3:::%s/*"}]}' % bucket))


def host_database():
    """A fresh database with the reference host schema and presignd's own."""
    dsn = harness.fresh_database("bucket")
    r = harness.run(["migrate", "--reference-schema"],
                    env={"DATABASE_URL": dsn})
    assert r.returncode == 0, r.stdout + r.stderr
    return dsn


def presignd_env(dsn, **extra):
    """The environment presignd runs with: the rgw settings, the database."""
    env = {k: v for k, v in harness.rgw_env().items() if k.startswith(
        ("AWS_", "S3_"))}
    env["DATABASE_URL"] = dsn
    env.update(extra)
    return env


def backfill(dsn, bucket, expected):
    """Runs `presignd backfill` for the bucket; expected references."""
    endpoint = harness.rgw_env()["S3_ENDPOINT"]
    r = harness.run(["backfill", "--bucket", bucket, "--s3-endpoint",
                     endpoint, "--progress", "none"], env=presignd_env(dsn))
    # 3: done, but some URLs (here: gravatar) are not the store's
    assert r.returncode in (0, 3), r.stdout + r.stderr
    assert json.loads(r.stdout)["converted"] == expected, r.stdout
