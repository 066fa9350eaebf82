"""enforce-private on a store that supports object ownership (radosgw 16
does not, so a scripted stand-in on 127.0.0.1 plays AWS): the changes go in
the safe order - Block Public Access, policy, ACLs, then ownership
BucketOwnerEnforced - and --rollback undoes them in reverse, deleting the
ownership controls that were not there before.

The stand-in keeps the bucket's settings, answers anonymous GETs 200 while
the bucket is public and 403 after, and checks nothing else (signatures are
radosgw's job in the other tests). The database is unreachable, so --force
is needed and no keys are sampled.
"""
import http.server
import os
import re
import threading

import pytest

import harness

OWNER = ('<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-'
         'instance" xsi:type="CanonicalUser"><ID>me</ID></Grantee>'
         '<Permission>FULL_CONTROL</Permission></Grant>')
PUBLIC = ('<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-'
          'instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/'
          'global/AllUsers</URI></Grantee><Permission>READ</Permission>'
          '</Grant>')
POLICY = ('{"Statement":[{"Effect":"Allow","Principal":"*",'
          '"Action":"s3:GetObject","Resource":"arn:aws:s3:::own-bucket/*"}]}')


def acl_doc(grants):
    return ('<AccessControlPolicy><Owner><ID>me</ID></Owner>'
            '<AccessControlList>%s</AccessControlList></AccessControlPolicy>'
            % grants)


def error(code):
    return "<Error><Code>%s</Code><Message></Message></Error>" % code


class Aws(http.server.BaseHTTPRequestHandler):
    state = {}
    writes = []

    def log_message(self, *args):
        pass

    def answer(self, status, body=""):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def sub(self):
        return self.path.partition("?")[2].split("=")[0]

    def public(self):
        s = Aws.state
        if s.get("stubborn"):
            return True  # a store that ignores every setting
        return s["policy"] is not None or ("AllUsers" in s["acl"] and not (
            s["pab"] and "<IgnorePublicAcls>true" in s["pab"]))

    def do_GET(self):
        s, sub = Aws.state, self.sub()
        if "Authorization" not in self.headers:
            return self.answer(200 if self.public() else 403,
                               "" if self.public() else error("AccessDenied"))
        if sub == "acl":
            return self.answer(200, s["acl"])
        if sub == "publicAccessBlock":
            return self.answer(*((200, s["pab"]) if s["pab"] else (
                404, error("NoSuchPublicAccessBlockConfiguration"))))
        if sub == "policy":
            return self.answer(*((200, s["policy"]) if s["policy"] else (
                404, error("NoSuchBucketPolicy"))))
        if sub == "policyStatus":
            return self.answer(200, "<PolicyStatus><IsPublic>%s</IsPublic>"
                               "</PolicyStatus>" % str(
                                   s["policy"] is not None).lower())
        if sub == "ownershipControls":
            return self.answer(*((200, s["ownership"]) if s["ownership"] else (
                404, error("OwnershipControlsNotFoundError"))))
        self.answer(403, error("AccessDenied"))

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        sub = self.sub()
        Aws.writes.append("PUT " + sub)
        key = {"acl": "acl", "publicAccessBlock": "pab", "policy": "policy",
               "ownershipControls": "ownership"}[sub]
        if sub == "acl" and Aws.state["ownership"] and (
                "BucketOwnerEnforced" in Aws.state["ownership"]):
            return self.answer(400, error("AccessControlListNotSupported"))
        Aws.state[key] = body
        self.answer(200)

    def do_DELETE(self):
        sub = self.sub()
        Aws.writes.append("DELETE " + sub)
        key = {"publicAccessBlock": "pab", "policy": "policy",
               "ownershipControls": "ownership"}[sub]
        Aws.state[key] = None
        self.answer(204)


@pytest.fixture()
def aws(tmp_path):
    Aws.state = {"acl": acl_doc(OWNER + PUBLIC), "pab": None,
                 "policy": POLICY, "ownership": None}
    Aws.writes = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Aws)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def run(endpoint, *args):
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
           "DATABASE_URL": "host=/nonexistent-presignd-test dbname=x"}
    return harness.run(list(args), env=env)


def test_enforce_orders_changes_and_rollback_reverses_them(aws, tmp_path):
    r = run(aws, "enforce-private", "--bucket", "own-bucket", "--force",
            "--rollback-dir", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert Aws.writes == ["PUT publicAccessBlock", "DELETE policy", "PUT acl",
                          "PUT ownershipControls"]
    assert "<ObjectOwnership>BucketOwnerEnforced<" in Aws.state["ownership"]
    assert "AllUsers" not in Aws.state["acl"]
    assert re.search(r"Object ownership +none set \(ACLs on\) +"
                     r"BucketOwnerEnforced \(ACLs off\)\n", r.stdout)
    assert re.search(r"Anonymous listing +200 \(UNEXPECTED\) +403 AccessDenied "
                     r"\(ok\)\n", r.stdout)
    assert r.stdout.endswith("verified: anonymous listing denied (no sampled "
                             "keys to probe)\n")

    r = run(aws, "audit", "--bucket", "own-bucket")
    assert "Object ownership         BucketOwnerEnforced (ACLs off)" in r.stdout
    assert r.returncode == 5  # the database is unreachable; S3 is private

    Aws.writes = []
    (rollback,) = os.listdir(tmp_path)
    r = run(aws, "enforce-private", "--rollback",
            os.path.join(tmp_path, rollback))
    assert r.returncode == 0, r.stdout + r.stderr
    assert Aws.writes == ["DELETE publicAccessBlock",
                          "DELETE ownershipControls", "PUT acl", "PUT policy"]
    assert Aws.state["ownership"] is None and Aws.state["pab"] is None
    assert "AllUsers" in Aws.state["acl"]
    assert re.search(r'"Principal": ?"\*"', Aws.state["policy"])
    assert "left Block Public Access unset, as saved" in r.stdout


def test_failed_verification_exits_6_and_keeps_the_rollback(aws, tmp_path):
    Aws.state["stubborn"] = True
    r = run(aws, "enforce-private", "--bucket", "own-bucket", "--force",
            "--rollback-dir", str(tmp_path))
    assert r.returncode == 6, r.stdout + r.stderr
    assert ("presignd enforce-private: verification FAILED:\n"
            "anonymous listing answered 200\n") in r.stderr
    assert len(os.listdir(tmp_path)) == 1
    assert "rollback file: %s" % tmp_path in r.stdout
