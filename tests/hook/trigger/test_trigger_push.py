"""trigger's push handler over the real `push` payloads: postsubmits for a branch
or a tag, nothing for a deletion, Prow's refs and labels."""

from __future__ import annotations

from typing import Any

import pytest
from trigger_helpers import (
    GUID,
    NOW,
    FakeGitHub,
    context,
    job_names,
    load_trigger_config,
    parsed,
    payload,
)

from minprow.hook.plugins.trigger import handle_push, push_event
from minprow.model import Refs
from minprow.pjutil import new_postsubmit
from minprow.store import JobStore


def _push(name: str, **changes: Any) -> Any:
    data = payload(name)
    data.update(changes)
    return parsed("push", data)


@pytest.mark.parametrize(
    ("name", "changes", "jobs"),
    [
        ("push.event.json", {}, ["post-all", "post-tag"]),
        ("push.event.4.json", {}, ["post-all"]),
        ("push.event.4.json", {"ref": "refs/heads/main"}, ["post-all", "post-main-only"]),
        (
            "push.event.4.json",
            {"commits": [{"id": "1", "added": ["cmd/main.go"], "modified": [], "removed": []}]},
            ["post-all", "post-go"],
        ),
        (
            "push.event.4.json",
            {"commits": [{"id": "1", "added": [], "modified": [], "removed": ["old.go"]}]},
            ["post-all", "post-go"],
        ),
        ("push.event.1.json", {}, []),
        ("push.event.4.json", {"deleted": True}, []),
        ("push.event.4.json", {"after": "0" * 40}, []),
    ],
    ids=[
        "tag-matched-as-branch",
        "master",
        "main-anchored-branch",
        "added-go-file",
        "removed-go-file",
        "tag-deleted",
        "deleted-flag",
        "after-all-zeros",
    ],
)
async def test_push(store: JobStore, name: str, changes: dict[str, Any], jobs: list[str]) -> None:
    await handle_push(context(FakeGitHub(), store), push_event(_push(name, **changes)))
    assert job_names(store) == jobs


async def test_push_job_is_pjutils(store: JobStore) -> None:
    event = _push("push.event.json")
    config = load_trigger_config()
    await handle_push(context(FakeGitHub(), store, config), push_event(event))
    created = next(j for j in store.list() if j.spec.job == "post-tag")
    refs = Refs(
        org="Codertocat",
        repo="Hello-World",
        repo_link="https://github.com/Codertocat/Hello-World",
        base_ref="simple-tag",
        base_sha=event.after,
        base_link=event.compare,
    )
    job = next(
        p for p in config.postsubmits_for("Codertocat", "Hello-World") if p.name == "post-tag"
    )
    expected = new_postsubmit(refs, job, now=NOW, event_guid=GUID, prowjob_namespace="prowjobs")
    for key in ("name", "uid", "resource_version", "creation_timestamp"):
        setattr(expected.metadata, key, getattr(created.metadata, key))
    assert created.model_dump() == expected.model_dump()
    assert created.metadata.labels["kind"] == "release"
    assert created.metadata.labels["event-GUID"] == GUID
    assert created.metadata.annotations["note"] == "tagged"
    assert created.spec.type == "postsubmit"
