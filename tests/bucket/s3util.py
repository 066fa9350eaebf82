"""s3util.py - what the bucket tests need from the real radosgw: a botocore
client (path style, loopback only, explicit credentials so nothing looks
for instance metadata), plain GETs without any proxy, and a fresh host
database with presignd's schema (`presignd migrate`), and the backfill
(`presignd backfill`)."""
import hashlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid

import botocore.config
import botocore.session
import psycopg2

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


class Gateway:
    """`presignd serve` on an ephemeral loopback port, for one bucket, with
    the rgw settings; stopped by its own PID."""

    def __init__(self, dsn, bucket):
        env = dict(os.environ)
        env.update(presignd_env(dsn))
        self.proc = subprocess.Popen(
            [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--bucket",
             bucket], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.port = None
        self.lines = []
        deadline = time.time() + 20
        while self.port is None and time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
        if self.port is None:
            self.stop()
            raise RuntimeError("gateway did not start:\n" + "".join(
                self.lines))
        # keep draining stderr so the gateway never blocks on a full pipe
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def redirect(self, path, token):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path, headers={"Cookie": "session=" + token})
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status, r.getheader("Location")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def session_for(dsn, user_id):
    """An organisation, the user's membership and a session: the cookie."""
    token = secrets.token_urlsafe(32)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("INSERT INTO organisations (name) VALUES ('org') "
                    "RETURNING id")
        org = cur.fetchone()[0]
        cur.execute("INSERT INTO memberships VALUES (%s, %s, 'member', true)",
                    (org, user_id))
        cur.execute("INSERT INTO sessions (token_sha256, user_id, "
                    "organisation_id, expires_at) VALUES (%s, %s, %s, "
                    "now() + interval '1 hour')",
                    (psycopg2.Binary(hashlib.sha256(token.encode()).digest()),
                     user_id, org))
    conn.close()
    return token
