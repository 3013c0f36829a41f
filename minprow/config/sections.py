"""Top-level settings of config.yaml checked as Prow's `validateComponentConfig` does.

Corresponds to the plank checks of `validateComponentConfig` and the defaulting of
plain settings in `parseProwConfig` (pkg/config/config.go). Each function adds the
problems it finds to a list the loader owns.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from minprow.config.gourl import URLError, parse_scheme
from minprow.config.problems import Problem
from minprow.config.prow import Plank
from minprow.model import parse_duration


def plank_problems(plank: Plank, file: str) -> list[Problem]:
    """What Prow's `validateComponentConfig` refuses in the plank section."""
    errors: list[Problem] = []
    if plank.default_decoration_configs and plank.default_decoration_config_entries:
        errors.append(
            Problem(
                file,
                "plank.default_decoration_configs and plank.default_decoration_config_entries "
                "are mutually exclusive: use one or the other",
                field="plank.default_decoration_config_entries",
            )
        )
    if plank.report_template and len(plank.report_templates) > 1:
        errors.append(
            Problem(
                file,
                "both report_template and report_templates are specified",
                field="plank.report_template",
            )
        )
    if plank.max_concurrency < 0:
        errors.append(
            Problem(
                file,
                f"{plank.max_concurrency} must not be negative",
                field="plank.max_concurrency",
            )
        )
    for key, prefix in plank.job_url_prefix_config.items():
        try:
            parse_scheme(str(prefix or ""))
        except URLError as err:
            errors.append(Problem(file, str(err), field=f"plank.job_url_prefix_config.{key}"))
    if plank.max_goroutines <= 0:
        errors.append(
            Problem(file, f"{plank.max_goroutines} must be positive", field="plank.max_goroutines")
        )
    return errors


def string_setting(
    main: dict[str, Any], key: str, default: str, file: str, errors: list[Problem]
) -> str:
    """A top-level string setting; `default` when unset or empty."""
    value = main.get(key)
    if value is None or value == "":
        return default
    if not isinstance(value, str):
        errors.append(Problem(file, f"must be a string, got {value!r}", field=key))
        return default
    return value


def duration_setting(value: Any, file: str, field: str, errors: list[Problem]) -> timedelta:
    """A Go duration setting (24h when it does not parse, with the problem added)."""
    try:
        if isinstance(value, str):
            return parse_duration(value)
        raise ValueError(f'expected a duration string such as "24h", got {value!r}')
    except ValueError as err:
        errors.append(Problem(file, str(err), field=field))
        return timedelta(hours=24)
