"""A pod's volumes as a local engine mounts them.

Every volume kind Prow jobs use, read as the kubelet reads it, turned into one
of five local sources (`LocalVolume.kind`):

| pod volume | locally |
| --- | --- |
| emptyDir | a fresh directory of the job's workspace, writable by anyone; `medium: Memory` is a tmpfs of `sizeLimit` |
| hostPath | a bind mount of the path on this machine, its `type` checked (or the path made, for `...OrCreate`) |
| secret, configMap, projected, downwardAPI | files written into the workspace (keys or `items`, modes from `defaultMode`/`mode`), mounted read-only |
| persistentVolumeClaim | a directory named after the claim, kept between runs |

Secrets and ConfigMaps come from `LocalObjects`. What is missing and not
optional is collected as lines saying where to put it, so a run stops with all
of them at once; a kind no local engine can mount is a `VolumeError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from minprow.podutils.downward import FieldError, field_value, resource_value
from minprow.podutils.localenv import LocalContext
from minprow.podutils.quantity import QuantityError, parse_quantity, value

DEFAULT_MODE = 0o644
"""Kubernetes' `defaultMode` for secret, configMap, projected and downwardAPI files."""
PLACEHOLDER_TOKEN = b"minprow-local-run-placeholder-token"
"""The content of a projected serviceAccountToken: no cluster issues one for a local run."""
HOST_PATH_TYPES = (
    "",
    "DirectoryOrCreate",
    "Directory",
    "FileOrCreate",
    "File",
    "Socket",
    "CharDevice",
    "BlockDevice",
)


class VolumeError(ValueError):
    """A volume or mount no local engine can provide: names the volume."""


@dataclass(frozen=True)
class LocalFile:
    """One file of a generated volume: its path inside the volume, bytes and mode."""

    path: str
    content: bytes
    mode: int


@dataclass(frozen=True)
class LocalVolume:
    """One pod volume, as this machine provides it."""

    name: str
    kind: str
    """emptyDir, tmpfs, hostPath, files or claim."""
    describe: str
    """What it is, for people: `secret service-account`, `hostPath /lib/modules (Directory)`."""
    path: str = ""
    """hostPath: the path on this machine; claim: the claim's name."""
    host_type: str = ""
    size: int | None = None
    """tmpfs: its size limit in bytes."""
    files: tuple[LocalFile, ...] = ()
    secret: bool = False
    """Its files hold secret values (never printed)."""


@dataclass(frozen=True)
class LocalMount:
    """A volumeMount of a container."""

    volume: str
    target: str
    sub_path: str = ""
    read_only: bool = False


def local_volumes(volumes: list[dict[str, Any]], ctx: LocalContext) -> list[LocalVolume]:
    """Each pod volume as a LocalVolume; VolumeError for one no engine here can mount."""
    return [_volume(raw, ctx) for raw in volumes]


