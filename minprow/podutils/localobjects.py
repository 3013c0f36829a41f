"""Secrets and config maps for local runs, from folders on this machine.

A job's pod reads Secrets and ConfigMaps of its build cluster; a run on this
machine reads them from local folders instead, one folder per object and one
file per key: the layout `kubectl create secret generic NAME --from-file=DIR`
reads (regular files whose names are valid keys; subdirectories are skipped).

    <secrets dir>/service-account/service-account.json
    <configmaps dir>/job-config/settings.yaml

The values are bytes, as a Secret's data is; nothing here logs them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
"""A valid Secret or ConfigMap key (Kubernetes' IsConfigMapKey)."""


def default_config_dir() -> Path:
    """`$XDG_CONFIG_HOME/minprow`, or `~/.config/minprow` when that is unset."""
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "minprow"


@dataclass(frozen=True)
class LocalObjects:
    """Where a local run finds the Secrets and ConfigMaps its jobs name."""

    secrets_dir: Path = field(default_factory=lambda: default_config_dir() / "secrets")
    configmaps_dir: Path = field(default_factory=lambda: default_config_dir() / "configmaps")

    def folder(self, kind: str, name: str) -> Path:
        """The folder of the `kind` ("secret" or "configMap") named `name`."""
        root = self.secrets_dir if kind == "secret" else self.configmaps_dir
        return root / name

    def read(self, kind: str, name: str) -> dict[str, bytes] | None:
        """The object's keys and values; None when it has no folder.

        A name that could walk out of the folder (`..`, `a/b`) is no object."""
        if not name or "/" in name or name in (".", ".."):
            return None
        folder = self.folder(kind, name)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return None
        data: dict[str, bytes] = {}
        for entry in entries:
            if KEY.match(entry.name) and entry.is_file():
                data[entry.name] = Path(entry.path).read_bytes()
        return data
