"""Keys with dot segments ("d/../x.png", "./y.png") are literal S3 keys:
audit's signed and presigned requests must name them as stored, not a
path its HTTP client squashed (which is another key, or another bucket)."""
import psycopg2

import harness
import s3util

KEYS = ["d/../x.png", "./y.png"]


def test_audit_reaches_keys_with_dot_segments():
    s3 = s3util.client()
    bucket = s3util.unique_bucket("dots")
    s3.create_bucket(Bucket=bucket)
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x",
                      ContentType="image/png")
    dsn = s3util.host_database()
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("INSERT INTO users (id, email, display_name, avatar_url,"
                    " signature_url) VALUES (1, 'd@example.test', 'D', %s,"
                    " %s)", tuple("s3://%s/%s" % (bucket, k) for k in KEYS))
    conn.close()
    s3util.backfill(dsn, bucket, 2)
    env = s3util.presignd_env(dsn)
    r = harness.run(["audit", "--bucket", bucket, "--sample", "2"], env=env)
    harness.drop_database(dsn)
    assert "SignatureDoesNotMatch" not in r.stdout, r.stdout
    assert "NoSuch" not in r.stdout, r.stdout
    assert r.returncode == 0, r.stdout + r.stderr
