"""page.py - the demo's stand-in for the host web app: one page of avatars.

    page.py --state DIR --listen 127.0.0.1:PORT --gateway http://127.0.0.1:GW

Every <img src> on the page points at the presignd gateway, never at the
bucket. /login?as=owner|member|globex-admin sets the session cookie the app
would set at sign-in (HttpOnly, SameSite=Lax, host 127.0.0.1: browsers do
not scope cookies by port, so the gateway on its own port receives it too);
/logout clears it. Reads DIR/users.json and DIR/sessions.json written by
seed.py. Loopback only; standard library only.
"""
import argparse
import html
import http.cookies
import http.server
import json
import os
import sys
import urllib.parse

COOKIE = os.environ.get("PRESIGND_COOKIE_NAME", "session")

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2937;max-width:72rem}
h1{margin-bottom:.2rem} .muted{color:#6b7280;font-size:.85rem}
nav a{margin-right:1rem} .grid{display:flex;flex-wrap:wrap;gap:1rem}
.card{width:8.5rem;text-align:center;font-size:.8rem;border:1px solid #e5e7eb;
border-radius:.5rem;padding:.5rem}
.card img{width:96px;height:96px;border-radius:50%;background:#f3f4f6}
.sig img{width:240px;height:75px;border:1px solid #e5e7eb;background:#fff}
.sig{display:inline-block;margin:0 1rem 1rem 0;font-size:.8rem}
.fail{color:#b91c1c} code{font-size:.75rem;word-break:break-all}
"""

SCRIPT = """
for (const img of document.querySelectorAll('img[data-expect]')) {
  const mark = (ok) => {
    const s = img.parentElement.querySelector('.status');
    if (s) { s.textContent = ok ? 'loaded' : 'not shown (' +
      img.dataset.expect + ')'; s.className = 'status ' + (ok ? '' : 'fail'); }
  };
  if (img.complete) mark(img.naturalWidth > 0);
  img.addEventListener('load', () => mark(true));
  img.addEventListener('error', () => mark(false));
}
"""


class Page(http.server.BaseHTTPRequestHandler):
    server_version = "presignd-demo-page"

    def log_message(self, fmt, *args):
        sys.stderr.write("page: %s\n" % (fmt % args))

    def viewer(self):
        jar = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        if COOKIE not in jar:
            return None
        for label, s in self.server.sessions.items():
            if s["token"] == jar[COOKIE].value:
                return dict(s, label=label)
        return None

    def send(self, status, body, headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/login":
            label = q.get("as", ["owner"])[0]
            s = self.server.sessions.get(label)
            if s is None:
                return self.send(404, "no such demo user")
            cookie = "%s=%s; Path=/; HttpOnly; SameSite=Lax" % (COOKIE,
                                                                s["token"])
            return self.send(302, "", [("Location", "/"),
                                       ("Set-Cookie", cookie)])
        if url.path == "/logout":
            cookie = "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" % COOKIE
            return self.send(302, "", [("Location", "/"),
                                       ("Set-Cookie", cookie)])
        if url.path == "/":
            return self.send(200, self.render(self.viewer()))
        return self.send(404, "not found")

    def card(self, u, expect, path=None):
        src = "%s%s" % (self.server.gateway,
                        path or "/v1/users/%s/avatar" % u["id"])
        return ('<div class="card"><img alt="" src="%s" data-expect="%s">'
                '<div>%s</div><div class="muted">%s</div>'
                '<div class="status muted"></div></div>' %
                (html.escape(src), html.escape(expect), html.escape(u["name"]),
                 html.escape(u["avatar_form"])))

    def signature(self, u, expect, path=None):
        src = "%s%s" % (self.server.gateway, path or
                        "/v1/users/%s/signature" % u["id"])
        return ('<div class="sig"><img alt="" src="%s" data-expect="%s">'
                '<div>%s (%s)</div><div class="status muted"></div></div>' %
                (html.escape(src), html.escape(expect),
                 html.escape(u["name"]), html.escape(u["role"])))

    def render(self, v):
        users, gw = self.server.users, self.server.gateway
        who = ("signed in as <b>%s</b> (%s, %s) &middot; " %
               (html.escape(v["name"]), v["role"], html.escape(v["org"]))
               if v else "not signed in &middot; ")
        nav = "".join('<a href="/login?as=%s">sign in as the %s</a>' %
                      (k, k) for k in self.server.sessions)
        parts = ["<!doctype html><meta charset=utf-8><title>presignd demo"
                 "</title><style>%s</style>" % STYLE,
                 "<h1>presignd demo</h1><p class=muted>%s<a href=/logout>"
                 "sign out</a></p><nav>%s</nav>" % (who, nav),
                 "<p>Every image below is an <code>&lt;img src&gt;</code> "
                 "pointing at the gateway <code>%s/v1/users/{id}/avatar"
                 "</code>. The gateway checks this page's session cookie "
                 "against Postgres and answers 302 to a presigned URL on "
                 "the now private bucket. The grey line under each name is "
                 "the form of the legacy URL the app had stored.</p>" %
                 html.escape(gw)]
        if v is None:
            parts.append("<p class=fail>Without a session the gateway "
                         "answers 401: sign in above.</p>")
        mine = [u for u in users if u["org_name"] == (v or {}).get("org")]
        other = [u for u in users if u["org_name"] != (v or {}).get("org")]
        if v:
            parts.append("<h2>My images</h2><div>%s%s</div>" % (
                self.card(dict(next(u for u in users
                                    if u["id"] == v["user_id"]),
                               avatar_form="/v1/me/avatar"), "no image",
                          "/v1/me/avatar"),
                self.signature(dict(name="my signature", role=v["role"]),
                               "no signature stored",
                               "/v1/me/signature")))
        parts.append("<h2>%s: %d people</h2><div class=grid>%s</div>" % (
            html.escape(v["org"]) if v else "Everyone", len(mine or users),
            "".join(self.card(u, "no usable image")
                    for u in (mine or users))))
        signers = [u for u in (mine or users) if u["signature_key"]]
        parts.append("<h2>Signatures</h2><p class=muted>Visible to their "
                     "owner and to owners/admins of a shared organisation: "
                     "a plain member sees only their own.</p><div>%s</div>" %
                     "".join(self.signature(u, "not allowed")
                             for u in signers))
        if v and other:
            parts.append("<h2>Another organisation</h2><p class=muted>"
                         "Not visible to you: the gateway answers 404, "
                         "exactly as for a user that does not exist.</p>"
                         "<div class=grid>%s</div>" %
                         "".join(self.card(u, "other organisation: 404")
                                 for u in other[:3]))
        parts.append("<p class=muted>Gateway: <a href='%s/metrics'>/metrics"
                     "</a> &middot; <a href='%s/readyz'>/readyz</a></p>"
                     "<script>%s</script>" % (gw, gw, SCRIPT))
        return "".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--listen", required=True)
    ap.add_argument("--gateway", required=True)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    srv = http.server.ThreadingHTTPServer((host, int(port)), Page)
    with open(os.path.join(a.state, "users.json")) as f:
        srv.users = json.load(f)
    with open(os.path.join(a.state, "sessions.json")) as f:
        srv.sessions = json.load(f)
    srv.gateway = a.gateway.rstrip("/")
    sys.stderr.write("page: listening on http://%s\n" % a.listen)
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
