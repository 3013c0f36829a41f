"""Calls of the core API (`CoreV1Api`) from asyncio, answered as JSON.

The official `kubernetes` client is synchronous: a call runs in a worker
thread with a timeout, so an unreachable API server is an error in seconds,
never a hung event loop. Its answer is read as the JSON the server sent
(`_preload_content=False`), not the client's models, so fields keep the wire's
names (`binaryData`, `resourceVersion`). Shared by the webhook inbox and the
config-updater plugin, the two writers of ConfigMaps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import urllib3.exceptions
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

MESSAGE_LIMIT = 500
"""Characters of an API server message kept in an error."""


class Refused(Exception):
    """The API server answered, and not with success: its code, reason and message."""

    def __init__(self, err: ApiException) -> None:
        self.code = int(err.status or 0)
        self.reason, self.message = str(err.reason or ""), ""
        try:
            body = json.loads(err.body) if err.body else {}
        except (TypeError, ValueError):
            body = {}
        if isinstance(body, dict):  # a metav1.Status
            self.reason = str(body.get("reason") or self.reason)
            self.message = str(body.get("message") or "")[:MESSAGE_LIMIT]
        super().__init__(f"{self.code} {self.reason}: {self.message}")

    @property
    def too_big(self) -> bool:
        """The object (413: the request) is over the API server's size limit."""
        return self.code == 413 or (self.code == 422 and "Too long" in self.message)


class Unreachable(Exception):
    """The API server did not answer (or not with JSON); the message says how."""


def transport_error(err: BaseException) -> str:
    """A connection failure in one line (urllib3's retry wrapper unwrapped)."""
    reason = getattr(err, "reason", None)
    if isinstance(reason, BaseException):
        return transport_error(reason)
    return f"{type(err).__name__}: {err}"


async def core_json(
    core: CoreV1Api,
    method: str,
    *args: Any,
    request_timeout: float | tuple[float, float],
    **kwargs: Any,
) -> dict[str, Any]:
    """The JSON answer of `core.<method>(*args, **kwargs)`, made in a worker thread.

    Raises `Refused` when the API server answers no, `Unreachable` when it does
    not answer (or not with a JSON object)."""
    call: Callable[..., Any] = getattr(core, method)

    def run() -> Any:
        response = call(*args, _preload_content=False, _request_timeout=request_timeout, **kwargs)
        return json.loads(response.data)

    try:
        answer = await asyncio.to_thread(run)
    except ApiException as err:
        raise Refused(err) from err
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as err:
        raise Unreachable(
            f"the Kubernetes API server did not answer: {transport_error(err)}"
        ) from err
    if not isinstance(answer, dict):
        raise Unreachable(f"the API server answered {type(answer).__name__}, not an object")
    return answer