def _volume(raw: dict[str, Any], ctx: LocalContext) -> LocalVolume:
    name = str(raw.get("name") or "")
    kinds = [key for key in raw if key != "name" and raw[key] is not None]
    if len(kinds) != 1:
        raise VolumeError(f"volume {name!r} must have exactly one source, has {kinds or 'none'}")
    kind = kinds[0]
    source = raw[kind] or {}
    where = f"volume {name!r}"
    if kind == "emptyDir":
        return _empty_dir(name, source, ctx)
    if kind == "hostPath":
        host_type = str(source.get("type") or "")
        if host_type not in HOST_PATH_TYPES:
            raise VolumeError(f"{where}: hostPath type {host_type!r} is not a Kubernetes one")
        path = str(source.get("path") or "")
        if not PurePosixPath(path).is_absolute():
            raise VolumeError(f"{where}: hostPath path {path!r} is not absolute")
        if ".." in path.split("/"):
            raise VolumeError(f"{where}: hostPath path {path!r} must not contain '..'")
        shown = f"hostPath {path}" + (f" ({host_type})" if host_type else "")
        return LocalVolume(name, "hostPath", shown, path=path, host_type=host_type)
    if kind == "persistentVolumeClaim":
        claim = str(source.get("claimName") or "")
        if not claim or "/" in claim or claim in (".", ".."):
            raise VolumeError(f"{where}: persistentVolumeClaim needs a claimName")
        return LocalVolume(name, "claim", f"persistentVolumeClaim {claim}", path=claim)
    mode = _mode(source.get("defaultMode"), where)
    if kind == "secret":
        obj = str(source.get("secretName") or "")
        files = _object_files("secret", obj, source, mode, where, ctx)
        return LocalVolume(name, "files", f"secret {obj}", files=tuple(files), secret=True)
    if kind == "configMap":
        obj = str(source.get("name") or "")
        files = _object_files("configMap", obj, source, mode, where, ctx)
        return LocalVolume(name, "files", f"configMap {obj}", files=tuple(files))
    if kind == "downwardAPI":
        files = _downward_files(source.get("items") or [], mode, where, ctx)
        return LocalVolume(name, "files", "downwardAPI", files=tuple(files))
    if kind == "projected":
        return _projected(name, source, mode, ctx)
    raise VolumeError(
        f"{where}: {kind} volumes cannot be mounted on this machine (a local run mounts "
        "emptyDir, hostPath, secret, configMap, projected, downwardAPI and "
        "persistentVolumeClaim volumes)"
    )


def _empty_dir(name: str, source: dict[str, Any], ctx: LocalContext) -> LocalVolume:
    size: int | None = None
    if source.get("sizeLimit") is not None:
        try:
            size = value(parse_quantity(source["sizeLimit"]))
        except QuantityError as err:
            raise VolumeError(f"volume {name!r}: sizeLimit: {err}") from err
    if source.get("medium") == "Memory":
        return LocalVolume(name, "tmpfs", "emptyDir (memory)", size=size)
    if source.get("medium") not in (None, ""):
        raise VolumeError(f"volume {name!r}: emptyDir medium {source['medium']!r} is unknown")
    if size is not None:
        ctx.notes.append(
            f"volume {name!r}: the emptyDir's sizeLimit ({source['sizeLimit']}) is not "
            "enforced on this machine's disk"
        )
    return LocalVolume(name, "emptyDir", "emptyDir")


def _mode(raw: object, where: str) -> int:
    if raw is None:
        return DEFAULT_MODE
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 0o777:
        raise VolumeError(f"{where}: mode {raw!r} must be a number from 0 to 0777")
    return raw


def _item_path(raw: object, where: str) -> str:
    path = str(raw or "")
    parts = PurePosixPath(path).parts
    if not path or PurePosixPath(path).is_absolute() or ".." in parts:
        raise VolumeError(f"{where}: item path {path!r} must be relative, without '..'")
    return path


def _object_files(
    kind: str,
    obj: str,
    source: dict[str, Any],
    mode: int,
    where: str,
    ctx: LocalContext,
) -> list[LocalFile]:
    optional = bool(source.get("optional"))
    data = ctx.objects.read(kind, obj)
    folder = ctx.objects.folder(kind, obj)
    if data is None:
        if not optional:
            ctx.missing.append(
                f"{where} needs {kind} {obj!r}: make the folder {folder} with one file per key"
            )
        return []
    items = source.get("items")
    if not items:
        return [LocalFile(key, content, mode) for key, content in data.items()]
    files: list[LocalFile] = []
    for item in items:
        key = str(item.get("key") or "")
        if key not in data:
            if not optional:
                ctx.missing.append(
                    f"{where} needs key {key!r} of {kind} {obj!r}: put it in {folder / key}"
                )
            continue
        item_mode = _mode(item.get("mode"), where) if item.get("mode") is not None else mode
        files.append(LocalFile(_item_path(item.get("path"), where), data[key], item_mode))
    return files


