"""`minprow run JOB`: reproduce a job from a real Prow config on this machine.

The job's ProwJob is made by the one factory (pjutil) with the refs Prow would
give it, kept in a private in-memory store, and driven by plank's own
reconcile step on the local executor, so the container gets exactly the env,
`JOB_SPEC`, checkout and timeouts it gets in CI. Its output streams to the
terminal as it is written; the exit code is the job's: 0 for success, the test
container's exit code for a failure, 1 for an error, 130 when interrupted
(143 for SIGTERM). Jobs for remote build clusters run locally.

The first Ctrl-C (or SIGTERM) aborts the job as Prow would (its grace period,
then its logs collected); a second ends the command at once, saying what it
leaves running (aio/signals.py). A state or artifacts directory that cannot be
written into stops the run before it starts.

`--local PATH` runs a working tree, not a pull request. The job still gets the
env and `JOB_SPEC` of Prow's presubmit, whose pull is numbered 0 (no GitHub PR
is), but the ProwJob is annotated as a local run (`minprow.dev/local-run`), so
its artifacts go under `pr-logs/pull/<org_repo>/local/...` and its output says
"local working tree" where a PR number would be.

Before anything starts, the plan is localized (podutils/localpod.py): env
`valueFrom`, volumes and security contexts resolved for this machine, with
Secrets and ConfigMaps from `--secrets-dir`/`--configmaps-dir`. What cannot be
honoured is said once; what is missing stops the run with a line each saying
where to put it. `--dry-run` stops there and prints the plan (run_view.py);
`--env`/`--image` change the test container; `--shell` opens a shell in the
test container's image with the job's mounts and env (run_shell.py), after a
failure or (`--shell=before`) instead of running the job.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minprow.podutils.render import RunPlan, render
from minprow.runtime import commands

if TYPE_CHECKING:
    from minprow.aio.signals import Interrupts
    from minprow.config import Config, JobBase, Postsubmit, Presubmit
    from minprow.executors.base import Executor
    from minprow.model import ProwJob, ProwJobType, Refs
    from minprow.plank import Plank

log = logging.getLogger("minprow.run")

FoundJob = tuple["ProwJobType", "JobBase", str | None]
"""A job as `Config.find_job` gives it: its type, the job, its "org/repo"."""

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
POLL = 0.1
STOP_MARGIN = 60.0
"""Seconds beyond the job's grace period an interrupted run may take to stop and collect
its logs before it exits anyway."""


@dataclass(frozen=True)
class RunOptions:
    job_name: str
    pull_numbers: list[int]
    base_ref: str | None
    local: Path | None
    executor: str
    state_dir: Path | None
    artifacts_dir: Path | None
    keep: bool
    secrets_dir: Path | None = None
    configmaps_dir: Path | None = None
    env: tuple[str, ...] = ()
    """`--env NAME=VALUE` overrides of the test container's env."""
    image: str | None = None
    dry_run: bool = False
    output: str = "summary"
    """What --dry-run prints: `summary`, or `yaml` (the pod)."""
    shell: str | None = None
    """`after` (a shell once the job failed), `before` (instead of the job) or None."""
    repo: str | None = None
    """`--repo org/repo`: which repository's job, for a name several share."""
    state_dir_origin: str = "--state-dir"
    """What chose `state_dir`, for messages."""


def main(config_path: Path | None, job_config_path: Path | None, options: RunOptions) -> int:
    from minprow.aio.signals import Interrupts

    # From the start: a Ctrl-C while the refs are fetched ends the command too.
    with Interrupts("minprow run", deadline=STOP_MARGIN, announce=True) as interrupts:
        return _main(config_path, job_config_path, options, interrupts)


