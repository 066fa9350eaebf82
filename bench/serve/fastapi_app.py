"""fastapi_app.py - the stack presignd replaces, for the serve benchmark.

A FastAPI + uvicorn endpoint doing what `presignd serve` does for
GET /v1/users/{id}/avatar: read the session cookie, SHA-256 it, look up the
session (user active, membership active, MFA when the organisation requires
it) and then the subject's avatar reference with the "shares an active
organisation" check in Postgres (psycopg2), presign it with boto3 and answer
302 with the same cache headers. No cache: every request asks Postgres, as
such apps usually do.

Written the way a careful team would, giving it every fair advantage: one
connection per worker thread (no pool churn), one boto3 client per process
(created at start-up, so its endpoint and credential resolution is not paid
per request), two round trips per request. Settings come from the
environment (run.sh sets them): DATABASE_URL, BENCH_ENDPOINT, AWS_REGION,
BENCH_URL_TTL, BENCH_COOKIE_NAME and the AWS_* credentials.
"""
import hashlib
import os
import threading

import boto3
import psycopg2
from botocore.config import Config
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

URL_TTL = int(os.environ.get("BENCH_URL_TTL", "300"))
COOKIE = os.environ.get("BENCH_COOKIE_NAME", "session")
DSN = os.environ["DATABASE_URL"]

SESSION_SQL = """
SELECT s.user_id
FROM sessions s
JOIN users u ON u.id = s.user_id AND u.active
JOIN memberships m ON m.user_id = s.user_id
                  AND m.organisation_id = s.organisation_id AND m.active
JOIN organisations o ON o.id = s.organisation_id
WHERE s.token_sha256 = %s AND s.revoked_at IS NULL AND s.expires_at > now()
  AND (s.mfa_verified OR NOT o.require_mfa)
"""

# An avatar is visible to active members of any organisation the subject is
# an active member of.
AVATAR_SQL = """
SELECT r.bucket, r.object_key
FROM presignd.object_refs r
JOIN users su ON su.id::text = r.subject_id AND su.active
WHERE r.subject_id = %s AND r.kind = 'avatar'
  AND EXISTS (SELECT 1
              FROM memberships vm
              JOIN memberships sm ON sm.organisation_id = vm.organisation_id
              WHERE vm.user_id = %s AND vm.active
                AND sm.user_id = su.id AND sm.active)
"""

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["BENCH_ENDPOINT"],
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)
local = threading.local()
app = FastAPI()


def cursor():
    conn = getattr(local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg2.connect(DSN)
        conn.autocommit = True
        local.conn = conn
    return conn.cursor()


def error(status):
    return Response(status_code=status, headers={"Cache-Control": "no-store"})


@app.get("/v1/users/{subject_id}/avatar")
def avatar(subject_id: int, request: Request):
    token = request.cookies.get(COOKIE)
    if not token:
        return error(401)
    digest = hashlib.sha256(token.encode()).digest()
    with cursor() as cur:
        cur.execute(SESSION_SQL, (digest,))
        row = cur.fetchone()
        if row is None:
            return error(401)
        cur.execute(AVATAR_SQL, (str(subject_id), row[0]))
        ref = cur.fetchone()
    if ref is None:
        return error(404)
    max_age = URL_TTL - 60
    url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": ref[0], "Key": ref[1],
                "ResponseCacheControl": "private, max-age=%d" % max_age},
        ExpiresIn=URL_TTL)
    return RedirectResponse(url, status_code=302, headers={
        "Cache-Control": "private, max-age=%d" % max_age,
        "Vary": "Cookie, Accept, Origin",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    })
