"""What is wrong with a configuration, said so a person can fix it.

Prow aggregates its load and validation errors (`utilerrors.NewAggregate` in
pkg/config/config.go) and stops; minprow collects every problem, each naming the
file, the job and the field it is about, and raises them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the configuration.

    `str()` gives one line, e.g.
    `config/jobs/x.yaml: job "foo": field "run_if_changed": invalid regex "(": ...`."""

    file: str
    message: str
    job: str | None = None
    field: str | None = None
    line: int | None = None
    """1-based line in `file`, where known (YAML syntax errors)."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        parts = [where] if where else []
        if self.job is not None:
            parts.append(f'job "{self.job}"')
        if self.field is not None:
            parts.append(f'field "{self.field}"')
        parts.append(self.message)
        return ": ".join(parts)


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason found."""

    def __init__(self, problems: list[Problem], notices: list[Problem] | None = None) -> None:
        self.problems = list(problems)
        self.notices = list(notices or ())
        """Advice found on the way, which alone would not have failed the load."""
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the configuration"
        super().__init__("\n".join([head + ":", *(f"  {p}" for p in self.problems)]))


def field_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """A pydantic error location as a YAML path: ("extra_refs", 0, "org") -> "extra_refs[0].org"."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validation_problems(
    err: ValidationError, file: str, job: str | None = None, prefix: str = ""
) -> list[Problem]:
    """One problem per error pydantic found, naming the field by its YAML path."""
    problems = []
    for item in err.errors(include_url=False):
        loc = tuple(
            p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))
        )
        if item["type"] == "missing":
            message = "required field is missing"
        elif "input" in item and item["type"] not in ("value_error",):
            message = f"{item['msg']}, got {_shown(item['input'])}"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(Problem(file, message, job=job, field=field_path(loc, prefix) or None))
    return problems
