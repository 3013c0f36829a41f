"""Benchmark of config-updater on Kubernetes' own job config.

A merge into kubernetes/test-infra that changes every job file of the corpus
(shared/corpus/kubernetes-test-infra/config/jobs: 602 files, 6 MB), with the
corpus's own plugins.yaml `config_updater` (`config/jobs/**/*.{yaml,yml}` into
the gzipped `job-config` ConfigMap). The plugin's handler runs with the real
GitHub client against the fake GitHub (the PR's files, each file's contents at
the merge commit) and the real `kubernetes` client against the fake API
server, over HTTP. Prints the wall time, the GitHub requests, and the size of
the ConfigMap written (Kubernetes' limit: 1 MiB); then the same merge again,
which must write nothing (budget: 0 writes).

    python benchmarks/bench_config_updater.py
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fakegithub import FakeGitHub  # noqa: E402
from fakekube import FakeKubeThread  # noqa: E402

from minprow.config import load_config  # noqa: E402
from minprow.github.auth import TokenFile  # noqa: E402
from minprow.github.client import GitHubClient  # noqa: E402
from minprow.hook.plugins.config_updater.kube import MAX_SIZE, KubeConfigMaps  # noqa: E402
from minprow.hook.plugins.config_updater.plugin import MergedPR, handle_merge  # noqa: E402
from minprow.store.kube import api_client_for  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "kubernetes-test-infra"
SHA = "b" * 40


async def main() -> int:
    plugins = load_config(None, None, CORPUS / "config" / "prow" / "plugins.yaml").plugins
    updater = plugins.config_updater
    files = sorted(
        p for p in (CORPUS / "config" / "jobs").rglob("*") if p.suffix in (".yaml", ".yml")
    )
    names = [str(p.relative_to(CORPUS)) for p in files]
    pr = MergedPR("kubernetes", "test-infra", 7, SHA, "alice")
    log = logging.getLogger("bench")
    with FakeKubeThread() as kube:
        factory = api_client_for(kube.url, token="t")
        target = KubeConfigMaps(lambda cluster: factory)
        async with FakeGitHub() as fake:
            fake.pulls[("kubernetes", "test-infra", 7)] = {"number": 7}
            fake.pull_files[("kubernetes", "test-infra", 7)] = [
                {"filename": n, "status": "modified"} for n in names
            ]
            for path, name in zip(files, names, strict=True):
                fake.repos.set_file("kubernetes", "test-infra", name, path.read_bytes(), ref=SHA)
            with tempfile.TemporaryDirectory() as tmp:
                token = Path(tmp) / "token"
                token.write_text("t\n")
                async with GitHubClient(TokenFile(token), endpoint=fake.url) as client:
                    before = len(fake.requests)
                    start = time.perf_counter()
                    await handle_merge(client, target, updater, "default", pr, log)
                    first = time.perf_counter() - start
                    requests = len(fake.requests) - before
                    stored = kube.call(lambda: dict(kube.fake.configmaps))
                    versions = {k: v["metadata"]["resourceVersion"] for k, v in stored.items()}
                    start = time.perf_counter()
                    await handle_merge(client, target, updater, "default", pr, log)
                    second = time.perf_counter() - start
                    after = kube.call(lambda: dict(kube.fake.configmaps))
                    rewritten = sum(
                        1
                        for k, v in after.items()
                        if v["metadata"]["resourceVersion"] != versions[k]
                    )
                    comments = len(fake.comments.get(("kubernetes", "test-infra", 7), []))
    print(f"merge changing {len(names)} job files ({sum(p.stat().st_size for p in files):,} bytes)")
    print(f"first: {first:.2f} s, {requests} GitHub requests, {comments} comment(s)")
    for (namespace, name), cm in sorted(stored.items()):
        size = sum(len(v.encode()) for v in (cm.get("data") or {}).values()) + sum(
            len(base64.b64decode(v)) for v in (cm.get("binaryData") or {}).values()
        )
        keys = len(cm.get("data") or {}) + len(cm.get("binaryData") or {})
        print(f"  ConfigMap {namespace}/{name}: {keys} keys, {size:,} bytes (limit {MAX_SIZE:,})")
    print(f"again: {second:.2f} s, {rewritten} ConfigMaps rewritten (budget 0)")
    return 0 if rewritten == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
