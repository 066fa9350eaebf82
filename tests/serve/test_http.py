"""test_http.py - what `presignd serve` says on the wire: cache and
security headers, stable URLs within a window, JSON mode and CORS, health
and metrics, legacy and no-image fallbacks, content-type safety, malformed
input, the access log, trusted proxies, signals and JWT cookies.
"""
import base64
import calendar
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import tempfile
import time
import urllib.parse

import pytest

from conftest import Gateway

BUCKET = "avatars-http"
TTL = 300


@pytest.fixture(scope="module")
def world(db):
    org = db.org("H")
    w = {"org": org}
    for name in ("viewer", "subject", "external", "stranger", "oldaws",
                 "html", "bare", "plainhttp", "oddport"):
        w[name] = db.user("Grace Brewster Hopper")
        db.member(org, w[name])
    db.ref(w["subject"], "avatar", BUCKET, "s/avatar.png")
    db.ref(w["html"], "avatar", BUCKET, "h/page.html", "text/html")
    db.q("UPDATE users SET avatar_url = %s WHERE id = %s",
         "https://www.gravatar.com/avatar/abc?s=80", w["external"])
    db.q("UPDATE users SET avatar_url = %s WHERE id = %s",
         "https://evil.example/x.png", w["stranger"])
    db.q("UPDATE users SET avatar_url = %s WHERE id = %s",
         "http://www.gravatar.com/avatar/abc", w["plainhttp"])
    db.q("UPDATE users SET avatar_url = %s WHERE id = %s",
         "https://www.gravatar.com:8443/avatar/abc", w["oddport"])
    db.q("UPDATE users SET avatar_url = %s WHERE id = %s",
         "https://other-bucket.s3.amazonaws.com/x.png", w["oldaws"])
    w["token"] = db.session(w["viewer"], org)
    return w


@pytest.fixture(scope="module")
def gw(db, world):
    g = Gateway(db.dsn, ["--bucket", BUCKET, "--addressing", "path",
                         "--url-ttl", str(TTL),
                         "--cors-origin", "https://app.example",
                         "--external-host", "www.gravatar.com",
                         "--trusted-proxy", "127.0.0.1/32"])
    yield g
    g.finish()


def avatar(world, who="subject"):
    return "/v1/users/%d/avatar" % world[who]


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def url_expiry(url):
    q = query_of(url)
    signed = calendar.timegm(time.strptime(q["X-Amz-Date"],
                                           "%Y%m%dT%H%M%SZ"))
    return signed + int(q["X-Amz-Expires"])


def test_redirect_carries_cache_and_security_headers(gw, world):
    r = gw.request(avatar(world), world["token"])
    assert r.status == 302
    max_age = int(re.fullmatch(r"private, max-age=(\d+)",
                               r.getheader("Cache-Control")).group(1))
    assert max_age < url_expiry(r.getheader("Location")) - time.time()
    assert "Cookie" in r.getheader("Vary")
    assert r.getheader("Referrer-Policy") == "no-referrer"
    assert r.getheader("X-Content-Type-Options") == "nosniff"


def test_same_url_within_window_with_full_lifetime_left(gw, world):
    a = gw.request(avatar(world), world["token"]).getheader("Location")
    b = gw.request(avatar(world), world["token"]).getheader("Location")
    assert a == b
    assert url_expiry(a) - time.time() >= TTL - 1


def test_presigned_url_sets_response_cache_control(gw, world):
    url = gw.request(avatar(world), world["token"]).getheader("Location")
    q = query_of(url)
    assert q["response-cache-control"] == "private, max-age=%d" % TTL
    assert q["response-content-type"] == "image/png"


def test_html_object_is_presigned_as_attachment(gw, world):
    url = gw.request(avatar(world, "html"), world["token"]) \
        .getheader("Location")
    q = query_of(url)
    assert q["response-content-type"] == "application/octet-stream"
    assert q["response-content-disposition"] == "attachment"


def test_errors_are_not_stored(gw, world):
    for path, cookie, status in ((avatar(world), None, 401),
                                 ("/v1/users/99999999/avatar",
                                  world["token"], 404)):
        r = gw.request(path, cookie)
        assert r.status == status
        assert r.getheader("Cache-Control") == "no-store"
        assert r.getheader("X-Content-Type-Options") == "nosniff"


def test_json_mode_by_query_and_by_accept(gw, world):
    for path, headers in ((avatar(world) + "?format=json", {}),
                          (avatar(world), {"Accept": "application/json"})):
        r = gw.request(path, world["token"], headers=headers)
        assert r.status == 200
        doc = json.loads(r.body)
        assert doc["url"].startswith("http://127.0.0.1:9/%s/" % BUCKET)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                            doc["expires_at"])
        assert r.getheader("Content-Type") == "application/json"


