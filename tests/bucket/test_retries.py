"""The S3 client retries 5xx and SlowDown with backoff, never 4xx, signs
every API call, and names the S3 code in its errors.

A scripted S3 stand-in on 127.0.0.1 (http.server in a thread) answers
`presignd audit`; each test sets what the bucket ACL request gets. The
database is deliberately unreachable, so the audit always ends "could not
check" (exit 5) - what is asserted is what the client did.
"""
import http.server
import threading

import pytest

import harness

PRIVATE_ACL = (
    '<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy>'
    '<Owner><ID>me</ID></Owner><AccessControlList><Grant>'
    '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:type="CanonicalUser"><ID>me</ID></Grantee>'
    '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList>'
    '</AccessControlPolicy>')
PAB_ON = ('<PublicAccessBlockConfiguration><BlockPublicAcls>true'
          '</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>'
          '<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>'
          'true</RestrictPublicBuckets></PublicAccessBlockConfiguration>')
OWNERSHIP = ('<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced'
             '</ObjectOwnership></Rule></OwnershipControls>')


def error(code, message=""):
    return ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
            '<Message>%s</Message><RequestId>req-1</RequestId></Error>'
            % (code, message))


class Store(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so reuse can be seen
    acl_answers = []  # (status, body) per ACL request; the last one repeats
    log = []
    ports = []

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        Store.log.append((self.path, self.headers))  # case-insensitive
        Store.ports.append(self.client_address[1])
        query = self.path.partition("?")[2].split("=")[0]
        if query == "acl":
            n = sum(1 for p, _ in Store.log if p.endswith("?acl="))
            status, body = Store.acl_answers[min(n, len(Store.acl_answers)) - 1]
            return self.answer(status, body)
        answers = {
            "publicAccessBlock": (200, PAB_ON),
            "policy": (404, error("NoSuchBucketPolicy")),
            "policyStatus": (200, "<PolicyStatus><IsPublic>false</IsPublic>"
                                  "</PolicyStatus>"),
            "ownershipControls": (200, OWNERSHIP),
        }
        self.answer(*answers.get(query, (403, error("AccessDenied"))))


@pytest.fixture()
def store():
    Store.log = []
    Store.ports = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Store)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def audit(endpoint, **extra):
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_REGION": "us-east-1",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "DATABASE_URL": "host=/nonexistent-presignd-test dbname=x",
    }
    env.update(extra)
    return harness.run(["audit", "--bucket", "retry-bucket"], env=env)


def acl_requests():
    return [h for p, h in Store.log if p.endswith("?acl=")]


def test_slowdown_and_503_are_retried_then_succeed(store):
    Store.acl_answers = [(503, error("SlowDown")), (500, error("InternalError")),
                         (200, PRIVATE_ACL)]
    r = audit(store)
    assert len(acl_requests()) == 3
    assert "Bucket ACL               no public grant" in r.stdout
    assert "Block Public Access      BlockPublicAcls=on" in r.stdout
    assert "Object ownership         BucketOwnerEnforced (ACLs off)" in r.stdout
    assert "Anonymous listing        403 AccessDenied (ok)" in r.stdout
    assert r.returncode == 5  # only because the database is unreachable
    # every API call is header-signed with a payload hash; the probe is not
    for h in acl_requests():
        assert h["Authorization"].startswith("AWS4-HMAC-SHA256 Credential="
                                             "AKIDEXAMPLE/")
        assert h["x-amz-content-sha256"] == (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    # one connection for the whole audit: the client's curl handle keeps it
    assert len(Store.log) == 8 and len(set(Store.ports)) == 1
    listing = [h for p, h in Store.log if p == "/retry-bucket/"]
    assert listing and "Authorization" not in listing[0]


def test_4xx_is_not_retried(store):
    Store.acl_answers = [(403, error("AccessDenied"))]
    r = audit(store)
    assert len(acl_requests()) == 1
    assert r.returncode == 5
    assert r.stderr == ("presignd audit: S3 GetBucketAcl on bucket "
                        "'retry-bucket': HTTP 403 AccessDenied, request id "
                        "req-1\n")
    assert r.stdout == ""


def test_message_is_shown_when_the_store_sends_one(store):
    Store.acl_answers = [(400, error("InvalidRequest", "Bad &amp; odd"))]
    r = audit(store)
    assert len(acl_requests()) == 1
    # not fatal like a refusal: the report shows the check that failed
    assert ("Bucket ACL               COULD NOT CHECK: S3 GetBucketAcl on "
            "bucket 'retry-bucket': HTTP 400 InvalidRequest: Bad & odd, "
            "request id req-1\n" in r.stdout)


def test_persistent_5xx_gives_up_after_the_attempt_limit(store):
    Store.acl_answers = [(500, error("InternalError"))]
    r = audit(store)
    assert len(acl_requests()) == 4
    assert r.returncode == 5
    assert ("could not check the bucket ACL: S3 GetBucketAcl on bucket "
            "'retry-bucket': HTTP 500 InternalError" in r.stdout)


def test_named_endpoint_is_reached_through_a_pin(store):
    """PRESIGND_S3_RESOLVE pins a name to 127.0.0.1, so no DNS lookup is
    made; the signed Host header keeps the name."""
    Store.acl_answers = [(200, PRIVATE_ACL)]
    port = store.rsplit(":", 1)[1]
    env = {"AWS_ENDPOINT_URL": "http://s3.pinned.test:%s" % port,
           "PRESIGND_S3_RESOLVE": "s3.pinned.test:%s:127.0.0.1" % port}
    r = audit(store, **env)
    assert "bucket retry-bucket at http://s3.pinned.test:%s" % port in r.stdout
    assert "Bucket ACL               no public grant" in r.stdout
    assert acl_requests()[0]["Host"] == "s3.pinned.test:%s" % port
