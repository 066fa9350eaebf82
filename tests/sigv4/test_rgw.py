"""Presigned URLs from `presignd presign`, and headers from
sigv4_sign_headers, against a real SigV4 verifier: the local Ceph radosgw
(path style on 127.0.0.1; nothing else is contacted). Untouched URLs work
with curl; tampered ones get 403."""
import os
import subprocess
import uuid

import pytest

from harness import rgw_env

BIN = os.environ.get("PRESIGND_BIN", "presignd")
TOOL = os.environ.get("SIGV4_SIGN_TOOL", "sigv4_sign_tool")
KEY = "dir/sub dir/ü ñ+~=&?#%41 日本.txt"


@pytest.fixture(scope="module")
def rgw():
    e = rgw_env()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=e["AWS_ACCESS_KEY_ID"],
               AWS_SECRET_ACCESS_KEY=e["AWS_SECRET_ACCESS_KEY"],
               AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    return {"endpoint": e["S3_ENDPOINT"], "env": env,
            "bucket": "sigv4-" + uuid.uuid4().hex[:12]}


def curl(url, method="GET", headers=(), upload=None):
    """(status, body, response headers) of one request to loopback."""
    assert url.startswith("http://127.0.0.1:")
    args = ["curl", "-s", "-g", "--max-time", "20", "-D", "-", "-o",
            "/dev/stdout"]
    if method == "HEAD":
        args.append("-I")
    elif method != "GET":
        args += ["-X", method]
    if upload is not None:
        args += ["--data-binary", "@" + upload, "-H", "Content-Type:"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], capture_output=True, timeout=30,
                         check=True).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    return status, body, {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip()
                          for l in lines[1:] if ":" in l}


def signed_call(rgw, method, key=None, body=None, query=()):
    p = subprocess.run([TOOL, method, rgw["endpoint"], rgw["bucket"],
                        key or "-", body or "-"] + list(query),
                       capture_output=True, text=True, env=rgw["env"],
                       timeout=30)
    assert p.returncode == 0, p.stderr
    url, *headers = p.stdout.splitlines()
    return curl(url, method, [h for h in headers if not h.startswith("Host:")],
                body)


def presign(rgw, *args, key=KEY):
    p = subprocess.run([BIN, "presign", "--endpoint", rgw["endpoint"],
                        "--addressing", "path", *args,
                        "s3://%s/%s" % (rgw["bucket"], key)],
                       capture_output=True, text=True, env=rgw["env"],
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def tamper(url):
    i = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    return url[:i] + ("0" if url[i] != "0" else "1") + url[i + 1:]


@pytest.fixture(scope="module")
def bucket(rgw, tmp_path_factory):
    """A fresh bucket holding KEY, made with header-signed calls."""
    assert signed_call(rgw, "PUT")[0] == 200
    body = tmp_path_factory.mktemp("rgw") / "body"
    body.write_bytes(b"hello from presignd\n")
    status, _, _ = signed_call(rgw, "PUT", KEY, str(body))
    assert status == 200
    return rgw


def test_header_signed_calls_work_and_tampering_fails(bucket):
    status, body, _ = signed_call(bucket, "GET", KEY)
    assert (status, body) == (200, b"hello from presignd\n")
    status, body, _ = signed_call(bucket, "GET", query=["acl"])
    assert status == 200 and b"AccessControlPolicy" in body
    status, _, _ = signed_call(bucket, "GET", query=["list-type=2",
                                                     "prefix=dir/"])
    assert status == 200
    p = subprocess.run([TOOL, "GET", bucket["endpoint"], bucket["bucket"],
                        KEY, "-"], capture_output=True, text=True,
                       env=bucket["env"], check=True)
    url, *headers = p.stdout.splitlines()
    headers = [h.replace("Signature=", "Signature=0") if
               h.startswith("Authorization:") else h for h in headers
               if not h.startswith("Host:")]
    assert curl(url, "GET", headers)[0] == 403


def test_presigned_get_works(bucket):
    status, body, _ = curl(presign(bucket, "--expires", "60"))
    assert (status, body) == (200, b"hello from presignd\n")


def test_presigned_get_honours_overrides(bucket):
    url = presign(bucket, "--content-type", "text/x-test",
                  "--content-disposition",
                  "attachment; filename=\"a b.txt\"; "
                  "filename*=UTF-8''%C3%BC.txt",
                  "--cache-control", "private, max-age=60")
    status, _, h = curl(url)
    assert status == 200
    assert h["content-type"] == "text/x-test"
    assert h["content-disposition"] == (
        "attachment; filename=\"a b.txt\"; filename*=UTF-8''%C3%BC.txt")
    assert h["cache-control"] == "private, max-age=60"
    assert curl(url.replace("text%2Fx-test", "text%2Fhtml"))[0] == 403


def test_presigned_head_works(bucket):
    url = presign(bucket, "--method", "HEAD")
    status, _, h = curl(url, "HEAD")
    assert status == 200 and h["content-length"] == "20"
    assert curl(presign(bucket), "HEAD")[0] == 403  # a GET URL


def test_presigned_put_works(bucket, tmp_path):
    body = tmp_path / "upload"
    body.write_bytes(b"uploaded\x00\xffbytes")
    url = presign(bucket, "--method", "PUT", key="up/new ü.bin")
    assert curl(url, "PUT", upload=str(body))[0] == 200
    status, got, _ = curl(presign(bucket, key="up/new ü.bin"))
    assert (status, got) == (200, b"uploaded\x00\xffbytes")


@pytest.mark.parametrize("edit", [
    tamper,
    lambda u: u.replace("X-Amz-Expires=3600", "X-Amz-Expires=3601"),
    lambda u: u.replace("/dir/", "/Dir/"),
    lambda u: u.replace("%2Fus-east-1%2F", "%2Fus-west-2%2F"),
    lambda u: u.replace("X-Amz-SignedHeaders=host",
                        "X-Amz-SignedHeaders=host&x-id=GetObject"),
])
def test_tampered_presigned_url_is_refused(bucket, edit):
    url = presign(bucket)
    assert curl(url)[0] == 200
    assert curl(edit(url))[0] == 403