def test_cors_only_for_allowlisted_origin_in_json_mode(gw, world):
    ok = gw.request(avatar(world) + "?format=json", world["token"],
                    headers={"Origin": "https://app.example"})
    assert ok.getheader("Access-Control-Allow-Origin") == \
        "https://app.example"
    assert ok.getheader("Access-Control-Allow-Credentials") == "true"
    bad = gw.request(avatar(world) + "?format=json", world["token"],
                     headers={"Origin": "https://evil.example"})
    assert bad.getheader("Access-Control-Allow-Origin") is None
    redirect = gw.request(avatar(world), world["token"],
                          headers={"Origin": "https://app.example"})
    assert redirect.getheader("Access-Control-Allow-Origin") is None


def test_json_mode_errors_are_readable_by_the_allowlisted_origin(gw, world):
    # Without CORS headers a browser turns the 401/404 into an opaque
    # network error: the app could not tell "log in again" from an outage.
    for cookie, status in ((None, 401), (world["token"], 404)):
        path = ("/v1/users/999999999/avatar?format=json" if cookie
                else avatar(world) + "?format=json")
        r = gw.request(path, cookie, headers={"Origin": "https://app.example"})
        assert r.status == status
        assert r.getheader("Access-Control-Allow-Origin") == \
            "https://app.example"
        assert r.getheader("Access-Control-Allow-Credentials") == "true"
        bad = gw.request(path, cookie,
                         headers={"Origin": "https://evil.example"})
        assert bad.getheader("Access-Control-Allow-Origin") is None
    plain = gw.request(avatar(world), None,
                       headers={"Origin": "https://app.example"})
    assert plain.status == 401
    assert plain.getheader("Access-Control-Allow-Origin") is None


def test_health_readiness_and_metrics(gw, world):
    assert gw.status("/healthz") == 200
    assert gw.status("/readyz") == 200
    gw.request(avatar(world), world["token"])
    text = gw.metrics()
    assert re.search(r'presignd_requests_total\{route="avatar",'
                     r'status="302"\} \d+', text)
    assert "presignd_request_duration_seconds_bucket{le=\"+Inf\"}" in text
    assert re.search(r'presignd_cache_hits_total\{cache="session"\} [1-9]',
                     text)
    assert "presignd_db_errors_total 0" in text


def test_legacy_external_allowlisted_host_is_followed(gw, world):
    r = gw.request(avatar(world, "external"), world["token"])
    assert r.status == 302
    assert r.getheader("Location") == \
        "https://www.gravatar.com/avatar/abc?s=80"


def test_legacy_allowlisted_host_only_over_https_on_its_default_port(
        gw, world):
    # An allowlist names a host, not a downgrade to http or another service
    # on another port of it.
    assert gw.status(avatar(world, "plainhttp"), world["token"]) == 404
    assert gw.status(avatar(world, "oddport"), world["token"]) == 404


def test_legacy_unknown_host_or_unconfigured_bucket_is_404(gw, world):
    assert gw.status(avatar(world, "stranger"), world["token"]) == 404
    assert gw.status(avatar(world, "oldaws"), world["token"]) == 404
    assert re.search(r'presignd_legacy_fallbacks_total\{outcome="rejected"\}'
                     r' [2-9]', gw.metrics())


def test_no_image_draws_initials_with_strict_csp(gw, world):
    r = gw.request(avatar(world, "bare"), world["token"])
    assert r.status == 200
    assert r.getheader("Content-Type") == "image/svg+xml"
    assert "default-src 'none'" in r.getheader("Content-Security-Policy")
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    assert b">GH</text>" in r.body
    assert b"<script" not in r.body


@pytest.mark.parametrize("mode,status", [("404", 404),
                                         ("redirect:https://cdn.example/"
                                          "default.png", 302)])
def test_no_image_modes(db, world, gateway_factory, mode, status):
    g = gateway_factory(["--no-image", mode])
    r = g.request(avatar(world, "bare"), world["token"])
    assert r.status == status
    if status == 302:
        assert r.getheader("Location") == "https://cdn.example/default.png"


@pytest.mark.parametrize("path,method,headers,status", [
    ("/v1/users/a%22b/avatar", "GET", {}, 400),
    ("/v1/users/" + "9" * 80 + "/avatar", "GET", {}, 400),
    ("/v1/users/1/banner", "GET", {}, 404),
    ("/v1/users//avatar", "GET", {}, 400),
    ("/nope", "GET", {}, 404),
    ("/v1/me/avatar", "POST", {}, 405),
    ("/v1/me/avatar", "GET", {"Cookie": "session=" + "x" * 5000}, 401),
    ("/v1/me/avatar", "GET", {"Cookie": "session=\"a b\""}, 401),
    ("/v1/me/avatar", "GET", {"X-Big": "y" * 20000}, 431),
])
def test_malformed_requests_get_clean_errors(gw, path, method, headers,
                                             status):
    r = gw.request(path, method=method, headers=headers)
    assert r.status == status
    if status == 405:
        assert r.getheader("Allow") == "GET, HEAD, OPTIONS"
    assert gw.status("/healthz") == 200


