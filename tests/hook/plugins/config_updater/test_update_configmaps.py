"""config-updater against ConfigMaps: Prow's TestUpdateConfigV2, over real HTTP.

Each case of fixtures/hook/config_updater/update_config.yaml sends its
pull_request event through `handle_merge` (the plugin's handler), with the real
`GitHubClient` against the fake GitHub (the PR's files, the contents at the
merge commit, the comment) and `KubeConfigMaps` against the fake API server
(existing ConfigMaps created first, as kubectl would). The ConfigMaps written
must be exactly the expected ones, with the expected data and binaryData
(gzipped values compared decompressed: Python's gzip bytes are not Go's), the
others untouched; the comment names each ConfigMap written and no other, and
there is no comment when nothing was. Prow's bootstrap-mode cases
(TestMarkStaleKeysForDeletion) are config-bootstrapper's, which minprow does
not have. Then what the issue adds: the same merge twice, a ConfigMap over the
size limit, a cluster with no client.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakegithub import FakeGitHub
from fakekube import FakeKubeThread
from kubernetes.client import ApiClient, CoreV1Api

from minprow.config.configupdater import ConfigUpdater
from minprow.github.auth import TokenFile
from minprow.github.client import GitHubClient
from minprow.hook.plugins.config_updater.kube import KubeConfigMaps
from minprow.hook.plugins.config_updater.plugin import handle_merge, merged
from minprow.store.kube import api_client_for

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "hook" / "config_updater"
WEBHOOKS = Path(__file__).resolve().parents[4] / "fixtures" / "github" / "webhooks"
TABLE = yaml.safe_load((FIXTURES / "update_config.yaml").read_text())
FILES = yaml.safe_load((FIXTURES / "files.yaml").read_text())
ORG = REPO = "kubernetes"
NUMBER = 1
LABELS = {"app.kubernetes.io/name": "prow", "app.kubernetes.io/component": "updateconfig-plugin"}


def _bytes(value: Any) -> bytes:
    if isinstance(value, dict):
        return gzip.compress(value["gzip"].encode("latin-1"), mtime=0)
    return str(value).encode("latin-1")


def _event(case: dict[str, Any]) -> Any:
    """The real pull_request payload, made the case's PR into kubernetes/kubernetes."""
    from minprow.github.events import PullRequestEvent

    event: dict[str, Any] = json.loads((WEBHOOKS / "pull_request.closed.json").read_text())
    repository = {**event["repository"], "name": REPO, "full_name": f"{ORG}/{REPO}"}
    repository["owner"] = {**repository["owner"], "login": ORG}
    pull = event["pull_request"]
    pull.update(number=NUMBER, merged=case.get("merged", False))
    pull["merge_commit_sha"] = case.get("merge_sha")
    pull["user"] = {**pull["user"], "login": "foo"}
    pull["base"] = {**pull["base"], "repo": repository}
    event.update(action=case.get("action", "closed"), number=NUMBER, repository=repository)
    return PullRequestEvent.model_validate(event)


@pytest.fixture
def kube() -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as server:
        yield server


@pytest.fixture
async def github(tmp_path: Path) -> AsyncIterator[tuple[FakeGitHub, GitHubClient]]:
    token = tmp_path / "token"
    token.write_text("t\n")
    async with FakeGitHub() as fake:
        fake.repos.add_repo(ORG, REPO)
        for path, refs in FILES.items():
            for ref, content in refs.items():
                fake.repos.set_file(ORG, REPO, path, _bytes(content), ref=ref)
        async with GitHubClient(TokenFile(token), endpoint=fake.url) as client:
            yield fake, client


def _core(server: FakeKubeThread) -> CoreV1Api:
    client: ApiClient = api_client_for(server.url, token="t")()
    return CoreV1Api(client)


