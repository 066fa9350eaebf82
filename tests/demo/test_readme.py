"""test_readme.py - keeps the operator's guide true to the code.

Every environment setting the C code reads (a "PRESIGND_*", "AWS_*" or
"DATABASE_URL" string literal in src/), every subcommand in main.c's table
and every option each one's --help lists must appear in README.md; the
README's two commands must exist, and its links and anchors resolve.
"""
import glob
import os
import re

SRC = os.environ.get("PRESIGND_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def readme():
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        return f.read()


def c_sources():
    for path in sorted(glob.glob(os.path.join(SRC, "src", "*.c"))):
        with open(path, encoding="utf-8") as f:
            yield path, f.read()


def test_every_setting_read_by_the_code_is_documented():
    names = set()
    for _, text in c_sources():
        names |= set(re.findall(r'"((?:PRESIGND|AWS)_[A-Z0-9_]+|DATABASE_URL)"',
                                text))
    assert "DATABASE_URL" in names  # the scan itself works
    doc = readme()
    assert sorted(n for n in names if "`%s`" % n not in doc) == []


def test_every_command_is_documented():
    main = dict(c_sources())[os.path.join(SRC, "src", "main.c")]
    commands = re.findall(r'^\s*\{"([a-z-]+)",', main, re.M)
    assert "serve" in commands
    doc = readme()
    assert [c for c in commands if "`presignd %s" % c not in doc] == []


def test_the_two_commands_exist():
    doc = readme()
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        assert "bash %s" % script in doc
        assert os.path.isfile(os.path.join(SRC, script))


def test_relative_links_resolve():
    doc = readme()
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc)
    local = [l for l in links if "://" not in l]
    assert "docs/serve.md" in local
    assert [l for l in local if not os.path.exists(os.path.join(SRC, l))] == []


def test_anchors_resolve():
    doc = readme()
    heads = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
             for h in re.findall(r"^#+ (.*)$", doc, re.M)}
    anchors = re.findall(r"\]\(#([^)]+)\)", doc)
    assert anchors and [a for a in anchors if a not in heads] == []


def test_every_option_of_every_command_is_documented():
    """Each option a command's --help lists has a row or mention in README."""
    import subprocess
    binary = os.environ.get("PRESIGND_BIN")
    if not binary or not os.path.exists(binary):
        import pytest
        pytest.skip("PRESIGND_BIN not built")
    main = dict(c_sources())[os.path.join(SRC, "src", "main.c")]
    doc = readme()
    undocumented = []
    for cmd in re.findall(r'^\s*\{"([a-z-]+)",', main, re.M):
        out = subprocess.run([binary, cmd, "--help"], capture_output=True,
                             text=True, timeout=10).stdout
        for opt in re.findall(r"^\s+(--[a-z][a-z0-9-]*)", out, re.M):
            if opt != "--help" and "`%s" % opt not in doc:
                undocumented.append("%s %s" % (cmd, opt))
    assert undocumented == []
