"""test_docker_files.py - keeps docker/ correct by construction.

No Docker engine or Kubernetes cluster runs where these tests run, so this
checks what can be checked without one: the Dockerfile installs through
scripts/install-deps.sh in every stage, runs as non-root and probes /healthz
(and that probe command really works against an HTTP server); the compose
file and the manifests parse, have the pieces the operator's guide promises,
reference only Secrets/ConfigMaps that exist, and use only settings the
README documents.
"""
import http.server
import json
import os
import re
import socket
import subprocess
import threading

import pytest
import yaml

SRC = os.environ.get("PRESIGND_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKER = os.path.join(SRC, "docker")
K8S = os.path.join(DOCKER, "k8s")


def read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def dockerfile_stages():
    """[(stage name, [instruction lines])], continuation lines joined."""
    text = re.sub(r"\\\n", " ", read(DOCKER, "Dockerfile"))
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            stages.append((m.group(1), []))
        elif stages:
            stages[-1][1].append(line)
    return stages


def k8s_docs():
    docs = {}
    for name in sorted(os.listdir(K8S)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            for d in yaml.safe_load_all(read(K8S, name)):
                docs[(d["kind"], d["metadata"]["name"])] = d
    return docs


def test_every_stage_installs_through_install_deps():
    stages = dockerfile_stages()
    assert [s[0] for s in stages] == ["build", "runtime"]
    groups = {}
    for name, lines in stages:
        runs = [ln for ln in lines if ln.startswith("RUN ")]
        installs = [r for r in runs if "install-deps.sh" in r]
        assert installs, "stage %s does not call install-deps.sh" % name
        assert not any("apt-get install" in r for r in runs), name
        groups[name] = re.search(r"install-deps\.sh\s+([a-z ]+?)(?:&&|$)",
                                 installs[0]).group(1).split()
    assert set(groups["build"]) >= {"build", "runtime"}
    assert groups["runtime"] == ["runtime"]
    script = read(SRC, "scripts", "install-deps.sh")
    for group in groups["build"] + groups["runtime"]:
        assert re.search(r"^\s*%s\)" % group, script, re.M), group


def test_runtime_stage_is_non_root_with_healthcheck():
    _, lines = dockerfile_stages()[-1]
    user = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    hc = [ln for ln in lines if ln.startswith("HEALTHCHECK ")]
    assert len(hc) == 1 and "/healthz" in hc[0]
    assert any(ln.startswith("COPY --from=build") for ln in lines)
    assert 'ENTRYPOINT ["presignd"]' in lines


def healthcheck_command():
    _, lines = dockerfile_stages()[-1]
    hc = next(ln for ln in lines if ln.startswith("HEALTHCHECK "))
    argv = json.loads(hc[hc.index(" CMD ") + 5:])
    assert argv[:2] == ["bash", "-c"]
    return argv[2]


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def run_probe(status):
    handler = type("H", (_Health,), {"status": status})
    srv = http.server.HTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        env = dict(os.environ,
                   PRESIGND_LISTEN="0.0.0.0:%d" % srv.server_address[1])
        return subprocess.run(["bash", "-c", healthcheck_command()], env=env,
                              timeout=10).returncode
    finally:
        srv.shutdown()
        srv.server_close()


def test_healthcheck_passes_on_200():
    assert run_probe(200) == 0


def test_healthcheck_fails_on_503():
    assert run_probe(503) != 0


def test_healthcheck_fails_when_nothing_listens():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = dict(os.environ, PRESIGND_LISTEN="0.0.0.0:%d" % port)
    rc = subprocess.run(["bash", "-c", healthcheck_command()], env=env,
                        stderr=subprocess.DEVNULL, timeout=10).returncode
    assert rc != 0


def test_compose_has_the_promised_services():
    c = yaml.safe_load(read(DOCKER, "compose.yaml"))
    s = c["services"]
    assert set(s) >= {"postgres", "s3", "migrate", "backfill", "presignd"}
    assert s["migrate"]["command"] == ["migrate"]
    assert s["backfill"]["command"][0] == "backfill"
    for one_shot in ("migrate", "backfill"):
        assert s[one_shot]["restart"] == "no"
    dep = s["presignd"]["depends_on"]["migrate"]["condition"]
    assert dep == "service_completed_successfully"
    # the one-shot backfill must not gate the gateway (legacy fallback)
    assert "backfill" not in s["presignd"].get("depends_on", {})
    # serve adds its own endpoint to the legacy forms and refuses it twice
    env = s["presignd"]["environment"]
    assert env["AWS_ENDPOINT_URL"] not in env.get(
        "PRESIGND_S3_ENDPOINTS", "").split(",")
    for svc in s.values():
        for p in svc.get("ports", []):
            assert p.startswith("127.0.0.1:"), p


def test_deployment_probes_resources_and_replicas():
    d = k8s_docs()[("Deployment", "presignd")]
    spec = d["spec"]
    assert spec["replicas"] >= 2
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (c,) = pod["containers"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(c["resources"][kind])
    assert spec["selector"]["matchLabels"].items() <= \
        spec["template"]["metadata"]["labels"].items()


def test_references_resolve_and_job_runs_backfill():
    docs = k8s_docs()
    job = docs[("Job", "presignd-backfill")]["spec"]["template"]["spec"]
    assert job["restartPolicy"] == "Never"
    assert job["initContainers"][0]["args"] == ["migrate"]
    assert job["containers"][0]["args"][0] == "backfill"
    pods = [docs[("Deployment", "presignd")]["spec"]["template"]["spec"], job]
    for pod in pods:
        for c in pod.get("initContainers", []) + pod["containers"]:
            for src in c["envFrom"]:
                kind, ref = next(iter(src.items()))
                want = "Secret" if kind == "secretRef" else "ConfigMap"
                assert (want, ref["name"]) in docs
    secret = docs[("Secret", "presignd-credentials")]
    assert {"DATABASE_URL", "AWS_SECRET_ACCESS_KEY"} <= set(
        secret["stringData"])
    config = docs[("ConfigMap", "presignd-config")]["data"]
    assert not {k for k in config if "SECRET" in k or k == "DATABASE_URL"}


def test_kustomization_lists_every_manifest():
    k = yaml.safe_load(read(K8S, "kustomization.yaml"))
    files = {n for n in os.listdir(K8S)
             if n.endswith(".yaml") and n != "kustomization.yaml"}
    assert set(k["resources"]) == files


def used_settings():
    names = set()
    c = yaml.safe_load(read(DOCKER, "compose.yaml"))
    for svc in c["services"].values():
        names |= set(svc.get("environment", {}))
    for (kind, _), d in k8s_docs().items():
        if kind in ("ConfigMap", "Secret"):
            names |= set(d.get("data", {})) | set(d.get("stringData", {}))
    for _, lines in dockerfile_stages():
        for ln in lines:
            if ln.startswith("ENV "):
                names |= {kv.split("=")[0] for kv in ln.split()[1:]}
    return {n for n in names if n.startswith(("PRESIGND_", "AWS_",
                                              "DATABASE_URL"))}


def test_every_setting_used_is_documented():
    readme = read(SRC, "README.md")
    undocumented = sorted(n for n in used_settings()
                          if "`%s`" % n not in readme)
    assert undocumented == []


def install_group(name):
    script = read(SRC, "scripts", "install-deps.sh")
    m = re.search(r"^%s=\(([^)]*)\)" % name, script, re.M)
    return set(m.group(1).split())


# In every Debian image, debian:12-slim included: the C library and the GCC
# runtime (both are dependencies of Debian's essential packages).
IN_EVERY_DEBIAN = {"libc6", "libgcc-s1"}


def test_runtime_group_provides_every_library_the_binary_needs():
    """The runtime image gets `install-deps.sh runtime` and nothing else."""
    binary = os.environ.get("PRESIGND_BIN")
    if not binary or not os.path.exists(binary):
        pytest.skip("PRESIGND_BIN not built")
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True,
                         text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    assert "libcrypto.so.3" in needed
    runtime = install_group("runtime")
    missing = {}
    for lib in needed:
        if "asan" in lib or "ubsan" in lib:  # sanitizer builds only
            continue
        owner = subprocess.run(["dpkg", "-S", "*/" + lib],
                               capture_output=True, text=True).stdout
        pkgs = {line.split(":")[0] for line in owner.splitlines()}
        if not pkgs & (runtime | IN_EVERY_DEBIAN):
            missing[lib] = sorted(pkgs)
    assert missing == {}
