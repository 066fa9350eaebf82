"""seed.py - the demo's "before" state: a public bucket and a host app whose
database stores public S3 URLs, as a real app accumulates them over years.

    seed.py --state DIR --bucket NAME --endpoint URL --dsn DSN

Generates distinct PNG avatars (initials on a colour) and signature images
with ImageMagick, creates the bucket, makes it public twice over (a
public-read ACL on bucket and objects, and a public bucket policy), uploads
the images, and loads two organisations with about 50 users, memberships and
a few sessions into the host schema (sql/reference/host_schema.sql). The
stored legacy URLs use a realistic mix of forms: virtual-hosted and
path-style on the AWS host names, regional, dual-stack, s3:// URIs, the
local endpoint path-style, percent-encoded and raw Unicode keys, a stale
presigned query string, an external gravatar URL, one broken row, a missing
object and some users without images.

Writes DIR/users.json (for the page) and DIR/sessions.json (the cookie
tokens: the database keeps only their SHA-256). Everything talks to
127.0.0.1 only; botocore is pinned to the given endpoint, path-style.
"""
import argparse
import colorsys
import concurrent.futures
import hashlib
import json
import os
import secrets
import subprocess
import sys
import urllib.parse

import botocore.config
import botocore.session
import psycopg2

FIRST = ["Alice", "Bob", "Carol", "Dmitri", "Erin", "Farah", "Grace", "Hiro",
         "Ines", "Jonas", "Kemi", "Lars", "Maya", "Nikhil", "Olga", "Pablo",
         "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Victor", "Wen", "Ximena",
         "Yusuf"]
LAST = ["Martin", "Nguyen", "Okafor", "Petrov", "Schmidt", "Haddad", "Kim",
        "Tanaka", "Silva", "Berg", "Adeyemi", "Larsen", "Cohen", "Rao",
        "Ivanova", "Ruiz", "Murphy", "Costa", "Lind", "Aziz", "Patel",
        "Dubois", "Zhang", "Flores", "Demir"]

# People whose names make the keys interesting (display name, initials,
# file stem): spaces, Latin accents, CJK.
SPECIAL = [("Zoë Müller", "ZM", "Zoë Müller"),
           ("José García", "JG", "José García"),
           ("Åsa Lindqvist", "ÅL", "Åsa Lindqvist"),
           ("山田 太郎", "YT", "山田太郎"),
           ("Chloé D'Arcy", "CD", "chloé d'arcy (2019)")]

ORGS = [("Acme Corp", False), ("Globex", True)]  # (name, require_mfa)
N_USERS = 50

# Legacy URL shapes the app stored over the years, for bucket b, key k
# (already percent-encoded), local endpoint e.
FORMS = [
    ("virtual", lambda b, k, e: "https://%s.s3.amazonaws.com/%s" % (b, k)),
    ("virtual-regional",
     lambda b, k, e: "https://%s.s3.us-east-1.amazonaws.com/%s" % (b, k)),
    ("path-regional",
     lambda b, k, e: "https://s3.us-east-1.amazonaws.com/%s/%s" % (b, k)),
    ("local-endpoint", lambda b, k, e: "%s/%s/%s" % (e, b, k)),
    ("path-global", lambda b, k, e: "https://s3.amazonaws.com/%s/%s" % (b, k)),
    ("s3-external-1",
     lambda b, k, e: "https://%s.s3-external-1.amazonaws.com/%s" % (b, k)),
    ("dualstack",
     lambda b, k, e: "https://%s.s3.dualstack.us-east-1.amazonaws.com/%s" %
     (b, k)),
    ("s3-uri", lambda b, k, e: "s3://%s/%s" % (b, urllib.parse.unquote(k))),
    ("stale-presigned",
     lambda b, k, e: "https://%s.s3.amazonaws.com/%s?AWSAccessKeyId="
     "AKIAIOSFODNN7EXAMPLE&Expires=1546300800&Signature=bm90LXJlYWw%%3D" %
     (b, k)),
]


def colour(i):
    r, g, b = colorsys.hls_to_rgb((i * 0.137) % 1.0, 0.45, 0.65)
    return "#%02x%02x%02x" % (int(r * 255), int(g * 255), int(b * 255))


def slug(name):
    return "-".join(name.lower().split())


