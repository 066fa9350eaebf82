"""conftest.py - what the serve tests share: a database with the reference
host schema and presignd's migrations, rows for users/orgs/sessions, and a
running `presignd serve` on a free loopback port.

The schema goes in with `presignd migrate --reference-schema`.
"""
import hashlib
import http.client
import os
import re
import secrets
import signal
import subprocess
import threading
import time

import psycopg2
import pytest

import harness

DUMMY_CREDS = {
    "AWS_ACCESS_KEY_ID": "AKIDSERVETEST0000001",
    "AWS_SECRET_ACCESS_KEY": "serve-test-secret-not-used-anywhere-0001",
    "AWS_REGION": "us-east-1",
}


def apply_schema(dsn):
    """The reference host schema, presignd's migrations and the host
    triggers, the way operators install them: `presignd migrate`."""
    harness.run(["migrate", "--reference-schema"], env={"DATABASE_URL": dsn},
                check=True)


class Db:
    """Small helpers to create host rows; autocommit, so NOTIFY fires."""

    def __init__(self, dsn):
        self.dsn = dsn
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True

    def q(self, sql, *args):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else None

    def org(self, name="org", require_mfa=False):
        return self.q("INSERT INTO organisations (name, require_mfa) "
                      "VALUES (%s, %s) RETURNING id", name, require_mfa)[0][0]

    def user(self, name="Ada Lovelace", active=True, avatar_url=None,
             signature_url=None):
        return self.q(
            "INSERT INTO users (email, display_name, active, avatar_url, "
            "signature_url) VALUES (%s, %s, %s, %s, %s) RETURNING id",
            "%s@example.test" % secrets.token_hex(6), name, active,
            avatar_url, signature_url)[0][0]

    def member(self, org, user, role="member", active=True):
        self.q("INSERT INTO memberships VALUES (%s, %s, %s, %s)", org, user,
               role, active)

    def session(self, user, org=None, mfa=False, expires="1 hour",
                revoked=False):
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).digest()
        self.q("INSERT INTO sessions (token_sha256, user_id, organisation_id,"
               " mfa_verified, expires_at, revoked_at) VALUES (%s, %s, %s, %s,"
               " now() + %s::interval, CASE WHEN %s THEN now() END)",
               psycopg2.Binary(digest), user, org, mfa, expires, revoked)
        return token

    def ref(self, user, kind, bucket, key, content_type="image/png"):
        self.q("INSERT INTO presignd.object_refs (subject_id, kind, bucket, "
               "object_key, content_type) VALUES (%s, %s, %s, %s, %s) "
               "ON CONFLICT (subject_id, kind) DO UPDATE SET bucket = "
               "EXCLUDED.bucket, object_key = EXCLUDED.object_key, "
               "content_type = EXCLUDED.content_type",
               str(user), kind, bucket, key, content_type)

    def close(self):
        self.conn.close()


@pytest.fixture(scope="module")
def db():
    dsn = harness.fresh_database("serve")
    apply_schema(dsn)
    d = Db(dsn)
    yield d
    d.close()
    harness.drop_database(dsn)


class Gateway:
    """A `presignd serve` child on 127.0.0.1 with an ephemeral port."""

    def __init__(self, dsn, args=(), env=None):
        full = dict(os.environ)
        full.update(DUMMY_CREDS)
        full["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
        full["AWS_EC2_METADATA_DISABLED"] = "true"
        full["DATABASE_URL"] = dsn
        full.update(env or {})
        cmd = [harness.BIN, "serve", "--listen", "127.0.0.1:0",
               "--workers", "2"] + list(args)
        self.proc = subprocess.Popen(cmd, env=full, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.stderr_lines, self.stdout_lines = [], []
        self.port = None
        ready = threading.Event()

        def read_err():
            for line in self.proc.stderr:
                self.stderr_lines.append(line)
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        def read_out():
            for line in self.proc.stdout:
                self.stdout_lines.append(line)

        threading.Thread(target=read_err, daemon=True).start()
        threading.Thread(target=read_out, daemon=True).start()
        ready.wait(20)
        if self.port is None:
            self.stop()
            raise RuntimeError("gateway did not start:\n" +
                               "".join(self.stderr_lines))

    def request(self, path, cookie=None, method="GET", headers=None,
                cookie_name="session"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        h = dict(headers or {})
        if cookie is not None:
            h["Cookie"] = "%s=%s" % (cookie_name, cookie)
        conn.request(method, path, headers=h)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        resp.body = body
        return resp

    def status(self, path, cookie=None, **kw):
        return self.request(path, cookie, **kw).status

    def metrics(self):
        return self.request("/metrics").body.decode()

    def wait_listening(self, timeout=10):
        """Waits until the invalidation listener is up (caches trusted)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if "presignd_listener_up 1" in self.metrics():
                return
            time.sleep(0.05)
        raise AssertionError("listener never connected")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def finish(self):
        """Stops with SIGTERM and checks a clean exit (under ASan this
        also catches leaks and memory errors found at any time)."""
        code = self.stop()
        time.sleep(0.1)  # let the reader threads drain stderr
        err = "".join(self.stderr_lines)
        assert "Sanitizer" not in err and "runtime error" not in err, err
        assert code == 0, err[-3000:]


@pytest.fixture
def gateway_factory(db):
    started = []

    def start(args=(), env=None, dsn=None):
        g = Gateway(dsn or db.dsn, args, env)
        started.append(g)
        return g

    yield start
    for g in started:
        g.finish()


def png_bytes(width=7, height=5):
    """A real RGB PNG of the given size (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + b"\x20\x80\xc0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0,
                                       0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def s3_client():
    """botocore S3 client for the harness radosgw (path style)."""
    import botocore.config
    import botocore.session
    e = harness.rgw_env()
    s = botocore.session.get_session()
    return s.create_client(
        "s3", endpoint_url=e["S3_ENDPOINT"], region_name=e["AWS_REGION"],
        aws_access_key_id=e["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(s3={"addressing_style": "path"}))


def rgw_gateway_env():
    e = harness.rgw_env()
    return {k: e[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                              "AWS_REGION")} | {
        "AWS_ENDPOINT_URL": e["S3_ENDPOINT"],
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_CONFIG_FILE": "/nonexistent"}


def unique_bucket(prefix):
    return "%s-%s" % (prefix, secrets.token_hex(4))
