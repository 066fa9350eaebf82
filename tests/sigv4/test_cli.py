"""`presignd presign`: exact errors and exit codes, and where credentials,
region and endpoint come from. Exit 2 = bad command line, 1 = other."""
import os
import subprocess

import pytest

BIN = os.environ.get("PRESIGND_BIN", "presignd")
AT = "20261204T120000Z"
HELP = " (see 'presignd presign --help')"


def run(args, env=None, home=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    full.update(AWS_EC2_METADATA_DISABLED="true", HOME=home or "/nonexistent")
    full.update(env if env is not None else
                {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                 "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1"})
    p = subprocess.run([BIN, "presign"] + args, env=full, capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def usage_error(detail):
    return (2, "", "presignd presign: " + detail + HELP + "\n")


@pytest.mark.parametrize("args,detail", [
    (["--bucket", "", "--key", "k"], "bucket name is empty"),
    (["s3:///k"], "bucket name is empty"),
    (["s3://ab/k"], "bucket name 'ab' must be 3 to 63 characters long"),
    (["s3://" + "b" * 64 + "/k"],
     "bucket name '" + "b" * 64 + "' must be 3 to 63 characters long"),
    (["s3://My_Bucket/k"], "bucket name 'My_Bucket' may contain only "
     "lower-case letters, digits, '.' and '-'"),
    (["s3://-abc/k"],
     "bucket name '-abc' must start and end with a letter or digit"),
    (["s3://a..b/k"], "bucket name 'a..b' must not contain '..'"),
    (["s3://192.168.1.1/k"],
     "bucket name '192.168.1.1' must not look like an IP address"),
    (["s3://bucket/" + "k" * 1025],
     "object key is 1025 bytes; the limit is 1024"),
    (["--expires", "0", "s3://bucket/k"],
     "expiry 0 seconds is out of range: 1 to 604800 (7 days)"),
    (["--expires", "604801", "s3://bucket/k"],
     "expiry 604801 seconds is out of range: 1 to 604800 (7 days)"),
    (["--expires", "-5", "s3://bucket/k"],
     "--expires '-5' is not a number of seconds"),
    (["--expires", "1h", "s3://bucket/k"],
     "--expires '1h' is not a number of seconds"),
    (["--at", "2026-12-04T12:00:00Z", "s3://bucket/k"],
     "--at: invalid time '2026-12-04T12:00:00Z': expected YYYYMMDDTHHMMSSZ "
     "(UTC), e.g. 20260131T235959Z"),
    (["--at", "20261304T120000Z", "s3://bucket/k"],
     "--at: invalid time '20261304T120000Z': expected YYYYMMDDTHHMMSSZ "
     "(UTC), e.g. 20260131T235959Z"),
    (["--at", "20270229T120000Z", "s3://bucket/k"],
     "--at: invalid time '20270229T120000Z': expected YYYYMMDDTHHMMSSZ "
     "(UTC), e.g. 20260131T235959Z"),
    (["--endpoint", "ftp://h", "s3://bucket/k"],
     "--endpoint: endpoint URL 'ftp://h' must start with http:// or "
     "https://"),
    (["--endpoint", "http://h/p", "s3://bucket/k"],
     "--endpoint: endpoint URL 'http://h/p' must not have a path, query or "
     "fragment"),
    (["--endpoint", "http://u:p@h", "s3://bucket/k"],
     "--endpoint: endpoint URL must not contain user information"),
    (["--endpoint", "ftp://user:secret@h", "s3://bucket/k"],
     "--endpoint: endpoint URL must not contain user information"),
    (["--endpoint", "http://h:99999", "s3://bucket/k"],
     "--endpoint: endpoint port 99999 is out of range"),
    (["--endpoint", "http://h:x1", "s3://bucket/k"],
     "--endpoint: endpoint URL has an invalid port"),
    (["--endpoint", "http://", "s3://bucket/k"],
     "--endpoint: endpoint URL has no host"),
    (["--endpoint", "", "s3://bucket/k"], "--endpoint: endpoint URL is empty"),
    (["--method", "DELETE", "s3://bucket/k"],
     "invalid method 'DELETE': expected GET, HEAD or PUT"),
    (["--addressing", "dns", "s3://bucket/k"],
     "invalid addressing 'dns': expected auto, virtual or path"),
    (["--bogus", "s3://bucket/k"], "unknown option '--bogus'"),
    (["s3://bucket/k", "--expires"], "option '--expires' needs a value"),
    ([], "missing s3://BUCKET/KEY (or --bucket and --key)"),
    (["s3://bucket"], "'s3://bucket' has no object key (s3://BUCKET/KEY)"),
    (["s3://bucket/"], "'s3://bucket/' has no object key (s3://BUCKET/KEY)"),
    (["https://bucket/k"], "'https://bucket/k' is not an s3://BUCKET/KEY URI"),
    (["s3://bucket/k", "extra"], "unexpected argument 'extra'"),
    (["--region", "EU_West", "s3://bucket/k"],
     "--region: invalid region 'EU_West': only a-z, 0-9 and '-' are "
     "allowed"),
    (["--bucket", "b12", "s3://bucket/k"],
     "give s3://BUCKET/KEY or --bucket/--key, not both ('s3://bucket/k')"),
    (["--method", "PUT", "--content-type", "x/y", "s3://bucket/k"],
     "response overrides apply only to GET and HEAD"),
    (["--content-type", "a\nb", "s3://bucket/k"],
     "response-content-type has a control character"),
    (["--addressing", "virtual", "--endpoint", "http://127.0.0.1:7480",
      "s3://bucket/k"], "bucket 'bucket' cannot be addressed virtual-hosted "
     "at 127.0.0.1 (use path or auto addressing)"),
])
def test_command_line_errors_are_exact(args, detail):
    assert run(["--at", AT] + args) == usage_error(detail)


@pytest.mark.parametrize("env,detail", [
    ({"AWS_REGION": "eu-west-1"},
     "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
     "or add a [default] profile to ~/.aws/credentials"),
    ({"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKID"},
     "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
    ({"AWS_REGION": "eu-west-1", "AWS_SECRET_ACCESS_KEY": "s"},
     "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"),
    ({"AWS_REGION": "eu-west-1", "AWS_PROFILE": "dev"},
     "cannot read the credentials file /nonexistent/.aws/credentials"),
    ({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"},
     "no region: pass --region or set AWS_REGION"),
    ({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s",
      "AWS_DEFAULT_REGION": "EU"},
     "AWS_DEFAULT_REGION: invalid region 'EU': only a-z, 0-9 and '-' are "
     "allowed"),
    ({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s",
      "AWS_ENDPOINT_URL": "minio:9000"},
     "AWS_ENDPOINT_URL: endpoint URL 'minio:9000' must start with http:// "
     "or https://"),
    ({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s",
      "AWS_ENDPOINT_URL_S3": "http://h/x", "AWS_ENDPOINT_URL": "http://ok"},
     "AWS_ENDPOINT_URL_S3: endpoint URL 'http://h/x' must not have a path, "
     "query or fragment"),
    ({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s",
      "AWS_REGION": "eu-west-1", "AWS_CREDENTIAL_EXPIRATION": "tomorrow"},
     "AWS_CREDENTIAL_EXPIRATION 'tomorrow' is not an RFC 3339 time"),
])
def test_environment_errors_are_exact(env, detail):
    assert run(["--at", AT, "s3://bucket/k"], env=env) == (
        1, "", "presignd presign: " + detail + "\n")


def test_expired_credentials_are_refused():
    env = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s",
           "AWS_REGION": "eu-west-1", "AWS_SESSION_TOKEN": "t",
           "AWS_CREDENTIAL_EXPIRATION": "2026-12-04T12:30:00+00:00"}
    ok = run(["--at", AT, "--expires", "1800", "s3://bucket/k"], env=env)
    assert ok[0] == 0 and "X-Amz-Security-Token=t&" in ok[1]
    assert run(["--at", AT, "--expires", "1801", "s3://bucket/k"],
               env=env) == usage_error(
        "the credentials expire before the URL would; use a shorter expiry "
        "or fresh credentials")


def test_help_exits_zero():
    code, out, err = run(["--help"])
    assert code == 0 and err == "" and out.startswith(
        "usage: presignd presign [OPTIONS] s3://BUCKET/KEY\n")


COMMANDS = ["serve", "migrate", "backfill", "audit", "enforce-private",
            "presign", "parse-url"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_dash_h_like_dash_dash_help(command):
    # `presignd help` names `-h` as a spelling of help; it must work for
    # every command, not just some.
    long = subprocess.run([BIN, command, "--help"], capture_output=True,
                          text=True, timeout=30)
    short = subprocess.run([BIN, command, "-h"], capture_output=True,
                           text=True, timeout=30)
    assert (short.returncode, short.stderr) == (0, "")
    assert short.stdout == long.stdout
    assert short.stdout.startswith("usage: presignd " + command)


def test_help_help_shows_the_main_help():
    top = subprocess.run([BIN, "help"], capture_output=True, text=True,
                         timeout=30)
    p = subprocess.run([BIN, "help", "help"], capture_output=True,
                       text=True, timeout=30)
    assert (p.returncode, p.stderr, p.stdout) == (0, "", top.stdout)


def test_profile_from_shared_credentials_file(tmp_path):
    creds = tmp_path / "creds"
    creds.write_text("[default]\naws_access_key_id = DEFAULTKEY\n"
                     "aws_secret_access_key = d\n\n# comment\n[dev]\n"
                     "aws_access_key_id = DEVKEY\naws_secret_access_key=x\n"
                     "aws_session_token = tok+en/\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_PROFILE": "dev",
           "AWS_DEFAULT_REGION": "eu-central-1"}
    code, out, err = run(["--at", AT, "s3://bucket/k"], env=env)
    assert (code, err) == (0, "")
    assert out.startswith("https://bucket.s3.eu-central-1.amazonaws.com/k?")
    assert "X-Amz-Credential=DEVKEY%2F20261204%2Feu-central-1%2Fs3" in out
    assert "X-Amz-Security-Token=tok%2Ben%2F&" in out
    del env["AWS_PROFILE"]
    code, out, _ = run(["--at", AT, "s3://bucket/k"], env=env)
    assert code == 0 and "X-Amz-Credential=DEFAULTKEY%2F" in out
    env["AWS_PROFILE"] = "nope"
    assert run(["--at", AT, "s3://bucket/k"], env=env) == (
        1, "", "presignd presign: profile 'nope' not found in %s\n" % creds)
    # ~/.aws/credentials is the default file
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(creds.read_text())
    code, out, _ = run(["--at", AT, "s3://bucket/k"],
                       env={"AWS_REGION": "eu-west-1"}, home=str(tmp_path))
    assert code == 0 and "X-Amz-Credential=DEFAULTKEY%2F" in out


def test_endpoints_ports_and_literal_keys():
    base = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"}
    code, out, _ = run(["--at", AT, "--endpoint", "HTTPS://Store.Example:443/",
                        "--addressing", "path", "s3://bucket/a%20b"], env=base)
    assert code == 0
    assert out.startswith("https://store.example/bucket/a%2520b?")
    assert "%2Fus-east-1%2Fs3%2F" in out  # custom endpoints default region
    env = dict(base, AWS_ENDPOINT_URL="http://127.0.0.1:1",
               AWS_ENDPOINT_URL_S3="http://127.0.0.1:7480")
    code, out, _ = run(["--at", AT, "--bucket", "bucket.with.dots", "--key",
                        "/x"], env=env)
    assert code == 0 and out.startswith(
        "http://127.0.0.1:7480/bucket.with.dots//x?")
    code, out, _ = run(["--at", AT, "--region", "cn-north-1", "--dualstack",
                        "s3://bucket/k"], env=base)
    assert out.startswith(
        "https://bucket.s3.dualstack.cn-north-1.amazonaws.com.cn/k?")
    code, out, _ = run(["--at", AT, "--region", "us-east-1",
                        "s3://dotted.bucket/k"], env=base)
    assert out.startswith("https://s3.us-east-1.amazonaws.com/dotted.bucket/k?")


def test_aws_documentation_example():
    """The presigned-URL example of the S3 SigV4 documentation."""
    env = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
    code, out, _ = run(["--endpoint", "https://s3.amazonaws.com",
                        "--addressing", "virtual", "--at",
                        "20130524T000000Z", "--expires", "86400",
                        "s3://examplebucket/test.txt"], env=env)
    assert code == 0
    assert out.endswith("&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835"
                        "f995330da4c265957d157751f604d404\n")
