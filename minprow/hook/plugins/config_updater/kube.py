"""config-updater's ConfigMaps in the clusters (Prow's `Update`).

Corresponds to `Update` and `GetConfigMapClient` of Prow's
pkg/plugins/updateconfig/updateconfig.go: the ConfigMap is read (created when
missing, labelled `app.kubernetes.io/name: prow`,
`app.kubernetes.io/component: updateconfig-plugin`), each key set (gzipped
when asked) or removed, a value that is valid UTF-8 kept in `data` and any
other in `binaryData`, and the merge commit written under `VERSION`.

Unlike Prow, a ConfigMap that already holds exactly this is not written again
(a merge delivered twice changes nothing the second time), a write races
another writer by resourceVersion and retries on 409, and the 1 MiB limit is
checked before sending so the error names the keys that make it too big.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from minprow.hook.plugins.config_updater.changes import ConfigMapID
from minprow.hook.plugins.config_updater.targets import Applied, ConfigMapError, KeyContent
from minprow.kube.corecalls import Refused, Unreachable, core_json

if TYPE_CHECKING:
    from minprow.store.kube import ApiClientFactory

log = logging.getLogger("minprow.hook")

VERSION_KEY = "VERSION"
"""Prow's `config.ConfigVersionFileName`: the commit the ConfigMap was made from."""
LABELS = {"app.kubernetes.io/name": "prow", "app.kubernetes.io/component": "updateconfig-plugin"}
MAX_SIZE = 1024 * 1024
"""kube-apiserver's `core.MaxSecretSize`, which bounds a ConfigMap's values too."""
_ATTEMPTS = 5
_TIMEOUT = 10.0


class KubeConfigMaps:
    """ConfigMaps in the cluster `clients(cluster)` reaches (None: no such cluster)."""

    def __init__(self, clients: Callable[[str], ApiClientFactory | None]) -> None:
        self._clients = clients

    async def apply(
        self, target: ConfigMapID, contents: Sequence[KeyContent], sha: str
    ) -> Applied | None:
        from kubernetes.client import CoreV1Api

        factory = self._clients(target.cluster)
        if factory is None:
            raise ConfigMapError(
                f"no Kubernetes client for cluster {target.cluster!r}: "
                "no kubeconfig context has that name"
            )
        where = describe(target)
        api_client = factory()
        try:
            core = CoreV1Api(api_client)
            for _ in range(_ATTEMPTS):
                try:
                    return await self._apply_once(core, target, contents, sha, where)
                except Refused as err:
                    if err.code != 409:
                        raise ConfigMapError(f"{where}: {_refusal(err)}") from err
                    log.info("%s changed while being updated; trying again", where)
                except Unreachable as err:
                    raise ConfigMapError(f"{where}: {err}") from err
            raise ConfigMapError(f"{where}: kept changing under the update ({_ATTEMPTS} tries)")
        finally:
            await asyncio.to_thread(api_client.close)

    async def _apply_once(
        self,
        core: Any,
        target: ConfigMapID,
        contents: Sequence[KeyContent],
        sha: str,
        where: str,
    ) -> Applied:
        name, namespace = target.name, target.namespace
        try:
            current: dict[str, Any] | None = await core_json(
                core, "read_namespaced_config_map", name, namespace, request_timeout=_TIMEOUT
            )
        except Refused as err:
            if err.code != 404:
                raise
            current = None
        data, binary = updated_values(current, contents, sha)
        _check_size(where, data, binary, contents)
        if current is not None and (
            (current.get("data") or {}) == data and (current.get("binaryData") or {}) == binary
        ):
            return Applied(where, changed=False)
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(LABELS)},
            "data": data,
            "binaryData": binary,
        }
        if current is None:
            await core_json(
                core, "create_namespaced_config_map", namespace, body, request_timeout=_TIMEOUT
            )
        else:
            meta = current.get("metadata") or {}
            body["metadata"] = {
                **meta,
                "labels": meta.get("labels") or dict(LABELS),
                "resourceVersion": meta.get("resourceVersion"),
            }
            await core_json(
                core,
                "replace_namespaced_config_map",
                name,
                namespace,
                body,
                request_timeout=_TIMEOUT,
            )
        return Applied(where, changed=True)


def describe(target: ConfigMapID) -> str:
    """The ConfigMap in words, for logs and the comment."""
    return (
        f"ConfigMap `{target.name}` in namespace `{target.namespace}` of cluster `{target.cluster}`"
    )


def updated_values(
    current: dict[str, Any] | None, contents: Sequence[KeyContent], sha: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The ConfigMap's `data` and `binaryData` (base64, as on the wire) after the update."""
    data = dict((current or {}).get("data") or {})
    binary = dict((current or {}).get("binaryData") or {})
    if sha:
        data[VERSION_KEY] = sha
    for item in contents:
        data.pop(item.key, None)
        binary.pop(item.key, None)
        if item.content is None:
            continue
        value = gzip.compress(item.content, 6, mtime=0) if item.gzip else item.content
        try:
            data[item.key] = value.decode("utf-8")
        except UnicodeDecodeError:
            binary[item.key] = base64.b64encode(value).decode("ascii")
    return data, binary


def _check_size(
    where: str, data: dict[str, str], binary: dict[str, str], contents: Sequence[KeyContent]
) -> None:
    sizes = {k: len(v.encode()) for k, v in data.items()}
    sizes.update({k: len(base64.b64decode(v)) for k, v in binary.items()})
    total = sum(sizes.values())
    if total <= MAX_SIZE:
        return
    ours = sorted(
        ((sizes.get(c.key, 0), c) for c in contents if c.content is not None),
        key=lambda pair: -pair[0],
    )
    largest = ", ".join(f"`{c.key}` from `{c.filename}` ({size:,} bytes)" for size, c in ours[:3])
    hint = " (try `gzip: true` for these files)" if not all(c.gzip for _, c in ours) else ""
    raise ConfigMapError(
        f"{where} would hold {total:,} bytes, over the {MAX_SIZE:,} bytes Kubernetes "
        f"allows a ConfigMap; the largest keys updated: {largest}{hint}"
    )


def _refusal(err: Refused) -> str:
    if err.too_big:
        return f"the API server refused it as too large: {err.message}"
    if err.code in (401, 403):
        return f"not allowed ({err.code} {err.reason}): {err.message}; hook's account needs configmaps get, create and update there"
    return str(err)
