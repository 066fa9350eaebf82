"""presignd presign against Debian's botocore, key by key.

At least 2,000 generated keys (NFC and NFD Unicode, CJK, emoji, spaces,
+ ~ ! * ' ( ) = & ? # % : , and friends, //, a leading /, . and ..
segments, 1024-byte keys) are presigned by presignd and by botocore with the
same frozen time and credentials, in several configurations (virtual and
path style ("auto" too, on a custom endpoint), AWS regional, China and
dual-stack endpoints, a custom endpoint with a port, with and without a session token and response overrides,
GET/HEAD/PUT). The signature, the decoded query parameters, the host and the
encoded path must all be identical. botocore's Python signer and its CRT
signer (aws-c-auth, when python3-awscrt is installed) are both checked.

presignd runs once per configuration in its hidden --batch mode.
"""
import datetime
import os
import random
import subprocess
import unicodedata
from urllib.parse import parse_qsl, urlsplit

import pytest

import botocore_ref as ref

BIN = os.environ.get("PRESIGND_BIN", "presignd")
AT = "20261204T120000Z"
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = ("IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/"
         "with+slashes=and=equals" + "x" * 600)

PIECES = [
    "photo", "avatars", "user-42", "IMG_0001.JPG", "signature.png",
    unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café"),
    unicodedata.normalize("NFC", "Ångström"),
    unicodedata.normalize("NFD", "Ångström"),
    "日本語", "中文文件名", "한국어", "ファイル", "😀", "🎉👍🏽", "👩‍👩‍👧",
    " ", "  ", "+", "~", "!", "*", "'", "(", ")", "=", "&", "?", "#", "%",
    ":", ",", ";", "@", "$", "[", "]", "{", "}", "^", "`", "|", "\\", "<",
    ">", '"', "%20", "%2F", "%41", "-", "_", ".", "..", "/", "//", "a.b",
]

EDGE_KEYS = [
    "/leading", "//two-leading", "a//b", "a///b", "./x", "../x", "a/./b",
    "a/../b", ".", "..", "./", "../", "trailing/", "a/b/", "/", "//",
    "with space.txt", "a+b.txt", "percent%41.txt", "q?mark", "hash#frag",
    "eq=1&x=2", "semi;colon,comma'quote", "tilde~x", "(paren)*star!",
    "x" * 1024, "é" * 512, "日" * 341 + "a", "😀" * 256, "/" * 1024,
    "." * 1024, unicodedata.normalize("NFC", "résumé.pdf"),
    unicodedata.normalize("NFD", "résumé.pdf"),
]


def gen_keys(count=2000, seed=20261204):
    rng = random.Random(seed)
    keys, seen = [], set()
    for k in EDGE_KEYS:
        keys.append(k)
        seen.add(k)
    while len(keys) < count:
        parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 12))]
        sep = rng.choice(["/", "", " ", "//", "-"])
        key = sep.join(parts)
        if rng.random() < 0.05:  # a long one, cut to 1024 bytes at most
            while len(key.encode()) < 1100:
                key += rng.choice(PIECES)
            while len(key.encode()) > 1024:
                key = key[:-1]
        if key and len(key.encode()) <= 1024 and key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


KEYS = gen_keys()

OV_ASCII = {"content_type": 'image/png; charset="utf-8"',
            "content_disposition": 'attachment; filename="a b.png"',
            "cache_control": "private, max-age=60"}
OV_UNICODE = {"content_disposition":
              "inline; filename=\"r_sum_.pdf\"; "
              "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
              "content_type": "application/pdf"}