def _create(server: FakeKubeThread, existing: dict[str, Any]) -> None:
    body = {
        "metadata": {
            "name": existing["name"],
            "namespace": existing.get("namespace", "default"),
            **({} if existing.get("unlabelled") else {"labels": LABELS}),
        },
        "data": existing.get("data") or {},
        "binaryData": {
            k: base64.b64encode(_bytes(v)).decode()
            for k, v in (existing.get("binary_data") or {}).items()
        },
    }
    _core(server).create_namespaced_config_map(body["metadata"]["namespace"], body)


def _stored(server: FakeKubeThread) -> dict[tuple[str, str], dict[str, Any]]:
    return server.call(
        lambda: json.loads(
            json.dumps({f"{k[0]}/{k[1]}": v for k, v in server.fake.configmaps.items()})
        )
    )


def _values(configmap: dict[str, Any]) -> tuple[dict[str, str], dict[str, bytes]]:
    binary = {}
    for key, value in (configmap.get("binaryData") or {}).items():
        raw = base64.b64decode(value)
        binary[key] = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    return dict(configmap.get("data") or {}), binary


def _expected_values(expected: dict[str, Any]) -> tuple[dict[str, str], dict[str, bytes]]:
    binary = {
        k: (v["gzip"].encode("latin-1") if isinstance(v, dict) else str(v).encode("latin-1"))
        for k, v in (expected.get("binary_data") or {}).items()
    }
    return dict(expected.get("data") or {}), binary


async def _handle(
    client: GitHubClient, target: KubeConfigMaps, updater: ConfigUpdater, case: dict[str, Any]
) -> bool:
    import logging

    pr = merged(_event(case))
    if pr is None:
        return False
    await handle_merge(client, target, updater, "default", pr, logging.getLogger("test"))
    return True


def _target(server: FakeKubeThread, *, clusters: tuple[str, ...] = ("default",)) -> KubeConfigMaps:
    factory = api_client_for(server.url, token="t")
    return KubeConfigMaps(lambda cluster: factory if cluster in clusters else None)


CASES = TABLE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
async def test_update_config(
    kube: FakeKubeThread, github: tuple[FakeGitHub, GitHubClient], case: dict[str, Any]
) -> None:
    fake, client = github
    fake.pulls[(ORG, REPO, NUMBER)] = {"number": NUMBER}
    fake.pull_files[(ORG, REPO, NUMBER)] = [
        {
            "filename": c["filename"],
            "status": c.get("status", ""),
            "previous_filename": c.get("previous_filename", ""),
        }
        for c in case["changes"]
    ]
    for existing in case.get("existing") or ():
        _create(kube, existing)
    before = _stored(kube)
    updater = ConfigUpdater.model_validate(case.get("config") or TABLE["default_config"])
    await _handle(client, _target(kube), updater, case)
    after = _stored(kube)
    expected = {
        f"{e.get('namespace', 'default')}/{e['name']}": e for e in case.get("expected") or ()
    }
    written = {
        key
        for key, cm in after.items()
        if key not in before
        or cm["metadata"]["resourceVersion"] != before[key]["metadata"]["resourceVersion"]
    }
    assert written == set(expected)
    for key, want in expected.items():
        assert _values(after[key]) == _expected_values(want)
        assert after[key]["metadata"]["labels"] == LABELS
    comments = [c["body"] for c in fake.comments.get((ORG, REPO, NUMBER), [])]
    if not expected:
        assert comments == []
        return
    (comment,) = comments
    names = {cm["metadata"]["name"] for cm in after.values()}
    for name in names:
        mentioned = f"`{name}`" in comment
        assert mentioned is (name in {e["name"] for e in expected.values()}), name


MERGE = {"merged": True, "merge_sha": "12345"}


def _files(fake: FakeGitHub, *names: str) -> None:
    fake.pulls[(ORG, REPO, NUMBER)] = {"number": NUMBER}
    fake.pull_files[(ORG, REPO, NUMBER)] = [{"filename": n, "status": "modified"} for n in names]


