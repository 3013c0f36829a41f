"""Kubeconfig loading (Prow's LoadClusterConfigs) and re-reading on change."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minprow.kube.kubeconfig import (
    ClusterConfigs,
    KubeconfigError,
    ServiceAccount,
    context_names,
    load_cluster_configs,
)
from minprow.kube.kubeconfig_agent import ClusterConfigAgent, ClusterDiff

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "kube"
SA_DIR = FIXTURES / "serviceaccount"
POD_ENV = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
IN_POD = ServiceAccount(SA_DIR / "token", SA_DIR / "ca.crt", POD_ENV)
NOT_IN_POD = ServiceAccount(SA_DIR / "absent-token", SA_DIR / "ca.crt", {})
JWT_EXP = datetime(2027, 1, 1, tzinfo=UTC)


def load(
    *names: str, sa: ServiceAccount = NOT_IN_POD, in_cluster: bool | None = None
) -> ClusterConfigs:
    return load_cluster_configs(
        [FIXTURES / n for n in names], in_cluster=in_cluster, service_account=sa
    )


@pytest.mark.parametrize(
    ("files", "sa", "in_cluster", "contexts", "in_cluster_server", "default_server"),
    [
        (
            ("a.yaml",),
            NOT_IN_POD,
            None,
            {"app", "build01", "in-cluster", "default"},
            "https://app.example:6443",
            "https://app.example:6443",
        ),
        (
            ("a.yaml", "b.yaml"),
            NOT_IN_POD,
            None,
            {"app", "build01", "build02", "default", "in-cluster"},
            "https://build02.example:6443",
            "https://trusted.example:6443",
        ),
        (
            ("a.yaml",),
            IN_POD,
            None,
            {"app", "build01", "in-cluster", "default"},
            "https://10.0.0.1:443",
            "https://10.0.0.1:443",
        ),
        (("a.yaml", "b.yaml"), IN_POD, False, {"app", "build01", "build02", "default"}, None, None),
    ],
    ids=[
        "one-file-current-context-is-in-cluster-and-default",
        "merged-last-current-context-and-own-default",
        "in-pod-service-account-is-in-cluster-and-default",
        "no-in-cluster-config-adds-no-aliases",
    ],
)
def test_merge_and_aliases(
    files: tuple[str, ...],
    sa: ServiceAccount,
    in_cluster: bool | None,
    contexts: set[str],
    in_cluster_server: str | None,
    default_server: str | None,
) -> None:
    configs = load(*files, sa=sa, in_cluster=in_cluster)
    assert set(configs) == contexts
    if in_cluster_server is not None:
        assert configs["in-cluster"].server == in_cluster_server
        assert configs.for_job(None).server == default_server
        assert configs.for_job("").context == "default"
    assert configs["build01"].server == "https://build01.example:6443"
    assert configs["build01"].source == str(FIXTURES / "a.yaml")


@pytest.mark.parametrize(
    ("files", "sa", "in_cluster", "message"),
    [
        (("a.yaml", "collide.yaml"), NOT_IN_POD, None, "'build01' is defined in both"),
        (("broken.yaml",), NOT_IN_POD, None, "broken.yaml: context 'lost' names no known cluster"),
        (("missing.yaml",), NOT_IN_POD, None, "missing.yaml"),
        (("dir/notes.txt",), NOT_IN_POD, None, "notes.txt"),
        (("incluster.yaml",), NOT_IN_POD, False, "incluster.yaml: context 'local'"),
        (("collide.yaml",), NOT_IN_POD, None, "no current-context"),
        (("a.yaml",), NOT_IN_POD, True, "service account"),
    ],
    ids=[
        "collision-names-both-files",
        "unknown-cluster",
        "missing-file",
        "not-yaml",
        "in-cluster-context-outside-a-pod",
        "no-pod-and-no-current-context",
        "in-cluster-required-but-absent",
    ],
)
def test_bad_input_says_which_file_and_what(
    files: tuple[str, ...], sa: ServiceAccount, in_cluster: bool | None, message: str
) -> None:
    with pytest.raises(KubeconfigError, match=message) as err:
        load(*files, sa=sa, in_cluster=in_cluster)
    if "both" in message:
        assert str(FIXTURES / "a.yaml") in str(err.value)
        assert str(FIXTURES / "collide.yaml") in str(err.value)


def test_in_cluster_server_with_no_user_is_the_service_account() -> None:
    configs = load("incluster.yaml", sa=IN_POD, in_cluster=False)
    local = configs["local"]
    assert local.server == "https://10.0.0.1:443"
    assert local.configuration.ssl_ca_cert == str(SA_DIR / "ca.crt")
    assert local.configuration.api_key["BearerToken"].lower().startswith("bearer ")
    assert local.expires_at == JWT_EXP


def _dir_with_mount_entries(tmp_path: Path) -> Path:
    kdir = tmp_path / "kubeconfigs"
    shutil.copytree(FIXTURES / "dir", kdir)
    shutil.copy(FIXTURES / "collide.yaml", kdir / "..data")
    (kdir / "sub.kubeconfig").mkdir()
    return kdir


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        (".kubeconfig", {"build03", "build04", "in-cluster", "default"}),
        ("build04.kubeconfig", {"build04"}),
    ],
    ids=["suffix-skips-other-files-dirs-and-dotdot", "narrow-suffix"],
)
def test_kubeconfig_dir(tmp_path: Path, suffix: str, expected: set[str]) -> None:
    kdir = _dir_with_mount_entries(tmp_path)
    in_cluster = None if "in-cluster" in expected else False
    configs = load_cluster_configs(
        [], kdir, suffix, in_cluster=in_cluster, service_account=NOT_IN_POD
    )
    assert set(configs) == expected


def test_dir_without_suffix_reads_every_file_and_fails_on_a_bad_one(tmp_path: Path) -> None:
    kdir = _dir_with_mount_entries(tmp_path)
    with pytest.raises(KubeconfigError, match=r"notes\.txt"):
        load_cluster_configs([], kdir, "", service_account=NOT_IN_POD)


def _touch(path: Path, text: str) -> None:
    before = path.stat().st_mtime if path.exists() else 0.0
    path.write_text(text)
    os.utime(path, (before + 5, before + 5))


def test_agent_reloads_on_change_and_keeps_the_last_good_set(tmp_path: Path) -> None:
    kdir = tmp_path / "kubeconfigs"
    kdir.mkdir()
    shutil.copy(FIXTURES / "dir" / "build03.kubeconfig", kdir / "build03.kubeconfig")
    agent = ClusterConfigAgent([], kdir, ".kubeconfig", service_account=NOT_IN_POD)
    seen: list[ClusterDiff] = []
    agent.subscribe(seen.append)
    assert set(agent.get()) == {"build03", "in-cluster", "default"}
    assert agent.check() is None

    build03 = kdir / "build03.kubeconfig"
    _touch(build03, build03.read_text().replace('"t3"', '"rotated"'))
    assert agent.check() == ClusterDiff(
        frozenset(), frozenset({"build03", "in-cluster", "default"}), frozenset()
    )
    assert agent.get()["build03"].configuration.api_key["BearerToken"] == "Bearer rotated"

    shutil.copy(FIXTURES / "dir" / "build04.kubeconfig", kdir / "build04.kubeconfig")
    assert agent.check() == ClusterDiff(frozenset({"build04"}), frozenset(), frozenset())

    good = agent.get()
    _touch(build03, "clusters: [oops\n")
    assert agent.check() is None
    assert agent.get() is good
    assert agent.last_error is not None
    assert "build03.kubeconfig" in agent.last_error

    (kdir / "build04.kubeconfig").unlink()
    _touch(build03, (FIXTURES / "dir" / "build03.kubeconfig").read_text())
    diff = agent.check()
    assert diff is not None
    assert diff.removed == {"build04"}
    assert agent.last_error is None
    assert [d.added for d in seen] == [frozenset(), {"build04"}, frozenset()]


# (files, service account, the names, or the error's fragment)
NAME_CASES = [
    (("a.yaml",), NOT_IN_POD, {"app", "build01", "in-cluster", "default"}),
    (("a.yaml", "b.yaml"), NOT_IN_POD, {"app", "build01", "build02", "default", "in-cluster"}),
    (("a.yaml",), IN_POD, {"app", "build01", "in-cluster", "default"}),
    (("incluster.yaml",), IN_POD, {"local", "in-cluster", "default"}),
    (("a.yaml", "collide.yaml"), NOT_IN_POD, "'build01' is defined in both"),
    (("broken.yaml",), NOT_IN_POD, "broken.yaml: context 'lost' names no known cluster"),
    (("dir/notes.txt",), NOT_IN_POD, "notes.txt"),
    (("collide.yaml",), NOT_IN_POD, "no current-context"),
]


@pytest.mark.parametrize(
    ("files", "sa", "expected"),
    NAME_CASES,
    ids=[
        "one-file",
        "merged-with-own-default",
        "in-pod",
        "in-cluster-server-in-a-pod",
        "collision",
        "unknown-cluster",
        "not-yaml",
        "no-pod-and-no-current-context",
    ],
)
def test_context_names_are_the_names_loading_gives(
    files: tuple[str, ...], sa: ServiceAccount, expected: set[str] | str
) -> None:
    paths = [FIXTURES / n for n in files]
    if isinstance(expected, str):
        with pytest.raises(KubeconfigError, match=expected):
            context_names(paths, service_account=sa)
        with pytest.raises(KubeconfigError, match=expected):
            load_cluster_configs(paths, service_account=sa)
        return
    assert context_names(paths, service_account=sa) == expected
    assert set(load_cluster_configs(paths, service_account=sa)) == expected


def test_context_names_read_no_credentials() -> None:
    # Certificates that are not there and an exec plugin that is not installed:
    # loading them fails, naming them does not.
    kubeconfigs = FIXTURES.parents[0] / "config" / "clusters" / "kubeconfigs"
    paths = [kubeconfigs / "build.kubeconfig", kubeconfigs / "gpu.kubeconfig"]
    assert context_names(paths, service_account=NOT_IN_POD) == {
        "build",
        "gpu",
        "in-cluster",
        "default",
    }
    with pytest.raises(KubeconfigError, match=r"build\.kubeconfig: context 'build'"):
        load_cluster_configs(paths, service_account=NOT_IN_POD)


def test_context_names_of_a_kubeconfig_dir(tmp_path: Path) -> None:
    kdir = _dir_with_mount_entries(tmp_path)
    names = context_names([], kdir, ".kubeconfig", service_account=NOT_IN_POD)
    assert names == {"build03", "build04", "in-cluster", "default"}
