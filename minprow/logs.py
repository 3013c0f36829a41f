"""Logging set-up: one JSON object a line for servers, readable text in a terminal.

`configure()` is called once by the CLI. Components log through stdlib loggers
named `minprow.<component>` and pass a job's fields with `pj.log_fields()` as
`extra`, so a JSON line carries name, job, type, state and org/repo/PR (STYLE 11).
Secrets never reach a log: no component logs tokens, and `redact()` scrubs
anything that looks like a credential before it is formatted.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_FIELDS = ("component", "prowjob", "job", "type", "state", "org", "repo", "pr", "file")
_SECRET = re.compile(
    r"(?i)(token|secret|password|authorization)([\"']?\s*[:=]\s*[\"']?)([^\s\"',]+)"
)


def redact(text: str) -> str:
    """Mask the value in `token=...`, `"secret": "..."` and similar pairs."""
    return _SECRET.sub(lambda m: m.group(1) + m.group(2) + "***", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with minprow's structured fields lifted to the top."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key in _FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`15:04:05 level logger: message key=value ...` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extras = " ".join(
            f"{key}={record.__dict__[key]}"
            for key in _FIELDS
            if record.__dict__.get(key) is not None
        )
        line = f"{stamp} {record.levelname.lower():<7} {record.name}: {record.getMessage()}"
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def configure(fmt: str = "text", level: str = "info") -> None:
    """Route minprow's loggers to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("minprow")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