def _main(
    config_path: Path | None,
    job_config_path: Path | None,
    options: RunOptions,
    interrupts: Interrupts,
) -> int:
    from minprow.runtime.defaults import discover, project_store

    paths = discover(config_path, job_config_path, None)
    config = commands.load(*paths.args()[:2], None)
    if config is None:
        return EXIT_ERROR
    # Its workspaces (and artifacts, unless told otherwise) go to the project's state dir.
    where = project_store(options.state_dir, paths)
    options = replace(options, state_dir=where.path, state_dir_origin=where.origin)
    try:
        pj, plan, adjust = prepare(config, options)
    except (LookupError, ValueError) as err:
        return commands.fail_with(str(err))
    if options.dry_run:
        from minprow.runtime import run_view

        print(run_view.pod_yaml(plan) if options.output == "yaml" else run_view.summary(pj, plan))
        return 0
    for note in plan.notes:
        print(f"minprow run: note: {note}", file=sys.stderr)
    if plan.missing:
        print(
            f"minprow run: {options.job_name} needs what is not on this machine:", file=sys.stderr
        )
        for line in plan.missing:
            print(f"  {line}", file=sys.stderr)
        return EXIT_ERROR
    unusable = _unusable_dirs(pj, options)
    if unusable:
        for problem in unusable:
            commands.fail_with(problem)
        return EXIT_ERROR
    return asyncio.run(_run(config, pj, adjust, options, interrupts))


def _state_dir(options: RunOptions) -> tuple[Path, str]:
    """The state directory (`_main` set it: --state-dir or the project's) and what
    chose it, for messages."""
    assert options.state_dir is not None
    return options.state_dir, options.state_dir_origin


def _unusable_dirs(pj: ProwJob, options: RunOptions) -> list[str]:
    """What is wrong with the directories this run writes into: the state directory
    (workspaces) and, when its artifacts stay on this machine, where they go."""
    from minprow.podutils.upload import LocalDestination, destination_for
    from minprow.runtime import dirs

    state_dir, state_what = _state_dir(options)
    wanted = [(state_dir, state_what)]
    destination = destination_for(pj, default_dir=options.artifacts_dir or state_dir / "artifacts")
    if isinstance(destination, LocalDestination):
        gcs = pj.spec.decoration_config.gcs_configuration if pj.spec.decoration_config else None
        if gcs is not None and gcs.local_output_dir:
            what = "the job's gcs_configuration.local_output_dir"
        elif options.artifacts_dir is not None:
            what = "--artifacts-dir"
        else:
            what = "the artifacts directory (set another with --artifacts-dir)"
        if pj.spec.decoration_config is not None:
            wanted.append((destination.root, what))
    return dirs.problems(wanted)


def prepare(
    config: Config, options: RunOptions, found: FoundJob | None = None
) -> tuple[ProwJob, RunPlan, Callable[[RunPlan], RunPlan]]:
    """The ProwJob of this run, its plan localized for this machine, and the change
    plank is to make to the plan of every start (what `--dry-run` prints).

    LookupError for a job or refs that do not fit, ValueError (RenderError and
    RefsError among them) for a bad flag or a job that cannot run here. `found`
    is the job itself, for a name several repositories share (the first is run)."""
    from minprow.model.prowjob import LOCAL_RUN

    overrides = _env_overrides(options.env)
    pj, local_refs = _prowjob(config, options, found)
    if options.local is not None:
        # A working tree, not a pull request: its logs and artifacts say so.
        pj.metadata.annotations[LOCAL_RUN] = "true"
    adjust = _adjuster(local_refs, options, overrides)
    plan = adjust(render(_with_build_id(pj) if options.dry_run else pj))
    return pj, plan, adjust