def _comments(fake: FakeGitHub) -> list[str]:
    return [c["body"] for c in fake.comments.get((ORG, REPO, NUMBER), [])]


async def test_the_same_merge_twice_updates_once(
    kube: FakeKubeThread, github: tuple[FakeGitHub, GitHubClient]
) -> None:
    fake, client = github
    _files(fake, "prow/config.yaml", "prow/plugins.yaml")
    updater = ConfigUpdater.model_validate(TABLE["default_config"])
    await _handle(client, _target(kube), updater, MERGE)
    first = _stored(kube)
    await _handle(client, _target(kube), updater, MERGE)
    assert _stored(kube) == first  # no write: the resourceVersions are the same
    assert len(_comments(fake)) == 1


async def test_a_configmap_over_the_limit_is_said_and_the_others_updated(
    kube: FakeKubeThread, github: tuple[FakeGitHub, GitHubClient]
) -> None:
    fake, client = github
    big = bytes(range(256)) * 4200  # 1.03 MiB, not UTF-8: binaryData
    fake.repos.set_file(ORG, REPO, "prow/huge.bin", big, ref="12345")
    _files(fake, "prow/huge.bin", "prow/config.yaml")
    updater = ConfigUpdater.model_validate(
        {"maps": {"prow/huge.bin": {"name": "huge"}, "prow/config.yaml": {"name": "config"}}}
    )
    await _handle(client, _target(kube), updater, MERGE)
    stored = _stored(kube)
    assert "default/huge" not in stored
    assert stored["default/config"]["data"]["config.yaml"] == "new-config"
    (comment,) = _comments(fake)
    assert "`config`" in comment
    assert "huge.bin" in comment
    assert "1,048,576" in comment


async def test_a_cluster_without_a_client_fails_that_configmap_only(
    kube: FakeKubeThread, github: tuple[FakeGitHub, GitHubClient]
) -> None:
    fake, client = github
    _files(fake, "prow/config.yaml", "prow/plugins.yaml")
    updater = ConfigUpdater.model_validate(
        {
            "maps": {
                "prow/config.yaml": {"name": "config", "clusters": {"build-gone": ["test-pods"]}},
                "prow/plugins.yaml": {"name": "plugins"},
            }
        }
    )
    await _handle(client, _target(kube), updater, MERGE)
    stored = _stored(kube)
    assert set(stored) == {"default/plugins"}
    (comment,) = _comments(fake)
    assert "`plugins`" in comment
    assert "build-gone" in comment


def test_a_long_list_of_keys_is_cut_short_in_the_comment() -> None:
    from minprow.hook.plugins.config_updater import KeyUpdate
    from minprow.hook.plugins.config_updater.plugin import MAX_LISTED, MergedPR, comment
    from minprow.hook.plugins.config_updater.targets import Applied

    updates = [KeyUpdate(f"job-{i}.yaml", f"config/jobs/job-{i}.yaml", True) for i in range(60)]
    pr = MergedPR(ORG, REPO, NUMBER, "a" * 40, "alice")
    text = comment(pr, [(Applied("ConfigMap `job-config`", True), updates)], [])
    assert "job-0.yaml" in text
    assert f"job-{MAX_LISTED}.yaml" not in text
    assert f"and {60 - MAX_LISTED} more" in text


async def test_a_file_github_will_not_give_fails_its_configmap_only(
    kube: FakeKubeThread, github: tuple[FakeGitHub, GitHubClient]
) -> None:
    fake, client = github
    fake.repos.set_file(ORG, REPO, "dir/subdir/broken.yaml/inner.txt", b"x", ref="12345")
    _files(fake, "dir/subdir/broken.yaml", "prow/config.yaml")  # the first is a directory there
    updater = ConfigUpdater.model_validate(TABLE["default_config"])
    await _handle(client, _target(kube), updater, MERGE)
    assert set(_stored(kube)) == {"default/config"}
    (comment,) = _comments(fake)
    assert "glob-config" in comment
    assert "directory" in comment
