"""Plank's loop: watch the JobStore and reconcile each job that changed, in parallel.

As Prow's plank controller: every change to a ProwJob queues it; workers
(`plank.max_goroutines` of them, Prow's default 20) take one job at a time from
the queue, so work is serialised per job and parallel across jobs; a job that
must be looked at again later (a running process, a concurrency limit) is
re-queued after a delay. At start every unfinished job is queued, which is how
a restarted minprow re-adopts what it was running.
"""

from __future__ import annotations

import asyncio
import logging

from minprow.aio.workqueue import WorkQueue
from minprow.model import ProwJob, ProwJobState
from minprow.plank.reconciler import Plank
from minprow.store import EventType, WatchExpired

log = logging.getLogger("minprow.plank")

RETRY_AFTER_ERROR = 5.0


def _needs_work(job: ProwJob) -> bool:
    state = job.status.state
    return not state.is_final or (
        state is ProwJobState.ABORTED and job.status.completion_time is None
    )


async def run(plank: Plank) -> None:
    """Reconcile ProwJobs until cancelled."""
    queue = WorkQueue()
    workers = [
        asyncio.create_task(_worker(plank, queue), name=f"plank-worker-{i}")
        for i in range(max(1, plank.config().plank.max_goroutines))
    ]
    try:
        while True:
            watch = plank.store.watch()
            for job in plank.store.list():
                if _needs_work(job):
                    queue.add(job.metadata.name)
            try:
                async for event in watch:
                    if event.type is EventType.DELETED:
                        continue
                    if _needs_work(event.object):
                        queue.add(event.object.metadata.name)
                    elif event.object.status.state.is_final:
                        # A finished job may free a concurrency slot: look at the waiting ones.
                        for waiting in plank.store.list(state=ProwJobState.TRIGGERED):
                            queue.add(waiting.metadata.name)
            except WatchExpired as expired:
                log.info("plank's watch expired (%s); listing again", expired)
            finally:
                watch.close()
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        queue.close()


async def _worker(plank: Plank, queue: WorkQueue) -> None:
    while True:
        name = await queue.get()
        try:
            result = await plank.reconcile(name)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Never lose a job to a bug: log it and look again later.
            log.exception("reconciling ProwJob %s failed; retrying", name)
            queue.add_after(name, RETRY_AFTER_ERROR)
        else:
            if result.requeue_after is not None:
                queue.add_after(name, result.requeue_after)
        finally:
            queue.done(name)
