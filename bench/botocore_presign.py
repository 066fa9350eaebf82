"""botocore_presign.py - the benchmark loop of presign_bench.c, in botocore:
presigned GET URLs for distinct keys (the same 65,536, made up front), for
SECONDS, one thread. Prints
"presigns/s: N" for botocore's default SigV4 signer (the AWS CRT when
python3-awscrt is installed) and for its pure-Python signer.

    /usr/bin/python3 bench/botocore_presign.py [SECONDS]
"""
import sys
import time

import botocore
import botocore.auth
import botocore.session
from botocore.config import Config


def rate(seconds):
    c = botocore.session.get_session().create_client(
        "s3", region_name="eu-west-1",
        endpoint_url="https://s3.eu-west-1.amazonaws.com",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="bench-secret",
        config=Config(signature_version="s3v4",
                      s3={"addressing_style": "virtual"}))
    keys = ["users/%d/avatar-%d.jpg" % (i * 7919, i) for i in range(65536)]
    n, start = 0, time.perf_counter()
    stop = start + seconds
    while time.perf_counter() < stop:
        for _ in range(64):
            c.generate_presigned_url(
                "get_object", ExpiresIn=300,
                Params={"Bucket": "avatars-prod",
                        "Key": keys[n % 65536]})
            n += 1
    return n / (time.perf_counter() - start)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    default = botocore.auth.AUTH_TYPE_MAPS["s3v4-query"]
    kind = "crt" if "Crt" in default.__name__ else "python"
    print("botocore %s %s signer presigns/s: %.0f"
          % (botocore.__version__, kind, rate(seconds)))
    if kind == "crt":
        botocore.auth.AUTH_TYPE_MAPS["s3v4-query"] = \
            botocore.auth.S3SigV4QueryAuth
        print("botocore %s python signer presigns/s: %.0f"
              % (botocore.__version__, rate(seconds)))


main()
