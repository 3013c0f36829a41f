"""`minprow run --shell`: an interactive shell where the job runs, for debugging it.

Prow's own advice for debugging a job is to add a `sleep` to it and exec into
its pod. Here the shell comes to the job instead: a new container of the test
container's image with the job's mounts (its checkout, logs, volumes), env,
working directory and privileges, its entrypoint a shell, attached to this
terminal through the Docker CLI. `after` opens it once the job has failed,
on the finished job's workspace; `before` prepares the workspace as a start
would (clone, volumes) and opens it instead of running the job.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys

from minprow.executors.base import Executor, ExecutorError, StartError
from minprow.model import ProwJob
from minprow.podutils.render import RunPlan
from minprow.runtime import commands

EXIT_ERROR = 1


def unavailable(executor: Executor) -> str | None:
    """Why a shell cannot be had with this executor, or None."""
    if executor.name != "docker":
        return "--shell needs the docker executor: a shell is opened in the job's image"
    if shutil.which("docker") is None:
        return "--shell needs the Docker CLI (`docker`) on the PATH"
    return None


async def before(executor: Executor, job: ProwJob, plan: RunPlan, *, keep: bool) -> int:
    """The job's workspace and volumes made, then a shell instead of the job."""
    code = await _shell(executor, job, plan, prepare=True)
    if not keep:
        await executor.cleanup(job.metadata.name)
    return code


async def after(executor: Executor, job: ProwJob, plan: RunPlan) -> int:
    """A shell on the finished job's workspace."""
    return await _shell(executor, job, plan, prepare=False)


async def _shell(executor: Executor, job: ProwJob, plan: RunPlan, *, prepare: bool) -> int:
    from minprow.executors.docker import DockerExecutor

    why = unavailable(executor)
    if why is not None or not isinstance(executor, DockerExecutor):
        return commands.fail_with(why or "--shell needs the docker executor")
    try:
        argv, env = await executor.shell_command(job, plan, prepare=prepare)
    except (StartError, ExecutorError) as err:
        return commands.fail_with(f"cannot open a shell: {err}")
    test = plan.test_container
    print(
        f"minprow run: a shell in {test.image} with the job's env and mounts "
        f"(the job runs: {' '.join(test.argv) or 'the image entrypoint'}); exit it to end",
        file=sys.stderr,
    )
    # The terminal belongs to the CLI now: it forwards Ctrl-C to the shell.
    return await asyncio.to_thread(_call, argv, {**os.environ, **env})


def _call(argv: list[str], env: dict[str, str]) -> int:
    try:
        return subprocess.call(argv, env=env)
    except OSError as err:
        return commands.fail_with(f"cannot run {argv[0]}: {err}")
