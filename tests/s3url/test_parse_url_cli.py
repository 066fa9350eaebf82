"""test_parse_url_cli.py - `presignd parse-url`: JSON output and exit codes.

Runs the built binary (PRESIGND_BIN) with a clean PRESIGND_* environment;
exit 0 with a reference, 1 with {"error", "reason"}, 2 for usage and
configuration errors.
"""
import json
import os
import subprocess

import pytest

BIN = os.environ.get("PRESIGND_BIN", "presignd")


def run(*args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESIGND_S3")
           and k != "PRESIGND_CDNS"}
    env.update(env_extra or {})
    p = subprocess.run([BIN, "parse-url", *args], capture_output=True,
                       env=env, timeout=30)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def parsed(*args, **kw):
    code, out, err = run(*args, **kw)
    assert code == 0, (out, err)
    assert out.endswith("\n") and out.count("\n") == 1
    return json.loads(out)


def refused(*args, **kw):
    code, out, err = run(*args, **kw)
    assert code == 1, (out, err)
    return json.loads(out)


def test_virtual_hosted_url_prints_exact_object():
    assert parsed("https://my-bucket.s3.eu-west-1.amazonaws.com/a/b.png") == {
        "bucket": "my-bucket", "key": "a/b.png", "region": "eu-west-1",
        "style": "virtual"}


def test_region_is_null_when_the_url_does_not_say():
    out = parsed("https://s3.amazonaws.com/my-bucket/a.png")
    assert out["region"] is None and out["style"] == "path"


def test_version_id_and_ambiguous_plus_are_reported():
    out = parsed("https://my-bucket.s3.amazonaws.com/a+b.png?versionId=v%2B1"
                 "&X-Amz-Signature=00ff")
    assert out == {"bucket": "my-bucket", "key": "a b.png", "region": None,
                   "style": "virtual", "version_id": "v+1",
                   "ambiguous_plus": True}


def test_output_keys_come_in_a_stable_order():
    code, out, _ = run("s3://my-bucket/k")
    assert code == 0
    assert out == ('{"bucket":"my-bucket","key":"k","region":null,'
                   '"style":"s3-uri"}\n')


@pytest.mark.parametrize("url,key", [
    ("https://my-bucket.s3.amazonaws.com/q%22b%5Cs%01%7F", 'q"b\\s\x01\x7f'),
    ("https://my-bucket.s3.amazonaws.com/%E2%80%A8%F0%9F%98%80",
     "\u2028\U0001F600"),
    ("https://my-bucket.s3.amazonaws.com/raw \u65e5\u672c", "raw \u65e5\u672c"),
])
def test_keys_with_any_bytes_are_valid_json(url, key):
    assert parsed(url)["key"] == key


def test_endpoint_and_cdn_flags():
    out = parsed("--s3-endpoint", "http://minio.internal:9000@us-east-1",
                 "http://minio.internal:9000/bkt/a.png")
    assert out == {"bucket": "bkt", "key": "a.png", "region": "us-east-1",
                   "style": "path", "endpoint": "http://minio.internal:9000"}
    out = parsed("--cdn=cdn.example.com=avatars/users@eu-west-1",
                 "https://cdn.example.com/a/b.png")
    assert out == {"bucket": "avatars", "key": "users/a/b.png",
                   "region": "eu-west-1", "style": "cdn"}


def test_environment_configures_and_flags_add_to_it():
    env = {"PRESIGND_S3_ENDPOINTS": "http://127.0.0.1:7480",
           "PRESIGND_CDNS": "cdn.example.com=avatars"}
    assert parsed("http://127.0.0.1:7480/bkt/k", env_extra=env)["endpoint"] \
        == "http://127.0.0.1:7480"
    assert parsed("https://cdn.example.com/k", env_extra=env)["bucket"] \
        == "avatars"
    out = parsed("--cdn", "img.example.com=media", "https://img.example.com/k",
                 env_extra=env)
    assert out["bucket"] == "media"


def test_external_host_is_named():
    out = refused("https://www.gravatar.com/avatar/abc?s=64")
    assert out == {"error": "external host, not S3: www.gravatar.com",
                   "reason": "external", "host": "www.gravatar.com"}


@pytest.mark.parametrize("url,reason", [
    ("https://my-bucket.s3.amazonaws.com.evil.example/a", "external"),
    ("https://my-bucket.s3.amazonaws.com/", "no-key"),
    ("https://s3.amazonaws.com/Bad_Bucket/a", "bad-bucket"),
    ("https://my-bucket.s3.amazonaws.com/%zz", "bad-escape"),
    ("https://my-bucket.s3.amazonaws.com/%FF", "bad-utf8"),
    ("ftp://my-bucket.s3.amazonaws.com/a", "scheme"),
    ("https://x@my-bucket.s3.amazonaws.com/a", "userinfo"),
    ("", "empty"),
    ("https://my-bucket.s3.amazonaws.com/" + "k" * 1025, "key-too-long"),
])
def test_refusals_exit_1_with_reason(url, reason):
    out = refused(url)
    assert out["reason"] == reason
    assert out["error"]


def test_error_json_is_valid_for_non_ascii_input():
    out = refused("https://s3.amazonaws.com/b\u00e4d/k")
    assert out["reason"] == "bad-bucket"
    assert "\\xc3\\xa4" in out["error"]


def test_url_after_double_dash_may_start_with_a_dash():
    assert refused("--", "-not-a-url")["reason"] == "syntax"


def test_help_documents_flags_and_environment():
    code, out, _ = run("--help")
    assert code == 0
    for word in ("--s3-endpoint", "--cdn", "PRESIGND_S3_ENDPOINTS",
                 "PRESIGND_CDNS", "exit status"):
        assert word in out


def test_help_wins_over_a_broken_environment():
    code, out, _ = run("https://a/b", "--help", env_extra={"PRESIGND_CDNS": "x"})
    assert code == 0 and "usage: presignd parse-url" in out


def test_help_through_the_main_dispatcher():
    p = subprocess.run([BIN, "help", "parse-url"], capture_output=True)
    assert p.returncode == 0 and b"PRESIGND_CDNS" in p.stdout


@pytest.mark.parametrize("args,message", [
    ((), "no URL given"),
    (("https://a/b", "https://c/d"), "more than one URL given"),
    (("--bogus", "https://a/b"), "unknown option --bogus"),
    (("https://a/b", "--cdn"), "a value is missing after --cdn"),
    (("--cdn", "nonsense", "https://a/b"),
     "--cdn: 'nonsense' is not HOST=BUCKET[/PREFIX][@REGION]"),
    (("--s3-endpoint", "ftp://x", "https://a/b"),
     "--s3-endpoint: endpoint 'ftp://x' is not an http:// or https:// URL"),
])
def test_usage_errors_exit_2(args, message):
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert message in err


def test_bad_environment_exits_2_naming_the_variable():
    code, out, err = run("https://a/b", env_extra={"PRESIGND_CDNS": "x"})
    assert code == 2 and out == ""
    assert "PRESIGND_CDNS: 'x' is not HOST=BUCKET[/PREFIX][@REGION]" in err
