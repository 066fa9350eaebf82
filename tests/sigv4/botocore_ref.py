"""botocore_ref.py - Debian's botocore as the reference signer for tests
and the benchmark: frozen time, and either of its two SigV4 signers.

botocore signs with the AWS CRT (aws-c-auth) when python3-awscrt is
installed and with its own Python code otherwise; both are independent of
presignd, so the tests compare against each one that is present.
"""
import datetime
import types

import botocore.auth
import botocore.session
from botocore.config import Config

try:
    import botocore.crt.auth as crt_auth
except ImportError:  # python3-awscrt not installed
    crt_auth = None

IMPLEMENTATIONS = ["python"] + (["crt"] if crt_auth is not None else [])
_DEFAULT_QUERY_AUTH = botocore.auth.AUTH_TYPE_MAPS["s3v4-query"]


def freeze_time(when):
    """Makes botocore's signers see `when` (naive UTC) as the time."""

    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

    fake = types.SimpleNamespace(
        **{k: getattr(datetime, k) for k in dir(datetime)
           if not k.startswith("__")})
    fake.datetime = Frozen
    botocore.auth.datetime = fake
    if crt_auth is not None:
        crt_auth.datetime = fake


def use_implementation(name):
    """Selects botocore's signer for presigned S3 URLs."""
    if name == "python":
        botocore.auth.AUTH_TYPE_MAPS["s3v4-query"] = \
            botocore.auth.S3SigV4QueryAuth
    else:
        botocore.auth.AUTH_TYPE_MAPS["s3v4-query"] = _DEFAULT_QUERY_AUTH


def client(region, addressing, endpoint=None, token=None, dualstack=False,
           akid="AKIDEXAMPLE", secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"):
    s3 = {"addressing_style": addressing}
    if dualstack:
        s3["use_dualstack_endpoint"] = True
    return botocore.session.get_session().create_client(
        "s3", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=akid, aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(signature_version="s3v4", s3=s3))


OPERATIONS = {"GET": "get_object", "HEAD": "head_object", "PUT": "put_object"}
OVERRIDES = {"content_type": "ResponseContentType",
             "content_disposition": "ResponseContentDisposition",
             "cache_control": "ResponseCacheControl"}


def presign(c, method, bucket, key, expires, overrides=None):
    params = {"Bucket": bucket, "Key": key}
    for name, value in (overrides or {}).items():
        params[OVERRIDES[name]] = value
    return c.generate_presigned_url(OPERATIONS[method], Params=params,
                                    ExpiresIn=expires)
