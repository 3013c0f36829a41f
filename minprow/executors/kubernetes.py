"""The kubernetes executor: ProwJobs as pods in one federated build cluster.

What Prow's plank does with a build cluster (pkg/plank/reconciler.go), for
the kubeconfig context a job's `cluster` names; one executor per context, so
each build cluster is reconciled in isolation:

- **start** creates the pod Prow would create (`podutils.podspec.pod_for`:
  named after the ProwJob, Prow's labels and annotations, env, decoration init
  containers and sidecar) in the pod namespace; AlreadyExists means an
  earlier start did it. A request the API server refuses (400, 404, 422) is a
  StartError: the job is an error, as in Prow's `isRequestError`.
- **observe** and **list_managed** read an in-memory pod cache kept by a
  list+watch (`_kubecache`), as Prow's plank reads an informer, so a sweep of
  thousands of pending jobs makes no API call.
- **logs** reads the test container's log through the API (`follow` too),
  **abort** deletes the pod with the grace period, **cleanup** deletes it.
- **collect** does nothing: a decorated pod's sidecar uploads its build log,
  metadata and artifacts itself before the pod ends, so there is nothing left
  for minprow to copy; an undecorated pod uploads nothing, in Prow too.
- **The decoration timeout** is enforced inside the pod by the entrypoint
  (`decoration_timeout_in_job`); plank keeps the pod pending, unscheduled and
  running timeouts, as Prow's plank does.

Isolation: every call runs on this executor's own threads (the kubernetes
client blocks; asyncio's default pool would fill with calls to a dead
cluster), with its own timeouts. A call with no answer within `slow_after`
seconds opens the cluster's breaker (`_kubebreaker`) and returns an
ExecutorError at once, so a plank worker is never held longer than that;
further calls fail fast until a probe gets an answer. The credentials are
re-read from the ClusterConfig getter at every call: a rotated token applies
without a restart.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from minprow.aio import Clock
from minprow.executors import _kubepods as pods
from minprow.executors._kubebreaker import Breaker
from minprow.executors._kubecache import PodCache
from minprow.executors._kubeclient import (
    PodClient,
    Timeout,
    describe_error,
    status_of,
    unreachable,
)
from minprow.executors._threadstream import stream_in_thread
from minprow.executors.base import ExecutorError, Managed, Observation, Phase, StartError
from minprow.kube.health import ClusterHealth
from minprow.kube.kubeconfig import ClusterConfig
from minprow.model import ProwJob
from minprow.podutils.render import RunPlan

__all__ = ["KubernetesExecutor"]

THREADS = 8
"""Concurrent API calls per cluster."""
REQUEST_TIMEOUT: Timeout = (5.0, 30.0)
"""Connect and read timeouts of one API call."""
SLOW_AFTER = 1.0
"""Seconds a call may go unanswered before the cluster counts as unreachable."""
REFUSED = {400, 404, 422}
"""Answers to a pod creation that no retry changes (a bad spec, no such namespace)."""
_LOOK_EVERY = 0.05
"""Seconds between looks at a waiting call's age and its cluster's breaker."""
_T = TypeVar("_T")


class KubernetesExecutor:
    """Runs ProwJobs as pods of one build cluster context (see the module docstring)."""

    workload = "pod"
    decoration_timeout_in_job = True
    """Prow's entrypoint in the pod stops the test at the decoration timeout; plank must not."""

    def __init__(
        self,
        context: str,
        config: Callable[[], ClusterConfig],
        namespace: Callable[[], str],
        podutils_image: str,
        clock: Clock,
        *,
        threads: int = THREADS,
        request_timeout: Timeout = REQUEST_TIMEOUT,
        slow_after: float = SLOW_AFTER,
        breaker: Breaker | None = None,
    ) -> None:
        self.context = context
        self.name = f"kubernetes/{context}"
        self._config = config
        self._namespace = namespace
        self._podutils_image = podutils_image
        self._clock = clock
        self._slow_after = slow_after
        self.breaker = breaker or Breaker(context, clock)
        self._client = PodClient(self._current, pool_size=threads + 2, timeout=request_timeout)
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix=f"kube-{context}")
        self._cache: PodCache | None = None
        self._cache_lock = threading.Lock()

    # lifecycle

    def cache(self) -> PodCache:
        """The pod cache of the current pod namespace, started on first use."""
        namespace = self._namespace()
        with self._cache_lock:
            if self._cache is None or self._cache.namespace != namespace:
                if self._cache is not None:
                    self._cache.stop()
                self._cache = PodCache(
                    self._client,
                    namespace,
                    on_success=self.breaker.succeeded,
                    on_failure=self.breaker.failed,
                    name=f"kube-watch-{self.context}",
                )
                self._cache.start()
            return self._cache

    async def wait_synced(self, seconds: float) -> bool:
        """Wait (at most `seconds`) for the pod cache's first list."""
        cache = self.cache()
        # Polled, not waited for in a thread: no thread is held for a dead cluster.
        for _ in range(math.ceil(seconds / _LOOK_EVERY)):
            if cache.synced.is_set():
                break
            await asyncio.sleep(_LOOK_EVERY)
        return cache.synced.is_set()

    def close(self) -> None:
        """Stop the watch and the call threads (calls in flight end at their timeout)."""
        with self._cache_lock:
            if self._cache is not None:
                self._cache.stop()
                self._cache = None
        self._threads.shutdown(wait=False, cancel_futures=True)

    def health(self) -> ClusterHealth:
        try:
            cfg = self._current()
        except ExecutorError:
            return self.breaker.health("", None)
        return self.breaker.health(cfg.server, cfg.expires_at)

    def _current(self) -> ClusterConfig:
        try:
            return self._config()
        except (KeyError, LookupError) as err:
            # The kubeconfig files were re-read without this context.
            raise ExecutorError(
                f"{self.name}: context {self.context!r} is no longer in the kubeconfig files"
            ) from err

    # the protocol

    def unavailable(self) -> str | None:
        return self.breaker.blocked()

    async def start(self, job: ProwJob, plan: RunPlan) -> None:
        from minprow.podutils.podspec import pod_for

        cache = self.cache()
        name = job.metadata.name
        if cache.get(name) is not None:
            return
        pod = pod_for(job, plan, podutils_image=self._podutils_image, namespace=cache.namespace)

        def create(client: PodClient) -> Any:
            try:
                return client.create_pod(cache.namespace, pod)
            except ApiException as err:
                code, reason, message = status_of(err)
                if code in REFUSED:
                    raise StartError(f"{self.name} refused the pod: {reason}: {message}") from err
                raise

        created = await self._call(create, "create the pod")
        if created is not None:
            cache.created(created)

    async def observe(self, prowjob: str) -> Observation:
        pod = self._synced_cache().get(prowjob)
        if pod is None:
            return Observation(Phase.MISSING)
        return pods.observation(pod)

    async def logs(self, prowjob: str, *, follow: bool = False) -> AsyncIterator[bytes]:
        cache = self.cache()
        pod = cache.get(prowjob)
        container = pods.test_container(pod) if pod is not None else "test"

        def open_log(client: PodClient) -> Any:
            try:
                return client.open_log(cache.namespace, prowjob, container, follow)
            except ApiException as err:
                if err.status in (400, 404):
                    return None  # no such pod, or it has not started: no log yet
                raise

        response = await self._call(open_log, "read the log")
        if response is None:
            return

        def chunks() -> Iterator[bytes]:
            yield from response.stream(64 * 1024, decode_content=True)

        def close() -> None:
            getattr(response, "shutdown", response.close)()

        try:
            async for chunk in stream_in_thread(chunks(), close, name=f"logs {prowjob}"):
                yield chunk
        except (urllib3.exceptions.HTTPError, OSError) as err:
            raise ExecutorError(f"{self.name}: reading the log of {prowjob}: {err}") from err
        finally:
            response.release_conn()

    async def abort(self, prowjob: str, grace_period: timedelta) -> None:
        namespace = self.cache().namespace
        seconds = max(0, math.ceil(grace_period.total_seconds()))
        await self._call(lambda c: c.delete_pod(namespace, prowjob, seconds), "delete the pod")

    async def collect(self, job: ProwJob, plan: RunPlan) -> None:
        """Nothing to do: the pod's sidecar uploaded everything (see the module docstring)."""

    async def cleanup(self, prowjob: str) -> None:
        cache = self.cache()
        await self._call(lambda c: c.delete_pod(cache.namespace, prowjob, None), "delete the pod")
        cache.deleted(prowjob)

    async def list_managed(self) -> list[Managed]:
        found = [pods.managed(pod) for pod in self._synced_cache().pods()]
        return sorted(found, key=lambda m: m.prowjob)

    # the calls

    def _synced_cache(self) -> PodCache:
        cache = self.cache()
        # A stale cache of a dead cluster would time jobs out that may be fine.
        self.breaker.check()
        if not cache.synced.is_set():
            raise ExecutorError(f"{self.name}: the pod cache has not listed the pods yet")
        return cache

    async def _call(self, call: Callable[[PodClient], _T], what: str) -> _T:
        """Run `call` on this cluster's threads, guarded by its breaker (see the docstring)."""
        probe = self.breaker.admit()
        loop = asyncio.get_running_loop()
        # The wait counts from here, a wait for a free thread included: the
        # threads of a cluster that stopped answering are all stuck in calls.
        give_up = loop.time() + self._slow_after
        future = loop.run_in_executor(self._threads, self._in_thread, call, what, probe)
        while True:
            done, _ = await asyncio.wait({future}, timeout=_LOOK_EVERY)
            if done:
                return future.result()
            try:
                if not probe:
                    # Another call found the cluster dead meanwhile: give up at once.
                    self.breaker.check()
                if loop.time() >= give_up:
                    raise self.breaker.failed(f"no answer to {what} within {self._slow_after:g}s")
            except ExecutorError:
                future.add_done_callback(_discard)
                raise

    def _in_thread(self, call: Callable[[PodClient], _T], what: str, probe: bool) -> _T:
        try:
            if not probe:
                self.breaker.check()  # it opened while this call waited for a thread
            try:
                result = call(self._client)
            except StartError:
                self.breaker.succeeded()  # refused by the server: it answered
                raise
            except ApiException as err:
                code, reason, message = status_of(err)
                if unreachable(err):
                    raise self.breaker.failed(f"{what}: {code} {reason}") from err
                self.breaker.succeeded()
                raise ExecutorError(f"{self.name}: {what}: {code} {reason}: {message}") from err
            except (urllib3.exceptions.HTTPError, OSError) as err:
                raise self.breaker.failed(f"{what}: {describe_error(err)}") from err
            self.breaker.succeeded()
            return result
        finally:
            if probe:
                self.breaker.release()


def _discard(future: asyncio.Future[Any]) -> None:
    # The caller has gone (a slow call): its late result or error is nobody's.
    if not future.cancelled():
        future.exception()