def _downward_files(
    items: list[dict[str, Any]], mode: int, where: str, ctx: LocalContext
) -> list[LocalFile]:
    files: list[LocalFile] = []
    for item in items:
        path = _item_path(item.get("path"), where)
        item_mode = _mode(item.get("mode"), where) if item.get("mode") is not None else mode
        try:
            if item.get("fieldRef"):
                text = field_value(
                    str(item["fieldRef"].get("fieldPath") or ""), ctx.pod, ctx.host, volume=True
                )
            elif item.get("resourceFieldRef"):
                ref = item["resourceFieldRef"]
                resources = ctx.resources.get(str(ref.get("containerName") or ""))
                if resources is None:
                    raise FieldError(
                        f"resourceFieldRef names container {ref.get('containerName')!r}, "
                        "which the pod does not have"
                    )
                text = resource_value(ref, resources, ctx.host)
            else:
                raise FieldError("an item needs a fieldRef or a resourceFieldRef")
        except FieldError as err:
            raise VolumeError(f"{where}: {path}: {err}") from err
        files.append(LocalFile(path, text.encode(), item_mode))
    return files


def _projected(name: str, source: dict[str, Any], mode: int, ctx: LocalContext) -> LocalVolume:
    where = f"volume {name!r}"
    files: list[LocalFile] = []
    parts: list[str] = []
    secret = False
    for projection in source.get("sources") or []:
        if projection.get("secret") is not None:
            obj = str(projection["secret"].get("name") or "")
            files += _object_files("secret", obj, projection["secret"], mode, where, ctx)
            parts.append(f"secret {obj}")
            secret = True
        elif projection.get("configMap") is not None:
            obj = str(projection["configMap"].get("name") or "")
            files += _object_files("configMap", obj, projection["configMap"], mode, where, ctx)
            parts.append(f"configMap {obj}")
        elif projection.get("downwardAPI") is not None:
            items = projection["downwardAPI"].get("items") or []
            files += _downward_files(items, mode, where, ctx)
            parts.append("downwardAPI")
        elif projection.get("serviceAccountToken") is not None:
            path = _item_path(projection["serviceAccountToken"].get("path"), where)
            files.append(LocalFile(path, PLACEHOLDER_TOKEN, mode))
            parts.append("serviceAccountToken")
            ctx.notes.append(
                f"volume {name!r}: {path} holds a placeholder, not a service account token: "
                "no cluster issues one for a local run, so calls that need it will be refused"
            )
        else:
            kinds = ", ".join(sorted(projection)) or "nothing"
            raise VolumeError(f"{where}: a projected source of {kinds} cannot be made locally")
    shown = "projected (" + ", ".join(parts) + ")"
    return LocalVolume(name, "files", shown, files=tuple(files), secret=secret)


def local_mounts(
    container: str, raw_mounts: list[dict[str, Any]], volumes: dict[str, LocalVolume]
) -> list[LocalMount]:
    """A container's volumeMounts (subPathExpr already expanded into subPath)."""
    mounts: list[LocalMount] = []
    for raw in raw_mounts:
        name = str(raw.get("name") or "")
        where = f"container {container!r}: volumeMount {name!r}"
        volume = volumes.get(name)
        if volume is None:
            raise VolumeError(f"{where} names no volume of the pod")
        target = str(raw.get("mountPath") or "")
        if not PurePosixPath(target).is_absolute():
            raise VolumeError(f"{where}: mountPath {target!r} is not absolute")
        sub_path = str(raw.get("subPath") or "")
        if sub_path and (PurePosixPath(sub_path).is_absolute() or ".." in sub_path.split("/")):
            raise VolumeError(f"{where}: subPath {sub_path!r} must be relative, without '..'")
        if sub_path and volume.kind == "tmpfs":
            raise VolumeError(f"{where}: a memory emptyDir cannot be mounted by subPath here")
        read_only = bool(raw.get("readOnly")) or volume.kind == "files"
        mounts.append(LocalMount(name, target, sub_path, read_only))
    return mounts
