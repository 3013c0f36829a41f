"""A job that could not start, as the detail screen shows it: plank ends the job on a
real executor (the Docker engine for an image no registry gives, host processes for
a pod they cannot run), and the screen says why in the executor's words and what to
do, all of it on screen (issue 15, item 4)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static
from tuiscreens_helpers import ScreenHost, StoreSource, until

from minprow.aio import SystemClock
from minprow.config import Config
from minprow.executors.base import Executor
from minprow.executors.clusters import ClusterMap
from minprow.executors.docker import DockerExecutor
from minprow.executors.host import HostExecutor
from minprow.model import ProwJob, ProwJobState
from minprow.plank import Plank
from minprow.store import open_store
from minprow.tui.screens.detail import DetailScreen

MISSING = f"minprow-test-nowhere-{uuid.uuid4().hex[:8]}:v1"
"""An image neither on this machine nor in any registry (none answers here anyway)."""


def periodic(*images: str) -> ProwJob:
    containers = [
        {"name": f"c{i}", "image": image, "command": ["true"]} for i, image in enumerate(images)
    ]
    return ProwJob.model_validate(
        {
            "metadata": {"name": f"t-{uuid.uuid4().hex[:16]}"},
            "spec": {
                "type": "periodic",
                "job": "periodic-minprow-hello",
                "agent": "kubernetes",
                "pod_spec": {"containers": containers},
            },
            "status": {"state": "triggered"},
        }
    )


def docker(tmp_path: Path) -> Executor:
    return DockerExecutor(tmp_path / "workspaces", tmp_path / "artifacts", SystemClock())


def host(tmp_path: Path) -> Executor:
    return HostExecutor(tmp_path / "workspaces", tmp_path / "artifacts", SystemClock())


# (id, executor, job, the description plank writes starts with, what the screen shows)
CASES: list[tuple[str, Callable[[Path], Executor], ProwJob, str, list[str]]] = [
    (
        "docker-image-not-pullable",
        docker,
        periodic(MISSING),
        f"Container can not be created: image {MISSING} is not on this machine and cannot "
        "be pulled (",
        [
            "Why not running: Image missing or not pullable: image "
            f"{MISSING} is not on this machine and cannot be pulled",
            f"`docker build -t {MISSING} DIR`",
            f"`docker tag LOCAL_IMAGE {MISSING}`",
            "or run the job as a host process with `--executor host`.",
        ],
    ),
    (
        "host-cannot-run-a-pod",
        host,
        periodic("busybox:1.36", "busybox:1.36"),
        "Process can not be created: the host executor runs one container",
        [
            "Why not running: It could not be started: the host executor runs one container",
            "it needs a container engine",
        ],
    ),
]


def on_screen(app: ScreenHost) -> str:
    """The terminal's text as one line: the SVG's cells, spaces and wrapping undone."""
    svg = app.export_screenshot()
    cells = [part.split(">", 1)[1].split("<", 1)[0] for part in svg.split("<text ")[1:]]
    return " ".join(html.unescape("".join(cells)).replace("│", " ").split())


@pytest.mark.parametrize(
    ("make_executor", "pj", "description", "shown"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_the_detail_screen_says_why_and_what_to_do(
    tmp_path: Path,
    make_executor: Callable[[Path], Executor],
    pj: ProwJob,
    description: str,
    shown: list[str],
    request: pytest.FixtureRequest,
) -> None:
    if make_executor is docker:
        request.getfixturevalue("docker_client")  # skips where no engine answers
    executor = make_executor(tmp_path)
    config = Config()
    async with open_store("memory") as store:
        job = await store.create(pj.model_copy(deep=True))
        plank = Plank(store, lambda: config, ClusterMap(fallback=executor), SystemClock())
        await plank.reconcile(job.metadata.name)
        ended = store.get(job.metadata.name)
        assert ended.status.state is ProwJobState.ERROR
        assert (ended.status.description or "").startswith(description), ended.status.description
        screen = DetailScreen(ended, StoreSource(store))
        app = ScreenHost(screen)
        async with app.run_test(size=(100, 40)) as pilot:
            await until(
                pilot, lambda: "Why not running" in str(screen.query_one("#why", Static).render())
            )
            text = on_screen(app)
            for part in shown:
                assert part in text, text