def wait_for_log_lines(g, n, timeout=5):
    """Access-log lines are written out in batches (every 200 ms)."""
    deadline = time.time() + timeout
    while time.time() < deadline and len(g.stdout_lines) < n:
        time.sleep(0.02)
    assert len(g.stdout_lines) >= n


def test_access_log_has_fields_and_no_secrets(gw, world):
    marker = "/v1/users/%d/avatar?format=json&secret=qs" % world["subject"]
    gw.request(marker, world["token"],
               headers={"X-Forwarded-For": "203.0.113.7"})
    deadline = time.time() + 5
    mine = []
    while time.time() < deadline and not mine:
        time.sleep(0.02)
        mine = [x for x in map(json.loads, gw.stdout_lines)
                if x["client_ip"] == "203.0.113.7"]
    assert len(mine) == 1  # 127.0.0.1 is a trusted proxy
    last = mine[0]
    assert set(last) >= {"time", "request_id", "method", "route", "status",
                         "user_id", "latency_ms", "client_ip"}
    assert last["route"] == "avatar"
    assert last["user_id"] == str(world["viewer"])
    everything = "".join(gw.stdout_lines + gw.stderr_lines)
    assert world["token"] not in everything
    assert "X-Amz-Signature" not in everything
    assert "secret=qs" not in everything


def test_untrusted_peer_cannot_spoof_client_ip(db, world, gateway_factory):
    g = gateway_factory()
    g.request("/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    wait_for_log_lines(g, 1)
    assert json.loads(g.stdout_lines[-1])["client_ip"] == "127.0.0.1"


def test_repeated_forwarded_for_headers_count_the_last_hop(gw):
    # HAProxy's "option forwardfor" adds its own X-Forwarded-For line after
    # the client's: the client's must not win.
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    conn.putrequest("GET", "/healthz?xff-twice")
    conn.putheader("X-Forwarded-For", "198.51.100.66")
    conn.putheader("X-Forwarded-For", "203.0.113.99")
    conn.endheaders()
    assert conn.getresponse().status == 200
    conn.close()
    deadline = time.time() + 5
    ips = []
    while time.time() < deadline and not ips:
        time.sleep(0.02)
        ips = [x["client_ip"] for x in map(json.loads, gw.stdout_lines)
               if x["client_ip"] in ("198.51.100.66", "203.0.113.99")]
    assert ips == ["203.0.113.99"]


def test_one_worker_logs_only_json_to_stderr(db, gateway_factory):
    g = gateway_factory(["--workers", "1"])
    assert g.status("/healthz") == 200
    g.finish()
    for line in g.stderr_lines:
        assert json.loads(line)["level"] != "warn", line


def write_credentials(path, key_id):
    with open(path, "w") as f:
        f.write("[default]\naws_access_key_id = %s\n"
                "aws_secret_access_key = reload-test-secret-%s\n"
                % (key_id, key_id))


def test_sighup_reloads_rotated_credentials(db, world, gateway_factory,
                                            tmp_path):
    creds = tmp_path / "credentials"
    write_credentials(creds, "AKIDFIRSTKEY00000001")
    g = gateway_factory(["--bucket", BUCKET], env={
        "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(creds)})
    url = g.request(avatar(world), world["token"]).getheader("Location")
    assert query_of(url)["X-Amz-Credential"].startswith("AKIDFIRSTKEY00000001/")
    write_credentials(creds, "AKIDSECONDKEY0000002")
    g.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and \
            not any("reloaded" in x for x in g.stderr_lines):
        time.sleep(0.05)
    url = g.request(avatar(world), world["token"]).getheader("Location")
    assert query_of(url)["X-Amz-Credential"].startswith(
        "AKIDSECONDKEY0000002/")
    # A broken file on the next reload keeps the working credentials.
    creds.write_text("garbage")
    g.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline and \
            not any("reload failed" in x for x in g.stderr_lines):
        time.sleep(0.05)
    assert any("reload failed" in x for x in g.stderr_lines)
    assert g.status(avatar(world), world["token"]) == 302
    assert g.stop(signal.SIGTERM) == 0
    assert any("stopped" in x for x in g.stderr_lines)


def test_urls_never_outlive_temporary_credentials(db, world,
                                                  gateway_factory):
    expiry = int(time.time()) + 200
    g = gateway_factory(["--bucket", BUCKET, "--addressing", "path"], env={
        "AWS_SESSION_TOKEN": "FQoGZXIvYXdzEXAMPLETOKEN",
        "AWS_CREDENTIAL_EXPIRATION": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))})
    url = g.request(avatar(world), world["token"]).getheader("Location")
    assert url_expiry(url) <= expiry
    assert "X-Amz-Security-Token" in url


# ---- JWT cookies ----

SECRET = b"jwt-test-secret-that-is-long-enough-0123456789"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims, alg="HS256", key=SECRET):
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    if alg == "none":
        return "%s.%s." % (head, body)
    sig = hmac.new(key, ("%s.%s" % (head, body)).encode(),
                   hashlib.sha256).digest()
    return "%s.%s.%s" % (head, body, b64(sig))


