"""What the HTTP API shows of a ProwJob: its wire object, secrets redacted.

Corresponds to Deck's pkg/deck/main.go (`handleProwJobs`: `omit=` and the
`var=` wrapping of `writeJSONResponse`) and pkg/deck/jobs (`JobAgent.ProwJobs`:
newest first by start time; hidden jobs and `deck.hidden_repos` left out, as
Deck's filtering lister does by default). On top of Deck, env values in
the pod spec whose names look secret-like are replaced, and command and args
go through `logs.redact`: the API never shows a credential (DESIGN.md), while
the store keeps the job unchanged.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from minprow.aio import Clock
from minprow.config import Config
from minprow.executors.clusters import ClusterMap
from minprow.logs import redact
from minprow.model import ProwJob
from minprow.store import JobStore

REVISION_HEADER = "X-Minprow-Revision"
"""The store revision a list (or a watch) starts from."""
REDACTED = "<redacted>"
SECRET_NAME = re.compile(r"(?i)token|secret|password|key|credential")
"""An env var whose name matches this holds a secret; its value is never shown."""
OMITTABLE = ("annotations", "labels", "decoration_config", "pod_spec")
"""Deck's `omit=` values."""
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache"}


@dataclass
class ApiContext:
    """What the API handlers share."""

    store: JobStore
    clusters: ClusterMap | None
    config: Callable[[], Config]
    artifacts_dir: Path
    token: Callable[[], str | None]
    clock: Clock
    heartbeat: float
    credentials: Callable[[], Mapping[str, Mapping[str, Any]]] | None = None
    """Each build cluster's token renewal (kube/rotation.py), when serve renews them."""
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the application shuts down: open streams end."""


def shown(job: ProwJob, omit: Iterable[str] = ()) -> dict[str, Any]:
    """The job's wire object as the API shows it: secrets redacted, `omit` fields dropped."""
    wire = job.to_wire()
    metadata = dict(wire.get("metadata") or {})
    spec = dict(wire.get("spec") or {})
    omitted = set(omit)
    for key in ("annotations", "labels"):
        if key in omitted:
            metadata.pop(key, None)
    if "decoration_config" in omitted:
        spec.pop("decoration_config", None)
    pod_spec = spec.get("pod_spec")
    if isinstance(pod_spec, dict):
        if "pod_spec" in omitted:
            # Deck keeps one empty container per container, so a UI can count them.
            spec["pod_spec"] = {
                "containers": [{"name": "", "resources": {}} for _ in _list(pod_spec, "containers")]
            }
        else:
            spec["pod_spec"] = redact_pod_spec(pod_spec)
    return {**wire, "metadata": metadata, "spec": spec}


def redact_pod_spec(pod_spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of a wire PodSpec with secret-like env values and credentials in args masked."""
    redacted = dict(pod_spec)
    for key in _CONTAINER_LISTS:
        containers = pod_spec.get(key)
        if isinstance(containers, list):
            redacted[key] = [_redact_container(c) for c in containers]
    return redacted


def _redact_container(container: Any) -> Any:
    if not isinstance(container, dict):
        return container
    out = dict(container)
    env = container.get("env")
    if isinstance(env, list):
        out["env"] = [_redact_env(entry) for entry in env]
    for key in ("command", "args"):
        words = container.get(key)
        if isinstance(words, list):
            out[key] = [redact(w) if isinstance(w, str) else w for w in words]
    return out


def _redact_env(entry: Any) -> Any:
    if (
        isinstance(entry, dict)
        and "value" in entry
        and SECRET_NAME.search(str(entry.get("name", "")))
    ):
        return {**entry, "value": REDACTED}
    return entry


def _list(mapping: dict[str, Any], key: str) -> list[Any]:
    value = mapping.get(key)
    return value if isinstance(value, list) else []


def parse_omit(text: str) -> list[str]:
    """Deck's `omit=annotations,labels,...`: the known names (unknown ones are ignored)."""
    names = {part.strip() for part in text.split(",")}
    return [name for name in OMITTABLE if name in names]


def newest_first(jobs: Iterable[ProwJob]) -> list[ProwJob]:
    """Deck's order: latest start time first (then creation time, then name)."""
    return sorted(
        jobs,
        key=lambda j: (
            j.status.start_time or _EARLIEST,
            j.metadata.creation_timestamp or _EARLIEST,
            j.metadata.name,
        ),
        reverse=True,
    )


def visible(jobs: Iterable[ProwJob], config: Config) -> list[ProwJob]:
    """Deck's default view: jobs marked `hidden`, and jobs of the repos (or orgs) in
    config.yaml's `deck.hidden_repos`, are left out."""
    hidden_repos = _hidden_repos(config)
    return [job for job in jobs if not job.spec.hidden and not _in(job, hidden_repos)]


def is_visible(job: ProwJob, config: Config) -> bool:
    """One job under `visible`'s rule (for the watch, event by event)."""
    return not job.spec.hidden and not _in(job, _hidden_repos(config))


def _hidden_repos(config: Config) -> frozenset[str]:
    deck = config.raw_sections.get("deck")
    repos = deck.get("hidden_repos") if isinstance(deck, dict) else None
    return frozenset(str(r) for r in repos) if isinstance(repos, list) else frozenset()


def _in(job: ProwJob, repos: frozenset[str]) -> bool:
    if not repos:
        return False
    refs = job.spec.refs or (job.spec.extra_refs[0] if job.spec.extra_refs else None)
    return refs is not None and bool({refs.org, f"{refs.org}/{refs.repo}"} & repos)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_response(value: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=dumps(value), status=status, content_type="application/json", headers=_NO_CACHE
    )


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON error body: `{"error": message}`."""
    response = json_response({"error": message}, status)
    response.headers.update(headers or {})
    return response


def no_cache() -> dict[str, str]:
    return dict(_NO_CACHE)
