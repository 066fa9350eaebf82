"""test_browser.py - the real thing: a page on another loopback port shows
<img src> pointing at the gateway; headless Chromium loads it. With the
session cookie the image renders (naturalWidth > 0) after the 302 to a
presigned radosgw URL; without it, it does not.

Cookies are per host, not per port, so the cookie the page's server sets
for 127.0.0.1 is sent to the gateway on its own port, as in a real
same-site deployment.
"""
import http.server
import re
import shutil
import subprocess
import tempfile
import threading

import pytest

from conftest import (Gateway, png_bytes, rgw_gateway_env, s3_client,
                      unique_bucket)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

PAGE = """<!doctype html><html><body>
<img id="i" src="http://127.0.0.1:%d/v1/me/avatar">
<div id="out">pending</div>
<script>
var i = document.getElementById('i');
function done() {
  document.getElementById('out').textContent = 'width=' + i.naturalWidth;
}
i.onload = done; i.onerror = done;
if (i.complete) done();
</script></body></html>"""


@pytest.fixture(scope="module")
def world(db):
    bucket = unique_bucket("serve-browser")
    s3 = s3_client()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="avatar.png", Body=png_bytes(9, 4),
                  ContentType="image/png")
    org = db.org("browser")
    u = db.user("Browser User")
    db.member(org, u)
    db.ref(u, "avatar", bucket, "avatar.png")
    return {"bucket": bucket, "token": db.session(u, org)}


@pytest.fixture(scope="module")
def gw(db, world):
    g = Gateway(db.dsn, ["--bucket", world["bucket"], "--addressing", "path",
                         "--no-image", "404"], env=rgw_gateway_env())
    yield g
    g.finish()


@pytest.fixture(scope="module")
def page_server(gw, world):
    """Serves the test page; /with-cookie also sets the session cookie."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (PAGE % gw.port).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            if self.path == "/with-cookie":
                self.send_header("Set-Cookie", "session=%s; Path=/; "
                                 "HttpOnly; SameSite=Lax" % world["token"])
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()


def rendered_width(url):
    profile = tempfile.mkdtemp(prefix="presignd-chromium.")
    try:
        out = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-domain-reliability",
             # Belt and braces: no name may be resolved, nothing leaves
             # loopback.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--user-data-dir=" + profile, "--virtual-time-budget=8000",
             "--dump-dom", url],
            capture_output=True, text=True, timeout=90)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    m = re.search(r"width=(\d+)", out.stdout)
    assert m, "no result in the DOM:\n%s\n%s" % (out.stdout, out.stderr[-2000:])
    return int(m.group(1))


def test_image_renders_with_the_session_cookie(page_server):
    assert rendered_width("http://127.0.0.1:%d/with-cookie" % page_server) \
        == 9


def test_image_does_not_render_without_the_cookie(page_server):
    assert rendered_width("http://127.0.0.1:%d/no-cookie" % page_server) == 0
