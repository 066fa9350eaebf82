"""test_s3.py - the URLs presignd serve hands out work against the real
object store (Ceph radosgw): GET fetches the bytes, HEAD works with a
HEAD-signed URL, a GET URL refuses HEAD, and anonymous access is refused.
"""
import urllib.error
import urllib.request

import pytest

from conftest import (Gateway, png_bytes, rgw_gateway_env, s3_client,
                      unique_bucket)

PNG = png_bytes()


@pytest.fixture(scope="module")
def world(db):
    bucket = unique_bucket("serve-s3")
    s3 = s3_client()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="u/1/avatar one.png", Body=PNG,
                  ContentType="image/png")
    s3.put_object(Bucket=bucket, Key="u/1/evil.svg",
                  Body=b"<svg xmlns='http://www.w3.org/2000/svg'>"
                       b"<script>alert(1)</script></svg>",
                  ContentType="image/svg+xml")
    s3.put_object(Bucket=bucket, Key="legacy/old.png", Body=PNG)
    org = db.org("s3")
    u = db.user("Object Owner")
    legacy = db.user("Legacy User",
                     avatar_url="%s/%s/legacy/old.png" % (
                         rgw_gateway_env()["AWS_ENDPOINT_URL"], bucket))
    db.member(org, u)
    db.member(org, legacy)
    db.ref(u, "avatar", bucket, "u/1/avatar one.png", "image/png")
    db.ref(u, "signature", bucket, "u/1/evil.svg", "image/svg+xml")
    return {"bucket": bucket, "user": u, "legacy": legacy,
            "token": db.session(u, org)}


@pytest.fixture(scope="module")
def gw(db, world):
    g = Gateway(db.dsn, ["--bucket", world["bucket"], "--addressing", "path"],
                env=rgw_gateway_env())
    yield g
    g.finish()


def fetch(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def location(gw, path, token, method="GET"):
    r = gw.request(path, token, method=method)
    assert r.status == 302, r.body
    return r.getheader("Location")


def test_presigned_get_fetches_the_object(gw, world):
    url = location(gw, "/v1/me/avatar", world["token"])
    status, body, headers = fetch(url)
    assert status == 200
    assert body == PNG
    assert headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"].startswith("private, max-age=")


def test_head_request_gets_a_url_signed_for_head(gw, world):
    url = location(gw, "/v1/me/avatar", world["token"], method="HEAD")
    status, _, headers = fetch(url, method="HEAD")
    assert status == 200
    assert int(headers["Content-Length"]) == len(PNG)


def test_get_url_is_refused_for_head(gw, world):
    url = location(gw, "/v1/me/avatar", world["token"])
    assert fetch(url, method="HEAD")[0] == 403


def test_object_is_not_public(gw, world):
    url = location(gw, "/v1/me/avatar", world["token"])
    assert fetch(url.split("?")[0])[0] == 403


def test_svg_is_served_as_attachment_with_neutral_type(gw, world):
    url = location(gw, "/v1/me/signature", world["token"])
    status, _, headers = fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment")


def test_legacy_url_in_configured_bucket_is_presigned(gw, world):
    path = "/v1/users/%d/avatar" % world["legacy"]
    url = location(gw, path, world["token"])
    status, body, _ = fetch(url)
    assert (status, body) == (200, PNG)
    assert 'presignd_legacy_fallbacks_total{outcome="presigned"} 1' in \
        gw.metrics()
