"""trigger with no GitHub client: the payload's word and a real local clone
(minprow.hook.plugins.trigger.offline), run through the plugin as hook runs it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import git
import pytest
from fakes import VirtualClock
from trigger_helpers import GUID, ORG, REPO, job_names, load_trigger_config, parsed, payload

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.trigger import trigger_plugin
from minprow.store import JobStore


def _ctx(store: JobStore, event_type: str) -> PluginContext:
    config = load_trigger_config()
    return PluginContext(
        config=lambda: config,
        store=store,
        github=None,
        clock=VirtualClock(),
        log=logging.LoggerAdapter(logging.getLogger("test.trigger.offline"), {}),
        delivery_id=GUID,
        event_type=event_type,
        org=ORG,
        repo=REPO,
    )


def _clone(tmp_path: Path, changed: list[str]) -> tuple[Path, str, str]:
    """A clone whose `feature` branch changes `changed` off master, while master
    moves on (other.txt) after the fork: (path, master's tip, feature's tip)."""
    repo = git.Repo.init(tmp_path / "clone", initial_branch="master")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
    root = tmp_path / "clone"

    def commit(files: list[str], message: str) -> str:
        for name in files:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(f"{message}\n")
        repo.index.add(files)
        return repo.index.commit(message).hexsha

    commit(["README.md"], "base")
    repo.git.checkout("-b", "feature")
    head = commit(changed, "feature")
    repo.git.checkout("master")
    base = commit(["other.txt"], "master moves on")
    return root, base, head


def _opened(association: str, base: str, head: str) -> dict[str, Any]:
    data = payload("pull_request.opened.json")
    data["pull_request"]["author_association"] = association
    data["pull_request"]["base"]["sha"] = base
    data["pull_request"]["head"]["sha"] = head
    data["pull_request"]["body"] = ""
    return data


@pytest.mark.parametrize(
    ("association", "changed", "mapped", "jobs", "said"),
    [
        ("OWNER", ["main.go"], True, ["go-lint", "not-docs", "optional-check", "unit"], ""),
        ("MEMBER", ["docs/a.md"], True, ["optional-check", "unit"], ""),
        ("COLLABORATOR", ["README.md"], True, ["not-docs", "optional-check", "unit"], ""),
        (
            "OWNER",
            ["main.go"],
            False,
            ["optional-check", "unit"],
            "changed files of Codertocat/Hello-World#2 unknown: no --local-repo",
        ),
        (
            "NONE",
            ["main.go"],
            True,
            [],
            "Codertocat is not trusted in Codertocat/Hello-World: the payload's "
            "author_association is NONE",
        ),
        ("", ["main.go"], True, [], "author_association is not given"),
    ],
    ids=[
        "owner-go-change",
        "member-docs-only",
        "collaborator",
        "no-local-clone",
        "untrusted-none",
        "no-association",
    ],
)
async def test_pull_request_from_the_payload_alone(
    tmp_path: Path,
    store: JobStore,
    caplog: pytest.LogCaptureFixture,
    association: str,
    changed: list[str],
    mapped: bool,
    jobs: list[str],
    said: str,
) -> None:
    clone, base, head = _clone(tmp_path, changed)
    plugin = trigger_plugin({f"{ORG}/{REPO}": clone} if mapped else {})
    caplog.set_level(logging.INFO)
    event = parsed("pull_request", _opened(association, base, head))
    await plugin.for_event("pull_request")(_ctx(store, "pull_request"), event)
    assert job_names(store) == jobs
    # Tested against the payload's base sha: nobody was asked where master points.
    assert {j.spec.refs.base_sha for j in store.list() if j.spec.refs} <= {base}
    assert said in caplog.text
    if not jobs:
        assert "would have added the labels needs-ok-to-test on Codertocat/Hello-World#2" in (
            caplog.text
        )
        assert "would have commented 'Hi @Codertocat, thanks for the pull request.'" in (
            caplog.text
        )


async def test_a_clone_without_the_payloads_commits_knows_no_changed_files(
    tmp_path: Path, store: JobStore, caplog: pytest.LogCaptureFixture
) -> None:
    clone, base, _ = _clone(tmp_path, ["main.go"])
    plugin = trigger_plugin({f"{ORG}/{REPO}": clone})
    caplog.set_level(logging.INFO)
    event = parsed("pull_request", _opened("MEMBER", base, "f" * 40))
    await plugin.for_event("pull_request")(_ctx(store, "pull_request"), event)
    assert job_names(store) == ["optional-check", "unit"]
    assert f"the clone {clone} does not have {'f' * 40}" in caplog.text


@pytest.mark.parametrize(
    ("association", "body", "said"),
    [
        ("OWNER", "/test all", "commands in comments on Codertocat/Hello-World#1 are not acted on"),
        ("OWNER", "/retest", "commands in comments on Codertocat/Hello-World#1 are not acted on"),
        ("NONE", "/test all", "would have commented '@Codertocat: Tests cannot start"),
    ],
    ids=["test-all", "retest", "untrusted"],
)
async def test_a_comment_command_is_explained_not_failed(
    store: JobStore, caplog: pytest.LogCaptureFixture, association: str, body: str, said: str
) -> None:
    """A comment does not carry the pull request's head: said in a sentence, no traceback."""
    data = payload("issue_comment.created.json")
    data["comment"]["body"] = body
    data["comment"]["author_association"] = association
    data["issue"]["author_association"] = association
    data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/1"}
    caplog.set_level(logging.INFO)
    await trigger_plugin().for_event("issue_comment")(
        _ctx(store, "issue_comment"), parsed("issue_comment", data)
    )
    assert job_names(store) == []
    assert said in caplog.text
    assert "Traceback" not in caplog.text


async def test_a_push_needs_nothing_from_github(store: JobStore) -> None:
    await trigger_plugin().for_event("push")(
        _ctx(store, "push"), parsed("push", payload("push.event.json"))
    )
    assert job_names(store) == ["post-all", "post-tag"]


def test_the_plugin_says_what_it_assumes(tmp_path: Path) -> None:
    assert "no changed files known" in (trigger_plugin().offline or "")
    mapped = trigger_plugin({"acme/widgets": tmp_path}).offline or ""
    assert f"changed files from the local clones of --local-repo (acme/widgets={tmp_path})" in (
        mapped
    )
    assert "author_association of payloads (OWNER, MEMBER, COLLABORATOR)" in mapped