def roster():
    """The users, deterministic: same names and forms on every run."""
    users = []
    for i in range(N_USERS):
        if i % 10 == 7 and i // 10 < len(SPECIAL):
            name, initials, stem = SPECIAL[i // 10]
        else:
            first = FIRST[i % len(FIRST)]
            last = LAST[(i * 7 + i // len(FIRST) * 3) % len(LAST)]
            name, initials = "%s %s" % (first, last), first[0] + last[0]
            stem = slug(name)
        org = 0 if i < 30 else 1
        role = "owner" if i in (0, 30) else (
            "admin" if i in (3, 33) else "member")
        users.append({"n": i, "name": name, "initials": initials,
                      "email": "%s.%d@example.com" % (slug(FIRST[i % 25]), i),
                      "org": org, "role": role,
                      "avatar_key": "avatars/%s.png" % stem,
                      "signature_key": ("signatures/%s signature.png" % stem
                                        if role != "member" or i % 4 == 0
                                        else None)})
    return users


def draw_avatar(u, path):
    subprocess.run(["convert", "-size", "128x128",
                    "xc:" + colour(u["n"]), "-fill", "white",
                    "-font", "DejaVu-Sans-Bold", "-pointsize", "52",
                    "-gravity", "center", "-annotate", "+0+0", u["initials"],
                    "-strip", "png:" + path], check=True)


def draw_signature(u, path):
    h = hashlib.sha256(u["name"].encode()).digest()
    pts = ["M 20,%d" % (40 + h[0] % 30)]
    x = 20
    for j in range(1, 6):
        x += 45
        pts.append("S %d,%d %d,%d" % (x - 20, 15 + h[j] % 60, x,
                                      25 + h[j + 6] % 45))
    subprocess.run(["convert", "-size", "320x100", "xc:white",
                    "-fill", "none", "-stroke", "#1e3a8a",
                    "-strokewidth", "3", "-draw", "path '%s'" % " ".join(pts),
                    "-stroke", "none", "-fill", "#1e3a8a",
                    "-font", "DejaVu-Serif-Italic", "-pointsize", "16",
                    "-gravity", "southeast", "-annotate", "+10+4", u["name"],
                    "-strip", "png:" + path], check=True)


def make_images(users, outdir):
    os.makedirs(outdir, exist_ok=True)
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for u in users:
            u["avatar_file"] = os.path.join(outdir, "a%02d.png" % u["n"])
            jobs.append(pool.submit(draw_avatar, u, u["avatar_file"]))
            if u["signature_key"]:
                u["signature_file"] = os.path.join(outdir,
                                                   "s%02d.png" % u["n"])
                jobs.append(pool.submit(draw_signature, u,
                                        u["signature_file"]))
        for j in jobs:
            j.result()


def s3_client(endpoint):
    session = botocore.session.get_session()
    cfg = botocore.config.Config(s3={"addressing_style": "path"},
                                 retries={"max_attempts": 2},
                                 connect_timeout=5, read_timeout=20)
    return session.create_client("s3", endpoint_url=endpoint,
                                 region_name=os.environ.get("AWS_REGION",
                                                            "us-east-1"),
                                 config=cfg)


def make_public_bucket(s3, bucket, users):
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "LegacyPublicRead", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/*" % bucket}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    n = 0
    for u in users:
        for kind in ("avatar", "signature"):
            key = u.get(kind + "_key")
            if key is None or u.get(kind + "_missing"):
                continue
            with open(u[kind + "_file"], "rb") as f:
                s3.put_object(Bucket=bucket, Key=key, Body=f.read(),
                              ContentType="image/png", ACL="public-read",
                              CacheControl="public, max-age=86400")
            n += 1
    return n


def legacy_url(u, kind, bucket, endpoint):
    """The URL the app stored for this user's image, in one of FORMS."""
    key = u[kind + "_key"]
    n = u["n"] + (3 if kind == "signature" else 0)
    enc = urllib.parse.quote(key, safe="/")
    form, make = FORMS[n % len(FORMS)]
    if kind == "avatar" and u["n"] in (17, 37):
        # stored by an old uploader that never encoded anything
        form, url = "raw-unicode", "https://%s.s3.amazonaws.com/%s" % (bucket,
                                                                      key)
        return form, url
    return form, make(bucket, enc, endpoint)


def assign_urls(users, bucket, endpoint):
    for u in users:
        for kind in ("avatar", "signature"):
            if u.get(kind + "_key") is None:
                u[kind + "_url"], u[kind + "_form"] = None, "none"
                continue
            u[kind + "_form"], u[kind + "_url"] = legacy_url(u, kind, bucket,
                                                             endpoint)
    # the special rows a real table always has
    md5 = hashlib.md5(users[12]["email"].encode()).hexdigest()
    users[12].update(avatar_url="https://www.gravatar.com/avatar/%s?s=128"
                     "&d=identicon" % md5, avatar_form="external (gravatar)",
                     avatar_key=None)
    users[25].update(avatar_url="avatars/upload_25.png (pending)",
                     avatar_form="broken", avatar_key=None)
    users[44].update(avatar_url=None, avatar_form="none", avatar_key=None)
    users[9].update(avatar_url=None, avatar_form="none", avatar_key=None)
    users[41]["avatar_missing"] = True  # the object was deleted long ago
    users[28]["avatar_form"] += " (account inactive)"
    users[41]["avatar_form"] += " (object missing)"


def load_database(dsn, users):
    sessions = {}
    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE sessions, memberships, users, organisations "
                    "RESTART IDENTITY CASCADE")
        org_ids = []
        for name, mfa in ORGS:
            cur.execute("INSERT INTO organisations (name, require_mfa) "
                        "VALUES (%s, %s) RETURNING id", (name, mfa))
            org_ids.append(cur.fetchone()[0])
        for u in users:
            cur.execute("INSERT INTO users (email, display_name, active, "
                        "avatar_url, signature_url) VALUES (%s, %s, %s, %s, "
                        "%s) RETURNING id",
                        (u["email"], u["name"], u["n"] != 28,
                         u["avatar_url"], u["signature_url"]))
            u["id"] = cur.fetchone()[0]
            u["org_name"] = ORGS[u["org"]][0]
            cur.execute("INSERT INTO memberships (organisation_id, user_id, "
                        "role, active) VALUES (%s, %s, %s, true)",
                        (org_ids[u["org"]], u["id"], u["role"]))
        # who the page can log in as: an owner, a plain member, an admin of
        # the MFA organisation (verified)
        for label, n in (("owner", 0), ("member", 1), ("globex-admin", 33)):
            u = users[n]
            token = secrets.token_urlsafe(32)
            cur.execute("INSERT INTO sessions (token_sha256, user_id, "
                        "organisation_id, mfa_verified, expires_at) VALUES "
                        "(%s, %s, %s, true, now() + interval '12 hours')",
                        (hashlib.sha256(token.encode()).digest(), u["id"],
                         org_ids[u["org"]]))
            sessions[label] = {"token": token, "user_id": u["id"],
                               "name": u["name"], "role": u["role"],
                               "org": u["org_name"]}
        # and the dead sessions every real table has
        for n, expires, revoked in ((2, "now() - interval '1 day'", "NULL"),
                                    (4, "now() + interval '1 day'", "now()")):
            cur.execute("INSERT INTO sessions (token_sha256, user_id, "
                        "organisation_id, mfa_verified, expires_at, "
                        "revoked_at) VALUES (%%s, %%s, %%s, true, %s, %s)" %
                        (expires, revoked),
                        (hashlib.sha256(secrets.token_bytes(32)).digest(),
                         users[n]["id"], org_ids[0]))
    conn.close()
    return sessions


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--dsn", required=True)
    a = ap.parse_args()

    users = roster()
    make_images(users, os.path.join(a.state, "images"))
    assign_urls(users, a.bucket, a.endpoint)
    uploaded = make_public_bucket(s3_client(a.endpoint), a.bucket, users)
    sessions = load_database(a.dsn, users)

    keep = ("id", "name", "email", "org_name", "role", "avatar_url",
            "avatar_form", "avatar_key", "signature_url", "signature_form",
            "signature_key")
    with open(os.path.join(a.state, "users.json"), "w") as f:
        json.dump([{k: u.get(k) for k in keep} for u in users], f,
                  ensure_ascii=False, indent=1)
    fd = os.open(os.path.join(a.state, "sessions.json"),
                 os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(sessions, f, indent=1)
    forms = {}
    for u in users:
        for kind in ("avatar", "signature"):
            if u[kind + "_url"] is not None:
                key = u[kind + "_form"].split(" (")[0]
                forms[key] = forms.get(key, 0) + 1
    print("seeded %d users in %d organisations, %d public objects in "
          "bucket %s" % (len(users), len(ORGS), uploaded, a.bucket))
    print("legacy URL forms: " + ", ".join(
        "%s %d" % kv for kv in sorted(forms.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
