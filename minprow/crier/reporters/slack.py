"""The Slack reporter: one message per reported state, through an incoming webhook.

Corresponds to Prow's pkg/crier/reporters/slack/reporter.go (`slackreporter`).
The settings for a job are `slack_reporter_configs` looked up by the job's
"org/repo", then "org", then "*" (its refs, else its first extra refs),
overridden field by field by the job's own `reporter_config.slack` (Prow's
`ApplyDefault`: a non-empty channel, host or template, non-empty
`job_states_to_report`, a set `report`; `job_states_to_report: []` on the job
means "do not report"). A job is reported when its state is in the merged
`job_states_to_report` and either its type is in the config's
`job_types_to_report` or the job names a channel itself; never when the
merged `report` is false.

The message is the merged `report_template` rendered with minprow's Go
template subset (`minprow.crier.gotemplate`); a template outside that subset
or failing to render is logged once and Prow's default template used instead.
It is POSTed as `{"text": ..., "channel": ...}` to the webhook URL read from
the webhook file at each report (so a rotated file is picked up); the URL is
a secret and appears in no log line or error. Unlike Prow, which keeps one
Slack client per `host`, minprow has one webhook for every host. A 4xx answer
other than 429 is permanent (a revoked webhook, an archived channel); 429,
5xx and network failures are retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from minprow.config import Config
from minprow.config.prow import DEFAULT_SLACK_REPORT_TEMPLATE
from minprow.config.prow import SlackReporter as SlackSettings
from minprow.crier.gotemplate import Template, TemplateError
from minprow.crier.reporter import PermanentReportError
from minprow.model import ProwJob, ProwJobState
from minprow.model.prowjob import SlackReporterConfig

log = logging.getLogger("minprow.crier.slack")

NAME = "slackreporter"
TIMEOUT = 30.0


class SlackError(Exception):
    """Posting to Slack failed for a reason worth retrying."""


def webhook_from_file(path: Path) -> Callable[[], str]:
    """The webhook URL, read from `path` (`--slack-token-file`) each time it is needed."""

    def read() -> str:
        try:
            url = path.read_text().strip()
        except OSError as err:
            raise SlackError(f"cannot read the Slack webhook file {path}: {err.strerror}") from None
        if not url:
            raise SlackError(f"the Slack webhook file {path} is empty")
        return url

    return read


@dataclass(frozen=True)
class Settings:
    """A job's Slack settings after the job's own override the config's."""

    channel: str
    host: str
    job_states_to_report: list[ProwJobState] | None
    report_template: str
    report: bool | None


def merge(config: SlackSettings | None, job: SlackReporterConfig | None) -> Settings | None:
    """Prow's `SlackReporterConfig.ApplyDefault` of the job's settings over the config's."""
    if config is None and job is None:
        return None
    job_states = job.job_states_to_report if job else None
    report = job.report if job else None
    if job_states is not None and not job_states and report is None:
        report = False  # `job_states_to_report: []` on a job
    return Settings(
        channel=(job.channel if job and job.channel else None)
        or (config.channel if config else ""),
        host=(job.host if job and job.host else None) or (config.host if config else ""),
        job_states_to_report=(job_states or None)
        or ((config.job_states_to_report or None) if config else None),
        report_template=(job.report_template if job and job.report_template else None)
        or (config.report_template if config else ""),
        report=report if report is not None else (config.report if config else None),
    )


class SlackReporter:
    """Crier's reporter named "slackreporter"; see the module docstring."""

    name = NAME

    def __init__(
        self, config: Callable[[], Config], webhook: Callable[[], str], *, timeout: float = TIMEOUT
    ) -> None:
        self.config = config
        self.webhook = webhook
        self.timeout = timeout
        self._bad_templates: set[str] = set()

    def settings(self, job: ProwJob) -> tuple[SlackSettings | None, Settings | None]:
        """The config entry for the job's repo, and the merged settings."""
        refs = job.spec.refs or (job.spec.extra_refs[0] if job.spec.extra_refs else None)
        entry = self.config().slack_reporter_for(
            refs.org if refs else "", refs.repo if refs else ""
        )
        own = job.spec.reporter_config.slack if job.spec.reporter_config else None
        return entry, merge(entry, own)

    def should_report(self, job: ProwJob) -> bool:
        entry, merged = self.settings(job)
        if merged is None or merged.job_states_to_report is None or merged.report is False:
            return False
        own = job.spec.reporter_config.slack if job.spec.reporter_config else None
        by_type = entry is not None and job.spec.type in entry.job_types_to_report
        by_job = own is not None and bool(own.channel)
        return job.status.state in merged.job_states_to_report and (by_type or by_job)

    async def report(self, job: ProwJob) -> None:
        _, merged = self.settings(job)
        if merged is None:
            return
        payload: dict[str, Any] = {"text": self.message(job, merged.report_template)}
        if merged.channel:
            payload["channel"] = merged.channel
        await self._post(payload)

    def message(self, job: ProwJob, template: str) -> str:
        """The template rendered for the job; Prow's default when it cannot be."""
        text = template or DEFAULT_SLACK_REPORT_TEMPLATE
        try:
            return Template(text).render(job)
        except TemplateError as err:
            if text not in self._bad_templates:
                self._bad_templates.add(text)
                log.error(
                    "the Slack report template %r cannot be rendered (%s); using Prow's default",
                    text,
                    err,
                    extra=job.log_fields(),
                )
            return Template(DEFAULT_SLACK_REPORT_TEMPLATE).render(job)

    async def _post(self, payload: dict[str, Any]) -> None:
        url = self.webhook()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(url, json=payload) as response,
            ):
                answer = (await response.text())[:200]
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as err:
            # Not `from err`: aiohttp's errors carry the URL, which is a secret.
            raise SlackError(f"posting to the Slack webhook failed: {type(err).__name__}") from None
        if status < 300:
            return
        message = f"the Slack webhook answered {status}: {answer}"
        if 400 <= status < 500 and status != 429:
            raise PermanentReportError(message)
        raise SlackError(message)