def _find(config: Config, name: str, repo: str | None) -> FoundJob:
    """The job called `name`: of `repo` when given; else the first, saying which
    repos have another of that name (84 names repeat in Kubernetes' config)."""
    from minprow.model import ProwJobType

    matches: list[FoundJob] = []
    for kind, by_repo in (
        (ProwJobType.PRESUBMIT, config.presubmits),
        (ProwJobType.POSTSUBMIT, config.postsubmits),
    ):
        matches += [
            (kind, job, org_repo)
            for org_repo in sorted(by_repo)
            for job in by_repo[org_repo]
            if job.name == name
        ]
    if repo is not None:
        matches = [m for m in matches if m[2] == repo]
        if not matches:
            raise LookupError(f"job {name!r} is not a presubmit or postsubmit of {repo}")
        return matches[0]
    first = config.find_job(name)
    if first is None:
        raise LookupError(f"job {name!r} is not in the config")
    others = sorted({m[2] for m in matches if m[2] is not None} - {first[2]})
    if others:
        print(
            f"minprow run: note: {name!r} is also a job of {', '.join(others)}; "
            f"running {first[2]}'s (choose with --repo)",
            file=sys.stderr,
        )
    return first


def _for_branch(
    config: Config,
    kind: ProwJobType,
    job: Presubmit | Postsubmit,
    org_repo: str,
    branch: str,
) -> Presubmit | Postsubmit:
    """Of the jobs of one repo sharing `job`'s name (Kubernetes keeps one per release
    branch), the one whose branch filters take `branch`, as Prow would pick it."""
    from minprow.model import ProwJobType

    if job.should_run_for_branch(branch):
        return job
    by_repo = config.presubmits if kind is ProwJobType.PRESUBMIT else config.postsubmits
    for other in by_repo.get(org_repo, []):
        if other.name == job.name and other.should_run_for_branch(branch):
            return other
    return job


def _with_build_id(pj: ProwJob) -> ProwJob:
    """The job as plank would start it: with the build id it gives (`BUILD_ID` in its env)."""
    from datetime import UTC, datetime

    from minprow.pjutil import BuildIDGenerator

    status = {"build_id": BuildIDGenerator().next(datetime.now(UTC)), "pod_name": pj.metadata.name}
    return pj.model_copy(update={"status": pj.status.model_copy(update=status)})


