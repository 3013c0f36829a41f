"""The Slack reporter through crier, posting to a real aiohttp server: which jobs
and states, the config precedence, templates, errors, and the secret URL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from crier_helpers import Webhook, make_job, running, set_state, settle, webhook_server
from fakes import VirtualClock

from minprow.config import Config
from minprow.config.prow import SlackReporter as SlackSettings
from minprow.crier import Crier
from minprow.crier.reporters.slack import SlackReporter, webhook_from_file
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.model.prowjob import ReporterConfig, SlackReporterConfig
from minprow.store import JobStore

S = ProwJobState
DEFAULT_TEXT = (
    "Job pull-widget-unit of type presubmit ended with state failure. "
    "<https://prow.example/view/job-1|View logs>"
)


def settings(**kwargs: Any) -> SlackSettings:
    return SlackSettings(**{"channel": "ci", "job_states_to_report": ["failure"], **kwargs})


async def report(
    store: JobStore,
    clock: VirtualClock,
    tmp_path: Path,
    configs: dict[str, SlackSettings],
    job: ProwJob,
    final: ProwJobState = S.FAILURE,
    answers: tuple[int, ...] = (),
) -> Webhook:
    config = Config(slack_reporter_configs=configs)
    async with webhook_server(Webhook(answers=list(answers))) as webhook:
        secret = tmp_path / "slack-webhook"
        secret.write_text(webhook.url + "\n")
        reporter = SlackReporter(lambda: config, webhook_from_file(secret))
        async with running(Crier(store, [reporter], clock)) as crier:
            await store.create(job)
            await settle(crier)
            await set_state(store, job.name, final)
            await settle(crier)
    return webhook


def with_slack(**kwargs: Any) -> ProwJob:
    return make_job(reporter_config=ReporterConfig(slack=SlackReporterConfig(**kwargs)))


@pytest.mark.parametrize(
    ("configs", "job", "final", "expected"),
    [
        (
            {"*": settings(job_types_to_report=["presubmit"])},
            make_job(),
            S.FAILURE,
            [("ci", DEFAULT_TEXT)],
        ),
        ({"*": settings(job_types_to_report=["presubmit"])}, make_job(), S.SUCCESS, []),
        ({"*": settings(job_types_to_report=["periodic"])}, make_job(), S.FAILURE, []),
        (
            {
                "*": settings(job_types_to_report=["presubmit"]),
                "acme": settings(channel="acme-ci", job_types_to_report=["presubmit"]),
                "acme/other": settings(channel="other-ci", job_types_to_report=["presubmit"]),
            },
            make_job(),
            S.FAILURE,
            [("acme-ci", DEFAULT_TEXT)],
        ),
        ({"*": settings()}, with_slack(channel="mine"), S.FAILURE, [("mine", DEFAULT_TEXT)]),
        (
            {},
            with_slack(channel="mine", job_states_to_report=["failure"]),
            S.FAILURE,
            [("mine", DEFAULT_TEXT)],
        ),
        ({"*": settings()}, with_slack(channel="mine", job_states_to_report=[]), S.FAILURE, []),
        ({"*": settings()}, with_slack(channel="mine", report=False), S.FAILURE, []),
        (
            {"*": settings(job_types_to_report=["presubmit"])},
            with_slack(
                report_template="{{.Spec.Job}} {{.Spec.Refs.Org}}/{{.Spec.Refs.Repo}}#{{with index .Spec.Refs.Pulls 0}}{{.Number}} by {{.Author}}{{end}}"
            ),
            S.FAILURE,
            [("ci", "pull-widget-unit acme/widget#7 by alice")],
        ),
        ({}, make_job(type=ProwJobType.PERIODIC), S.FAILURE, []),
    ],
    ids=[
        "star-config",
        "state-not-reported",
        "type-not-reported",
        "org-before-star",
        "job-channel-despite-types",
        "job-settings-alone",
        "job-states-empty-means-no",
        "job-report-false",
        "job-template",
        "no-config",
    ],
)
async def test_what_is_posted(
    store: JobStore,
    clock: VirtualClock,
    tmp_path: Path,
    configs: dict[str, SlackSettings],
    job: ProwJob,
    final: ProwJobState,
    expected: list[tuple[str, str]],
) -> None:
    webhook = await report(store, clock, tmp_path, configs, job.model_copy(deep=True), final)
    assert [(m.get("channel"), m["text"]) for m in webhook.received] == expected


async def test_an_unsupported_template_falls_back_and_is_logged_once(
    store: JobStore, clock: VirtualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configs = {
        "*": settings(
            job_types_to_report=["presubmit"],
            report_template="{{if .Spec.Job}}{{.Spec.Job}}{{end}}",
            job_states_to_report=["pending", "failure"],
        )
    }
    with caplog.at_level(logging.ERROR, logger="minprow.crier.slack"):
        webhook = await report(store, clock, tmp_path, configs, make_job())
    assert len(webhook.received) == 1  # failure only: the job never went pending
    assert webhook.received[0]["text"] == DEFAULT_TEXT
    assert len([r for r in caplog.records if "cannot be rendered" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    ("answers", "delivered", "sleeps"),
    [((500, 429), 1, [1.0, 2.0]), ((404,), 0, [])],
    ids=["5xx-and-429-retried", "404-permanent"],
)
async def test_errors(
    store: JobStore,
    clock: VirtualClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    answers: tuple[int, ...],
    delivered: int,
    sleeps: list[float],
) -> None:
    configs = {"*": settings(job_types_to_report=["presubmit"])}
    with caplog.at_level(logging.DEBUG):
        webhook = await report(store, clock, tmp_path, configs, make_job(), answers=answers)
    assert len(webhook.received) == delivered
    assert clock.sleeps == sleeps
    assert store.get("job-1").status.prev_report_states == {"slackreporter": S.FAILURE}
    assert "secret-token" not in caplog.text


async def test_an_unreachable_webhook_is_retried_without_leaking_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from minprow.crier.reporters.slack import SlackError

    secret = tmp_path / "slack-webhook"
    secret.write_text("http://127.0.0.1:9/services/T0/B0/secret-token")
    config = Config(slack_reporter_configs={"*": settings(job_types_to_report=["presubmit"])})
    reporter = SlackReporter(lambda: config, webhook_from_file(secret), timeout=5)
    with pytest.raises(SlackError) as raised:
        await reporter.report(make_job(state=S.FAILURE))
    assert "secret-token" not in str(raised.value)
    assert raised.value.__cause__ is None
