"""`minprow up`, the laptop form of `serve`: a kind cluster when there is one, and the TUI.

With Docker and `kind` on the PATH, `up` creates (or reuses) the kind cluster
`minprow`, builds and loads the minprow image, installs the ProwJob CRD, and runs
every component against it (runtime/kind.py does the steps); jobs naming a build
cluster the laptop does not have run on the kind cluster's `default`. Without
kind it keeps the embedded default (SQLite and the local engine) and says why.

In a terminal the TUI runs in front, in the same loop as the components (the
CLI hands it in as `Settings.foreground`: runtime and tui are siblings); the
logs then go to `<state-dir>/minprow.log`, since the screen is the TUI's.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.runtime.federation import KubeSettings, default_podutils_image

if TYPE_CHECKING:
    from minprow.config import Config

log = logging.getLogger("minprow.up")

LOG_FILE = "minprow.log"


class UpError(RuntimeError):
    """`--kind` was asked for and cannot be had: says why."""


def source_tree() -> Path | None:
    """minprow's own checkout (the image's build context), when installed from one."""
    import minprow

    top = Path(minprow.__file__).resolve().parent.parent
    return top if (top / "Dockerfile").is_file() and (top / "pyproject.toml").is_file() else None


def kind_settings(
    use_kind: bool | None, config: Config, state_dir: Path, name: str
) -> KubeSettings | None:
    """The kube settings of a ready kind cluster, or None (the embedded default).

    `use_kind`: True requires kind, False never uses it, None uses it when it can."""
    from minprow.runtime import kind

    if use_kind is False:
        return None
    why = kind.kind_unavailable()
    tree = source_tree()
    if why is None and tree is None:
        why = "the minprow image is built from minprow's checkout (pip install -e .)"
    if why is not None:
        if use_kind:
            raise UpError(f"--kind: {why}")
        log.info("not using kind (%s): the embedded store and the local executor", why)
        return None
    assert tree is not None
    image = default_podutils_image()
    cluster = kind.prepare(
        name,
        state_dir,
        tree,
        image,
        config.pod_namespace,
        prowjob_namespace=config.prowjob_namespace,
    )
    return KubeSettings(
        store="kube",
        kubeconfigs=(cluster.kubeconfig,),
        prow_job_context=cluster.context,
        podutils_image=image,
        leader_elect=False,
        fallback_to_default=True,
    )


def wants_tui(no_tui: bool) -> bool:
    """The TUI runs in front unless asked not to or there is no terminal to draw on."""
    return not no_tui and sys.stdin.isatty() and sys.stdout.isatty()


def logs_to_file(state_dir: Path) -> Path:
    """Send minprow's log lines to a file: the terminal belongs to the TUI."""
    path = state_dir / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    root = logging.getLogger("minprow")
    if root.handlers:
        handler.setFormatter(root.handlers[0].formatter)
    root.handlers[:] = [handler]
    return path