def _env_overrides(items: tuple[str, ...]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--env {item!r}: expected NAME=VALUE")
        overrides[name] = value
    return overrides


def _adjuster(
    local: Refs | None, options: RunOptions, overrides: dict[str, str]
) -> Callable[[RunPlan], RunPlan]:
    """What run changes in the one renderer's plan: the --local checkout, the
    --env/--image overrides, then everything resolved for this machine."""
    from minprow.podutils.downward import HostFacts
    from minprow.podutils.localpod import localize
    from minprow.runtime.engines import local_objects

    objects = local_objects(options.secrets_dir, options.configmaps_dir)
    host = HostFacts.of_this_machine()
    host_dir = str(options.local.resolve()) if options.local is not None else None

    def adjust(plan: RunPlan) -> RunPlan:
        if local is not None and host_dir is not None:
            plan = plan.with_local_checkout(local, host_dir)
        if overrides or options.image:
            plan = plan.with_overrides(overrides, options.image)
        return localize(plan, objects, host)

    return adjust


def _prowjob(
    config: Config, options: RunOptions, found: FoundJob | None = None
) -> tuple[ProwJob, Refs | None]:
    """The ProwJob Prow would create for this run, and the refs taken from `--local`."""
    from datetime import UTC, datetime

    from minprow import pjutil
    from minprow.config import Periodic, Postsubmit, Presubmit
    from minprow.model import ProwJobType
    from minprow.runtime.refs import local_refs, remote_refs

    found = found or _find(config, options.job_name, options.repo)
    kind, job, org_repo = found
    now = datetime.now(UTC)
    namespace = config.prowjob_namespace
    if isinstance(job, Periodic):
        if options.pull_numbers:
            raise LookupError(f"{options.job_name!r} is a periodic: it takes no --pull-number")
        pj = pjutil.new_periodic(job, now=now, prowjob_namespace=namespace)
        if options.local is None:
            return pj, None
        main = next(iter(pj.spec.extra_refs or []), None)
        if main is None:
            raise LookupError(
                f"--local: periodic {options.job_name!r} has no extra_refs to replace"
            )
        return pj, main
    assert org_repo is not None
    assert isinstance(job, Presubmit | Postsubmit)
    if kind is ProwJobType.POSTSUBMIT and options.pull_numbers:
        raise LookupError(f"{options.job_name!r} is a postsubmit: it takes no --pull-number")
    if options.local is not None:
        refs = local_refs(org_repo, job, options.local, (options.pull_numbers or [0])[0])
    else:
        if isinstance(job, Presubmit) and not options.pull_numbers:
            raise LookupError(
                f"presubmit {options.job_name!r} needs --pull-number N (or --local PATH)"
            )
        refs = remote_refs(
            org_repo, job, pull_numbers=options.pull_numbers, base_ref=options.base_ref
        )
    job = _for_branch(config, kind, job, org_repo, refs.base_ref or "")
    guid = str(uuid.uuid4())
    if isinstance(job, Presubmit):
        if len(options.pull_numbers) > 1:
            spec = pjutil.batch_spec(job, refs)
            pj = pjutil.new_prowjob(
                spec, dict(job.labels), dict(job.annotations), now=now, namespace=namespace
            )
        else:
            pj = pjutil.new_presubmit(
                refs, job, now=now, event_guid=guid, prowjob_namespace=namespace
            )
    else:
        pj = pjutil.new_postsubmit(refs, job, now=now, event_guid=guid, prowjob_namespace=namespace)
    return pj, (pj.spec.refs if options.local else None)


async def _run(
    config: Config,
    pj: ProwJob,
    adjust: Callable[[RunPlan], RunPlan],
    options: RunOptions,
    interrupts: Interrupts,
) -> int:
    from minprow.aio import SystemClock
    from minprow.executors.clusters import ClusterMap
    from minprow.plank import Plank
    from minprow.runtime.engines import EngineError, local_executor, local_objects
    from minprow.store import open_store

    clock = SystemClock()
    state_dir, _ = _state_dir(options)
    artifacts = options.artifacts_dir or state_dir / "artifacts"
    objects = local_objects(options.secrets_dir, options.configmaps_dir)
    try:
        executor = local_executor(options.executor, state_dir, artifacts, clock, objects)
    except EngineError as err:
        return commands.fail_with(str(err))
    if options.shell is not None:
        from minprow.runtime import run_shell

        why = run_shell.unavailable(executor)
        if why is not None:
            return commands.fail_with(why)
        if options.shell == "before":
            return await run_shell.before(executor, pj, adjust(render(pj)), keep=options.keep)
    async with open_store("memory") as store:
        await store.create(pj)
        plank = Plank(
            store,
            lambda: config,
            ClusterMap(fallback=executor),
            clock,
            poll_interval=POLL,
            artifacts_dir=artifacts,
            adjust_plan=adjust,
        )
        return await _drive(plank, executor, pj.metadata.name, options, interrupts)


async def _drive(
    plank: Plank, executor: Executor, name: str, options: RunOptions, interrupts: Interrupts
) -> int:
    from minprow.model import ProwJobState
    from minprow.plank.timeouts import grace_period

    interrupted = asyncio.Event()
    stop_listening = interrupts.on_stop(interrupted.set)
    job = plank.store.get(name)
    # The first Ctrl-C aborts the job: its grace period, then its logs are collected.
    interrupts.stopping_message = f"aborting {job.spec.job} and collecting its logs"
    interrupts.deadline = grace_period(job).total_seconds() + STOP_MARGIN
    interrupts.left_behind = lambda: _left_behind(executor.name, name)
    printer: asyncio.Task[None] | None = None
    print(f"minprow run: {_describe(job)} as ProwJob {name} on {executor.name}", file=sys.stderr)
    began = time.monotonic()
    aborted = False
    try:
        while True:
            if interrupted.is_set() and not aborted:
                aborted = True
                await plank.store.mutate(name, _aborted_by_user)
            result = await plank.reconcile(name)
            job = plank.store.get(name)
            if printer is None and job.status.state is ProwJobState.PENDING:
                printer = asyncio.create_task(_print_logs(executor, name))
            if job.status.state.is_final and job.status.completion_time is not None:
                break
            # Plank's own delay: a step that keeps failing waits longer each time.
            delay = POLL if result.requeue_after is None else result.requeue_after
            # Wake up early at the first interrupt or when the log stream ends (the
            # process exited); an interrupt already acted on wakes nothing.
            wakers: set[asyncio.Future[Any]] = set()
            if not aborted:
                wakers.add(asyncio.ensure_future(interrupted.wait()))
            if printer is not None and not printer.done():
                wakers.add(printer)
            if wakers:
                await asyncio.wait(wakers, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(delay)
            for waker in wakers - {printer}:
                waker.cancel()
        if printer is not None:
            await asyncio.wait({printer}, timeout=5)
            printer.cancel()
        code = await _exit_code(executor, job)
        if aborted and code == EXIT_INTERRUPTED and interrupts.received is not None:
            code = 128 + interrupts.received  # 143 for SIGTERM, as the shell would say
        _summary(job, time.monotonic() - began)
        if options.shell == "after" and code not in (0, EXIT_INTERRUPTED):
            from minprow.runtime import run_shell

            await run_shell.after(executor, job, plank.plan(job))
        if not options.keep:
            await executor.cleanup(name)
        return code
    finally:
        stop_listening()


def _left_behind(executor: str, name: str) -> str:
    """What a forced exit leaves running, and how to stop it."""
    if executor == "docker":
        return (
            f"the job's containers may still run: "
            f"docker rm -f $(docker ps -aq --filter label=minprow.io/prowjob={name})"
        )
    return f"the job's processes (ProwJob {name}) may still run"


def _describe(job: ProwJob) -> str:
    """The job and what it runs: `pull-x (presubmit of org/repo, PR #7)`, or for
    `--local`, the working tree and its commit rather than a PR number."""
    refs = job.spec.refs
    what = f"{job.spec.type}"
    if refs is not None:
        what += f" of {refs.org_repo}"
        if job.is_local_run:
            sha = (refs.pulls[0].sha if refs.pulls else refs.base_sha) or ""
            what += f", local working tree at {sha[:12]}" + (
                f" on {refs.base_ref}" if refs.base_ref and refs.base_ref != "HEAD" else ""
            )
        elif refs.pulls:
            what += ", " + ", ".join(f"PR #{pull.number}" for pull in refs.pulls)
    return f"{job.spec.job} ({what})"


def _aborted_by_user(pj: ProwJob) -> ProwJob | None:
    from minprow.model import ProwJobState

    if pj.status.state.is_final:
        return None
    pj.status.state = ProwJobState.ABORTED
    pj.status.description = "Aborted by the user (interrupted)."
    return pj


async def _print_logs(executor: Executor, name: str) -> None:
    out = sys.stdout.buffer
    async for chunk in executor.logs(name, follow=True):
        out.write(chunk)
        out.flush()


async def _exit_code(executor: Executor, job: ProwJob) -> int:
    from minprow.model import ProwJobState

    state = job.status.state
    if state is ProwJobState.SUCCESS:
        return 0
    if state is ProwJobState.ABORTED:
        return EXIT_INTERRUPTED
    if state is ProwJobState.FAILURE:
        observed = await executor.observe(job.metadata.name)
        return observed.exit_code or EXIT_ERROR
    return EXIT_ERROR


def _summary(job: ProwJob, seconds: float) -> None:
    status = job.status
    print(
        f"minprow run: {job.spec.job} {status.state} in {seconds:.1f}s: {status.description}",
        file=sys.stderr,
    )
    if status.url:
        print(f"minprow run: logs and artifacts: {status.url}", file=sys.stderr)
