"""The pod calls the Kubernetes executor makes, blocking, on one build cluster's client.

The client behind them is rebuilt whenever the context's ClusterConfig
changes fingerprint (the kubeconfig agent re-read a rotated token or
certificate), so new credentials apply to the next call without a restart.
Each call has its own timeout (connect, read) and no urllib3 retries: a dead
cluster costs one timeout, not four, and the executor's breaker decides what
happens next. Answers are read as raw JSON (`_preload_content=False`): the
executor keeps pods as the API server's dicts, and 2,000 pods parse in a
fraction of the time the generated models take.

Corresponds to what Prow's plank does with a build cluster's ctrlruntime
client (`Create`, `Delete` of pods) and its pod informer (list + watch).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from typing import Any

import urllib3.exceptions
from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException

from minprow.kube.kubeconfig import ClusterConfig

Pod = dict[str, Any]
Timeout = tuple[float, float]
FOLLOW_READ_TIMEOUT = 24 * 3600.0
"""A followed log may be quiet as long as a job runs (the client takes no "none")."""


def status_of(err: ApiException) -> tuple[int, str, str]:
    """An API error's code, reason and message (from its `Status` body when there is one)."""
    code = int(err.status or 0)
    reason, message = str(err.reason or ""), ""
    try:
        body = json.loads(err.body) if err.body else {}
    except (TypeError, ValueError):
        body = {}
    if isinstance(body, dict):
        reason = str(body.get("reason") or reason)
        message = str(body.get("message") or "")
    return code, reason, message


def describe_error(err: BaseException) -> str:
    """A connection failure in one line: urllib3's retry wrapper unwrapped."""
    reason = getattr(err, "reason", None)
    if isinstance(reason, BaseException):
        return describe_error(reason)
    return f"{type(err).__name__}: {err}"


UNAVAILABLE = frozenset({0, 502, 503, 504})
"""HTTP answers that mean the API server is not really there (0: no answer at all)."""


def unreachable(err: BaseException) -> bool:
    """Whether `err` says the API server did not answer, rather than answered no."""
    if isinstance(err, ApiException):
        return int(err.status or 0) in UNAVAILABLE
    return isinstance(err, urllib3.exceptions.HTTPError | OSError)


class PodClient:
    """Pod calls against the current client of one context."""

    def __init__(
        self, config: Callable[[], ClusterConfig], *, pool_size: int, timeout: Timeout
    ) -> None:
        self._config = config
        self._pool_size = pool_size
        self.timeout = timeout
        self._lock = threading.Lock()
        self._fingerprint = ""
        self._api: CoreV1Api | None = None

    def core(self) -> Any:
        """The CoreV1Api of the context's current configuration.

        Typed Any: its calls are made with `_preload_content=False`, which
        returns the raw response rather than the models its stubs promise."""
        cfg = self._config()
        with self._lock:
            if self._api is None or cfg.fingerprint != self._fingerprint:
                conf = copy.copy(cfg.configuration)
                conf.retries = 0  # the breaker retries, not urllib3
                conf.connection_pool_maxsize = self._pool_size
                # In-flight calls keep the old client until they end; it is
                # closed when the last of them drops it.
                self._api = CoreV1Api(ApiClient(conf))
                self._fingerprint = cfg.fingerprint
            return self._api

    def list_pods(self, namespace: str, selector: str) -> tuple[list[Pod], str]:
        response = self.core().list_namespaced_pod(
            namespace,
            label_selector=selector,
            _preload_content=False,
            _request_timeout=self.timeout,
        )
        body = json.loads(response.data)
        return list(body.get("items") or []), str(body["metadata"].get("resourceVersion", ""))

    def watch_pods(
        self, namespace: str, selector: str, resource_version: str, timeout_seconds: int
    ) -> Any:
        """The open watch response (newline-delimited events); the caller reads and closes it."""
        # The read timeout is longer than the server's own: a quiet watch ends
        # at timeoutSeconds, a black-holed one at the read timeout.
        return self.core().list_namespaced_pod(
            namespace,
            label_selector=selector,
            watch=True,
            resource_version=resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=timeout_seconds,
            _preload_content=False,
            _request_timeout=(self.timeout[0], timeout_seconds + self.timeout[1]),
        )

    def create_pod(self, namespace: str, pod: Pod) -> Pod | None:
        """The created pod, or None when one of that name exists already."""
        try:
            response = self.core().create_namespaced_pod(
                namespace, pod, _preload_content=False, _request_timeout=self.timeout
            )
        except ApiException as err:
            if status_of(err)[1] == "AlreadyExists":
                return None
            raise
        created: Pod = json.loads(response.data)
        return created

    def delete_pod(self, namespace: str, name: str, grace_seconds: int | None) -> bool:
        """Delete the pod; False when it was gone already."""
        try:
            self.core().delete_namespaced_pod(
                name,
                namespace,
                grace_period_seconds=grace_seconds,
                _preload_content=False,
                _request_timeout=self.timeout,
            )
        except ApiException as err:
            if err.status == 404:
                return False
            raise
        return True

    def open_log(self, namespace: str, name: str, container: str, follow: bool) -> Any:
        """The log response, streaming; a follow reads for as long as the container runs."""
        return self.core().read_namespaced_pod_log(
            name,
            namespace,
            container=container,
            follow=follow,
            _preload_content=False,
            _request_timeout=(self.timeout[0], FOLLOW_READ_TIMEOUT) if follow else self.timeout,
        )
