"""test_resilience.py - caches that stay correct and a gateway that
survives its database: revocation through NOTIFY reaches a second
instance within a second, and a database stopped and started again while
serving gives 503s during the outage and full service after, without
restarting presignd.
"""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import harness
from conftest import Db, apply_schema

BUCKET = "avatars-resilience"


def eventually(check, timeout, step=0.02):
    """Polls check() until it is true; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError("condition not met within %.1f s" % timeout)


@pytest.fixture(scope="module")
def world(db):
    org = db.org("R")
    w = {"viewer": db.user("Viewer"), "subject": db.user("Subject")}
    db.member(org, w["viewer"])
    db.member(org, w["subject"])
    db.ref(w["subject"], "avatar", BUCKET, "a.png")
    w["org"] = org
    return w


def test_revocation_reaches_a_second_instance_within_one_second(
        db, world, gateway_factory):
    token = db.session(world["viewer"], world["org"])
    path = "/v1/users/%d/avatar" % world["subject"]
    first = gateway_factory(["--bucket", BUCKET, "--cache-ttl", "600"])
    second = gateway_factory(["--bucket", BUCKET, "--cache-ttl", "600"])
    for g in (first, second):
        g.wait_listening()
        assert g.status(path, token) == 302
        assert g.status(path, token) == 302  # now from the cache
    revoked_at = time.monotonic()
    db.q("UPDATE sessions SET revoked_at = now() WHERE token_sha256 = "
         "sha256(%s::bytea)", token.encode())
    # Each instance gets the notification on its own connection, so the two
    # need not flip at the same instant; both must within one second.
    for g in (second, first):
        left = 1.0 - (time.monotonic() - revoked_at)
        eventually(lambda: g.status(path, token) == 401, timeout=max(left, 0))


def test_deactivated_subject_disappears_at_once(db, world, gateway_factory):
    org = db.org("R2")
    viewer, subject = db.user("V2"), db.user("S2")
    db.member(org, viewer)
    db.member(org, subject)
    token = db.session(viewer, org)
    path = "/v1/users/%d/avatar" % subject
    g = gateway_factory(["--cache-ttl", "600"])
    g.wait_listening()
    assert g.status(path, token) == 200  # initials: no image yet
    db.q("UPDATE users SET active = false WHERE id = %s", subject)
    eventually(lambda: g.status(path, token) == 404, timeout=1.0)


def test_id_spelled_with_leading_zeros_cannot_outlive_invalidation(
        db, world, gateway_factory):
    # Invalidations name "user:<id>" as the database spells the id; a
    # cached answer for "/v1/users/0<id>" would escape them until its TTL.
    org = db.org("R3")
    viewer, subject = db.user("V3"), db.user("S3")
    db.member(org, viewer)
    db.member(org, subject)
    token = db.session(viewer, org)
    g = gateway_factory(["--cache-ttl", "600"])
    g.wait_listening()
    assert g.status("/v1/users/%d/avatar" % subject, token) == 200
    assert g.status("/v1/users/0%d/avatar" % subject, token) == 404
    db.q("UPDATE memberships SET active = false WHERE user_id = %s", subject)
    path = "/v1/users/%d/avatar" % subject
    eventually(lambda: g.status(path, token) == 404, timeout=1.0)
    assert g.status("/v1/users/0%d/avatar" % subject, token) == 404


def test_changed_avatar_is_served_at_once(db, world, gateway_factory):
    token = db.session(world["viewer"], world["org"])
    path = "/v1/users/%d/avatar" % world["subject"]
    g = gateway_factory(["--bucket", BUCKET, "--cache-ttl", "600",
                         "--addressing", "path"])
    g.wait_listening()
    assert "/a.png?" in g.request(path, token).getheader("Location")
    db.ref(world["subject"], "avatar", BUCKET, "b.png")
    eventually(lambda: "/b.png?" in (g.request(path, token)
                                     .getheader("Location") or ""),
               timeout=1.0)
    db.ref(world["subject"], "avatar", BUCKET, "a.png")


@pytest.fixture
def private_pg():
    """A Postgres cluster of this test's own, so pausing it disturbs no
    other test running in parallel."""
    d = tempfile.mkdtemp(prefix="presignd-serve-pg.")
    pg_sh = os.path.join(harness.SOURCE_DIR, "tests", "harness", "pg.sh")
    subprocess.run(["bash", pg_sh, "start", d], check=True,
                   capture_output=True)
    env = harness.read_env_file(os.path.join(d, "env"))
    dsn = "host=%s port=%s user=postgres dbname=postgres" % (
        env["PGHOST"], env["PGPORT"])
    yield pg_sh, d, dsn
    subprocess.run(["bash", pg_sh, "stop", d], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def test_database_outage_gives_503_then_full_service_without_restart(
        private_pg, gateway_factory):
    pg_sh, pg_dir, dsn = private_pg
    apply_schema(dsn)
    d = Db(dsn)
    org = d.org("outage")
    user = d.user("Outage User")
    d.member(org, user)
    d.ref(user, "avatar", BUCKET, "o.png")
    token = d.session(user, org)
    d.close()
    g = gateway_factory(["--bucket", BUCKET], dsn=dsn)
    g.wait_listening()
    assert g.status("/v1/me/avatar", token) == 302

    subprocess.run(["bash", pg_sh, "pause", pg_dir], check=True,
                   capture_output=True)
    # Until the listener has seen its connection drop, answers may still
    # come from the cache; from then on every lookup needs the database.
    eventually(lambda: "presignd_listener_up 0" in g.metrics(), timeout=10)
    r = g.request("/v1/me/avatar", token)
    assert r.status == 503
    assert r.getheader("Retry-After") == "2"
    assert r.getheader("Cache-Control") == "no-store"
    assert g.status("/readyz") == 503
    assert g.status("/healthz") == 200

    subprocess.run(["bash", pg_sh, "resume", pg_dir], check=True,
                   capture_output=True)
    eventually(lambda: g.status("/v1/me/avatar", token) == 302, timeout=15)
    assert g.status("/readyz") == 200
    assert g.proc.poll() is None
    # The listener reconnected too: invalidations work again.
    g.wait_listening()
    assert g.status("/v1/me/avatar", token) == 302
    d = Db(dsn)
    d.q("UPDATE sessions SET revoked_at = now()")
    d.close()
    eventually(lambda: g.status("/v1/me/avatar", token) == 401, timeout=1.0)


def test_listener_reconnects_after_its_connection_is_killed(
        db, world, gateway_factory):
    token = db.session(world["viewer"], world["org"])
    g = gateway_factory(["--bucket", BUCKET, "--cache-ttl", "600",
                         "--log-level", "debug"])
    g.wait_listening()
    killed = db.q("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND query LIKE "
                  "'LISTEN%%'")
    assert killed and any(row[0] for row in killed)
    eventually(lambda: any("lost its connection" in x
                           for x in g.stderr_lines), timeout=5)
    g.wait_listening()
    path = "/v1/users/%d/avatar" % world["subject"]
    assert g.status(path, token) == 302
    assert g.status(path, token) == 302
    db.q("UPDATE sessions SET revoked_at = now() WHERE token_sha256 = "
         "sha256(%s::bytea)", token.encode())
    eventually(lambda: g.status(path, token) == 401, timeout=1.0)


def test_gateway_starts_while_the_database_is_down(private_pg,
                                                   gateway_factory):
    pg_sh, pg_dir, dsn = private_pg
    apply_schema(dsn)
    d = Db(dsn)
    org = d.org("late")
    user = d.user("Late Starter")
    d.member(org, user)
    token = d.session(user, org)
    d.close()
    subprocess.run(["bash", pg_sh, "pause", pg_dir], check=True,
                   capture_output=True)
    g = gateway_factory(dsn=dsn)
    assert g.status("/healthz") == 200
    assert g.status("/readyz") == 503
    assert g.status("/v1/me/avatar", token) == 503
    subprocess.run(["bash", pg_sh, "resume", pg_dir], check=True,
                   capture_output=True)
    eventually(lambda: g.status("/v1/me/avatar", token) == 200, timeout=15)
    assert g.status("/readyz") == 200


def test_organisation_starting_to_require_mfa_refuses_sessions_at_once(
        db, world, gateway_factory):
    org = db.org("turns-on-mfa")
    user = db.user("Mfa Later")
    db.member(org, user)
    token = db.session(user, org, mfa=False)
    g = gateway_factory(["--cache-ttl", "600"])
    g.wait_listening()
    assert g.status("/v1/me/avatar", token) == 200  # initials
    db.q("UPDATE organisations SET require_mfa = true WHERE id = %s", org)
    eventually(lambda: g.status("/v1/me/avatar", token) == 401, timeout=1.0)