@pytest.fixture
def jwt_gw(db, world, gateway_factory):
    f = tempfile.NamedTemporaryFile("wb", delete=False)
    f.write(SECRET + b"\n")
    f.close()
    g = gateway_factory(["--bucket", BUCKET, "--jwt-secret-file", f.name])
    yield g
    os.unlink(f.name)


def test_jwt_cookie_modes(db, world, jwt_gw):
    now = int(time.time())
    sub = str(world["viewer"])
    path = avatar(world)
    assert jwt_gw.status(path, jwt({"sub": sub, "exp": now + 60})) == 302
    assert jwt_gw.status(path, jwt({"sub": sub, "exp": now - 5})) == 401
    assert jwt_gw.status(path, jwt({"sub": sub})) == 401  # exp required
    assert jwt_gw.status(path, jwt({"sub": sub, "exp": now + 60,
                                    "nbf": now + 600})) == 401
    assert jwt_gw.status(path, jwt({"sub": sub, "exp": now + 60},
                                   alg="none")) == 401
    assert jwt_gw.status(path, jwt({"sub": sub, "exp": now + 60},
                                   key=b"x" * 40)) == 401
    assert jwt_gw.status(path, jwt({"sub": sub, "exp": now + 60},
                                   alg="HS512")) == 401


def test_jwt_session_id_is_checked_for_revocation(db, world, jwt_gw):
    token = db.session(world["viewer"], world["org"])
    sid = db.q("SELECT id FROM sessions WHERE token_sha256 = "
               "sha256(%s::bytea)", token.encode())[0][0]
    cookie = jwt({"sub": str(world["viewer"]), "sid": sid,
                  "exp": int(time.time()) + 60})
    jwt_gw.wait_listening()
    assert jwt_gw.status(avatar(world), cookie) == 302
    db.q("UPDATE sessions SET revoked_at = now() WHERE id = %s", sid)
    deadline = time.time() + 1
    while time.time() < deadline and \
            jwt_gw.status(avatar(world), cookie) != 401:
        time.sleep(0.02)
    assert jwt_gw.status(avatar(world), cookie) == 401


def test_jwt_session_id_of_another_user_is_refused(db, world, jwt_gw):
    # sub names the viewer; a sid whose session belongs to someone else
    # must not make the request theirs (nor be accepted at all).
    token = db.session(world["subject"], world["org"])
    sid = db.q("SELECT id FROM sessions WHERE token_sha256 = "
               "sha256(%s::bytea)", token.encode())[0][0]
    exp = int(time.time()) + 60
    assert jwt_gw.status("/v1/me/avatar", jwt({
        "sub": str(world["subject"]), "sid": sid, "exp": exp})) == 302
    assert jwt_gw.status("/v1/me/avatar", jwt({
        "sub": str(world["viewer"]), "sid": sid, "exp": exp})) == 401


def test_keep_alive_connections_stay_open(gw, world):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
    for _ in range(3):
        conn.request("GET", avatar(world),
                     headers={"Cookie": "session=" + world["token"]})
        r = conn.getresponse()
        r.read()
        assert r.status == 302
        assert r.getheader("Connection") != "close"
    conn.close()


def test_sigterm_lets_open_connections_finish_then_exits(db, world,
                                                        gateway_factory):
    import http.client
    g = gateway_factory(["--bucket", BUCKET])
    conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10)
    headers = {"Cookie": "session=" + world["token"]}
    conn.request("GET", avatar(world), headers=headers)
    first = conn.getresponse()
    first.read()
    assert first.status == 302
    g.proc.send_signal(signal.SIGTERM)
    deadline = time.time() + 5
    while time.time() < deadline and \
            not any("draining" in x for x in g.stderr_lines):
        time.sleep(0.02)
    # The connection that was open keeps being served, told to close.
    conn.request("GET", avatar(world), headers=headers)
    second = conn.getresponse()
    second.read()
    assert second.status == 302
    assert second.getheader("Connection") == "close"
    conn.close()
    assert g.proc.wait(15) == 0
