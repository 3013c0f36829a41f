"""What the detail screen says about one ProwJob, as Textual markup: pure functions.

The sections follow Deck's job page and its prowjob.yaml view (cmd/deck's
`prowjob` template, pkg/apis/prowjobs/v1 `Refs` links): the refs with links to
GitHub, the parts of the spec that decide what runs, the status timings, the
states the job went through, and where its artifacts are. Links come from the
refs' own `*_link` fields when the creator filled them (trigger does), else
they are built for github.com as Deck does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from textual.markup import escape

from minprow.model import ProwJob, ProwJobState
from minprow.model.duration import format_duration
from minprow.model.prowjob import Refs
from minprow.podutils import gcspaths
from minprow.podutils.render import DEFAULT_GRACE_PERIOD, DEFAULT_TIMEOUT
from minprow.tui.rows import STATE_LOOK

GITHUB = "https://github.com"


def state_label(state: ProwJobState) -> str:
    symbol, style = STATE_LOOK[state]
    return f"[{style}]{symbol} {state}[/]"


def link(text: str, url: str | None) -> str:
    shown = escape(text)
    # Textual's markup wants the URL quoted; a quote inside it would end it early.
    return f'[link="{url.replace(chr(34), "%22")}"]{shown}[/link]' if url else shown


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def span(delta: timedelta) -> str:
    return format_duration(timedelta(seconds=max(0, int(delta.total_seconds()))))


def _refs_lines(refs: Refs, label: str) -> list[str]:
    repo_url = refs.repo_link or f"{GITHUB}/{refs.org_repo}"
    lines = [f"[b]{label}[/b] {link(refs.org_repo, repo_url)}"]
    if refs.base_ref:
        base = link(refs.base_ref, f"{repo_url}/tree/{refs.base_ref}")
        if refs.base_sha:
            commit = refs.base_link or f"{repo_url}/commit/{refs.base_sha}"
            base += f" at {link(refs.base_sha[:12], commit)}"
        lines.append(f"  base {base}")
    for pull in refs.pulls or ():
        pr_url = pull.link or f"{repo_url}/pull/{pull.number}"
        author = link(pull.author, pull.author_link or f"{GITHUB}/{pull.author}")
        title = f" {escape(pull.title)}" if pull.title else ""
        commit = link(pull.sha[:12], pull.commit_link or f"{pr_url}/commits/{pull.sha}")
        lines.append(f"  PR {link(f'#{pull.number}', pr_url)}{title} by {author}, head {commit}")
    if refs.path_alias:
        lines.append(f"  path alias {escape(refs.path_alias)}")
    return lines


def refs_section(job: ProwJob) -> str:
    refs = job.spec.refs
    lines = _refs_lines(refs, "repo") if refs else ["[dim]no refs (a periodic without repos)[/]"]
    for extra in job.spec.extra_refs or ():
        lines.extend(_refs_lines(extra, "extra"))
    return "\n".join(lines)


def spec_section(job: ProwJob) -> str:
    spec = job.spec
    rows = [
        ("type", str(spec.type)),
        ("job", spec.job),
        ("cluster", spec.cluster_alias),
        ("agent", str(spec.agent or "kubernetes")),
        ("namespace", spec.namespace or "—"),
    ]
    for index, container in enumerate((spec.pod_spec or {}).get("containers") or ()):
        suffix = f" {index}" if index else ""
        rows.append((f"image{suffix}", str(container.get("image") or "—")))
        argv = [*(container.get("command") or ()), *(container.get("args") or ())]
        rows.append((f"command{suffix}", " ".join(str(a) for a in argv) or "(the image's)"))
    decoration = spec.decoration_config
    if decoration is not None:
        timeout = decoration.timeout or DEFAULT_TIMEOUT
        grace = decoration.grace_period or DEFAULT_GRACE_PERIOD
        rows.append(("timeout", f"{span(timeout)} (grace period {span(grace)})"))
    else:
        rows.append(("decorated", "no"))
    rows.append(("max concurrency", str(spec.max_concurrency or "unlimited")))
    rows.append(("job queue", spec.job_queue_name or "—"))
    if spec.context:
        rows.append(("context", spec.context))
    if spec.rerun_command:
        rows.append(("rerun command", spec.rerun_command))
    return "\n".join(f"[b]{key:<16}[/b]{escape(value)}" for key, value in rows)


def timings_section(job: ProwJob, now: datetime) -> str:
    status = job.status
    start = status.start_time or job.metadata.creation_timestamp
    rows = [
        ("created", when(job.metadata.creation_timestamp)),
        ("started", when(status.start_time)),
        ("pending", when(status.pending_time)),
        ("completed", when(status.completion_time)),
    ]
    if start and status.pending_time:
        rows.append(("queued for", span(status.pending_time - start)))
    if start:
        end = status.completion_time
        ticking = "" if end else " (running)" if status.state is ProwJobState.PENDING else " so far"
        rows.append(("duration", span((end or now) - start) + ticking))
    if status.build_id:
        rows.append(("build id", status.build_id))
    if status.pod_name:
        rows.append(("pod", status.pod_name))
    return "\n".join(f"[b]{key:<16}[/b]{escape(value)}" for key, value in rows)


def derived_history(job: ProwJob) -> list[tuple[datetime | None, str]]:
    """The states the job's own fields prove it went through, oldest first.

    A ProwJob keeps no history: `startTime` is when it was triggered,
    `pendingTime` when it started, `completionTime` when it ended in its current
    state; `prev_report_states` says what each reporter last reported."""
    status = job.status
    history: list[tuple[datetime | None, str]] = []
    start = status.start_time or job.metadata.creation_timestamp
    history.append((start, state_label(ProwJobState.TRIGGERED)))
    if status.pending_time:
        history.append((status.pending_time, state_label(ProwJobState.PENDING)))
    if status.state.is_final:
        history.append((status.completion_time, state_label(status.state)))
    elif status.state is not ProwJobState.PENDING and status.state is not ProwJobState.TRIGGERED:
        history.append((None, state_label(status.state)))
    return history


def history_section(job: ProwJob, seen: list[tuple[datetime, ProwJobState, str]]) -> str:
    """Derived history, what the reporters last reported, and what this screen saw live."""
    lines = ["[dim]from the job's timestamps:[/]"]
    lines += [f"  {when(at)}  {label}" for at, label in derived_history(job)]
    reported = job.status.prev_report_states or {}
    if reported:
        lines.append("[dim]last reported:[/]")
        lines += [
            f"  {escape(name)}: {state_label(state)}" for name, state in sorted(reported.items())
        ]
    if seen:
        lines.append("[dim]seen while this screen was open:[/]")
        for at, state, description in seen:
            lines.append(f"  {when(at)}  {state_label(state)}  {escape(description)}")
    return "\n".join(lines)


def artifacts_location(job: ProwJob) -> str | None:
    """Where the job's artifacts are stored, from its decoration config: a
    `gs://` URL or a local directory; None when the config names neither (plank
    then uses its own artifacts directory, which only the server knows)."""
    decoration = job.spec.decoration_config
    gcs = decoration.gcs_configuration if decoration else None
    if gcs is None or not (gcs.local_output_dir or gcs.bucket):
        return None
    from minprow.podutils.upload import UploadError, destination_for

    try:
        destination = destination_for(job, default_dir=Path("."))
    except UploadError as err:
        return f"unsupported: {err}"
    return destination.url(gcspaths.job_path(job))


def artifacts_section(job: ProwJob) -> str:
    url = job.status.url
    lines = [f"[b]{'job URL':<16}[/b]{link(url, url) if url else '—'}"]
    location = artifacts_location(job)
    if job.spec.decoration_config is None:
        location = "not decorated: no artifacts are uploaded"
    elif location is None:
        location = f"plank's artifacts directory, under {gcspaths.job_path(job)}"
    lines.append(f"[b]{'artifacts':<16}[/b]{escape(location)}")
    return "\n".join(lines)