# name: (region, addressing, presignd endpoint, botocore endpoint, dualstack,
#        token, overrides, method, expires, bucket, key slice)
COMBOS = {
    "aws-virtual-get": ("eu-west-1", "virtual", None,
                        "https://s3.eu-west-1.amazonaws.com", False, None,
                        None, "GET", 3600, "presignd-avatars", slice(None)),
    "custom-port-path-token-overrides": (
        "us-east-1", "path", "http://127.0.0.1:7480", "http://127.0.0.1:7480",
        False, TOKEN, OV_ASCII, "GET", 604800, "my.dotted.bucket",
        slice(None)),
    "custom-port-virtual-token-head": (
        "us-west-2", "virtual", "https://minio.internal:9000",
        "https://minio.internal:9000", False, TOKEN, None, "HEAD", 1,
        "media-bucket", slice(0, None, 4)),
    "china-path-unicode-override": (
        "cn-north-1", "path", None, "https://s3.cn-north-1.amazonaws.com.cn",
        False, None, OV_UNICODE, "GET", 900, "cn-bucket-01",
        slice(1, None, 4)),
    "dualstack-virtual-put": (
        "ap-southeast-2", "virtual", None, None, True, None, None, "PUT", 300,
        "uploads-bucket", slice(2, None, 4)),
    "custom-auto-get": (
        "eu-west-1", "auto", "https://objects.example:8443",
        "https://objects.example:8443", False, None, OV_ASCII, "GET", 120,
        "plain-bucket", slice(0, None, 3)),
    "aws-path-token-head": (
        "sa-east-1", "path", None, "https://s3.sa-east-1.amazonaws.com",
        False, TOKEN, None, "HEAD", 60, "sig-images", slice(3, None, 4)),
}

_presignd_cache = {}


def presignd_urls(name):
    """Runs presignd --batch once per configuration; one URL per key."""
    if name in _presignd_cache:
        return _presignd_cache[name]
    (region, addressing, endpoint, _, dualstack, token, overrides, method,
     expires, bucket, sl) = COMBOS[name]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_EC2_METADATA_DISABLED="true")
    if token:
        env["AWS_SESSION_TOKEN"] = token
    args = [BIN, "presign", "--batch", "--at", AT, "--region", region,
            "--addressing", addressing, "--method", method, "--expires",
            str(expires)]
    if endpoint:
        args += ["--endpoint", endpoint]
    if dualstack:
        args += ["--dualstack"]
    for opt, value in (overrides or {}).items():
        args += ["--" + opt.replace("_", "-"), value]
    keys = KEYS[sl]
    stdin = "".join("%s\t%s\n" % (bucket, k.encode().hex()) for k in keys)
    out = subprocess.run(args, input=stdin, capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout
    urls = out.splitlines()
    assert len(urls) == len(keys)
    _presignd_cache[name] = urls
    return urls


def decoded(url):
    parts = urlsplit(url)
    return (parts.scheme, parts.netloc, parts.path,
            dict(parse_qsl(parts.query, keep_blank_values=True,
                           strict_parsing=True)))


def test_key_corpus_covers_the_issue_list():
    joined = "".join(KEYS)
    assert len(KEYS) >= 2000 and len(set(KEYS)) == len(KEYS)
    assert any(len(k.encode()) == 1024 for k in KEYS)
    assert any(k.startswith("/") for k in KEYS)
    assert any("//" in k for k in KEYS)
    assert any(k.split("/").count("..") for k in KEYS)
    assert any(k.split("/").count(".") for k in KEYS)
    assert unicodedata.normalize("NFD", "é") in joined
    assert unicodedata.normalize("NFC", "é") in joined
    for ch in " +~!*'()=&?#%:,😀日":
        assert ch in joined, ch


@pytest.mark.parametrize("impl", ref.IMPLEMENTATIONS)
@pytest.mark.parametrize("combo", sorted(COMBOS))
def test_presign_matches_botocore(impl, combo):
    (region, addressing, _, boto_endpoint, dualstack, token, overrides,
     method, expires, bucket, sl) = COMBOS[combo]
    ref.freeze_time(datetime.datetime(2026, 12, 4, 12, 0, 0))
    ref.use_implementation(impl)
    c = ref.client(region, addressing, boto_endpoint, token, dualstack,
                   AKID, SECRET)
    mine = presignd_urls(combo)
    mismatches = []
    for key, url in zip(KEYS[sl], mine):
        theirs = ref.presign(c, method, bucket, key, expires, overrides)
        a, b = decoded(url), decoded(theirs)
        if a != b:
            mismatches.append((key, url, theirs))
    assert not mismatches, "%d of %d differ; first: %r" % (
        len(mismatches), len(mine), mismatches[:3])
