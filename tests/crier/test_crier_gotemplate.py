"""minprow's Go template subset over a ProwJob: what renders, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from crier_helpers import make_job

from minprow.crier.gotemplate import Template, TemplateError, UnsupportedTemplate, render
from minprow.model import ProwJobState

JOB = make_job(state=ProwJobState.FAILURE)
JOB.metadata.labels = {"team": "infra"}
JOB.status.start_time = datetime(2026, 11, 24, 10, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Job {{.Spec.Job}} is {{ .Status.State }}.", "Job pull-widget-unit is failure."),
        ("<{{.Status.URL}}|logs>", "<https://prow.example/view/job-1|logs>"),
        ("{{.Spec.Refs.BaseRef}}@{{.Spec.Refs.BaseSHA}}", "main@" + "b" * 40),
        ("{{.Name}} {{.ObjectMeta.Name}}", "job-1 job-1"),
        ("{{.Labels.team}} {{.Labels.missing}}", "infra <no value>"),
        ('{{index .Labels "team"}}', "infra"),
        ("{{(index .Spec.Refs.Pulls 0).Number}}", None),
        ("#{{with index .Spec.Refs.Pulls 0}}{{.Number}}{{end}}", "#7"),
        ("[{{with .Status.Description}}never{{end}}]", "[]"),
        ("{{.Spec.Report}} {{.Status.StartTime}}", "true 2026-11-24 10:00:05 +0000 UTC"),
        ("a  {{- .Spec.Type -}}  b{{/* a comment */}}", "apresubmitb"),
        ("{{.Status.BuildID}}", ""),
    ],
    ids=[
        "fields",
        "url",
        "acronyms",
        "promoted-metadata",
        "map-keys",
        "index-map",
        "parenthesised-unsupported",
        "with-index",
        "with-empty",
        "bool-and-time",
        "trim-and-comment",
        "unset-string",
    ],
)
def test_render(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(UnsupportedTemplate):
            Template(text)
    else:
        assert render(text, JOB) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{{if .Spec.Job}}x{{end}}", UnsupportedTemplate),
        ("{{range .Spec.Refs.Pulls}}x{{end}}", UnsupportedTemplate),
        ('{{.Spec.Job | printf "%s"}}', UnsupportedTemplate),
        ("{{$x := 1}}", UnsupportedTemplate),
        ("{{.Spec.Nope}}", TemplateError),
        ("{{.Spec.ExtraRefs.Org}}", TemplateError),
        ("{{.Spec.Refs}}", TemplateError),
        ("{{with .Spec.Job}}x", TemplateError),
        ("x{{end}}", TemplateError),
        ("{{.Spec.Job", TemplateError),
    ],
    ids=[
        "if",
        "range",
        "pipe",
        "variable",
        "unknown-field",
        "nil-pointer",
        "struct-print",
        "with-unclosed",
        "end-alone",
        "unclosed-action",
    ],
)
def test_refused(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        render(text, JOB)
