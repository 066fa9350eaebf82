"""harness.py - what the Python integration tests share.

Reads the environment CTest sets (PRESIGND_BIN, PRESIGND_HARNESS_DIR) and
the env files the server fixtures write (harness/pg/env, harness/rgw/env),
and makes a fresh database per test module so tests never share state.
"""
import os
import re
import subprocess
import uuid

import psycopg2

BIN = os.environ.get("PRESIGND_BIN", "presignd")
HARNESS_DIR = os.environ.get("PRESIGND_HARNESS_DIR", "")
SOURCE_DIR = os.environ.get("PRESIGND_SOURCE_DIR", "")


def read_env_file(path):
    """Parses the `export NAME=value` lines of a harness env file."""
    env = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$", line.strip())
            if m:
                env[m.group(1)] = m.group(2).strip("'\"")
    return env


def pg_env():
    return read_env_file(os.path.join(HARNESS_DIR, "pg", "env"))


def rgw_env():
    return read_env_file(os.path.join(HARNESS_DIR, "rgw", "env"))


def admin_dsn(dbname="postgres"):
    e = pg_env()
    return "host=%s port=%s user=%s dbname=%s" % (
        e["PGHOST"], e["PGPORT"], e["PGUSER"], dbname)


def fresh_database(prefix="t"):
    """Creates an empty database; returns its libpq conninfo string."""
    name = "%s_%s" % (prefix, uuid.uuid4().hex[:12])
    conn = psycopg2.connect(admin_dsn())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute('CREATE DATABASE "%s"' % name)
    conn.close()
    return admin_dsn(name)


def drop_database(dsn):
    name = dsn.rsplit("dbname=", 1)[1]
    conn = psycopg2.connect(admin_dsn())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    conn.close()


def run(args, env=None, input=None, timeout=60, check=False):
    """Runs presignd with args; returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    full_env["AWS_EC2_METADATA_DISABLED"] = "true"
    if env:
        full_env.update(env)
    return subprocess.run([BIN] + list(args), env=full_env, input=input,
                          capture_output=True, text=True, timeout=timeout,
                          check=check)
