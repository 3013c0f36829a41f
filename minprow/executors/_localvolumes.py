"""The pod's volumes made on this machine, for the docker executor.

`podutils.localpod.localize` decided what each volume is (see
podutils/localvolumes.py); this module makes it exist just before the
containers are created, and turns each container's mounts into the engine's:

- generated files (secret, configMap, projected, downwardAPI) are written into
  `<workspace>/volumes/<name>` with their modes, and mounted read-only;
- an emptyDir is a fresh `<workspace>/volumes/<name>`, writable by any user
  (Kubernetes makes emptyDirs 0777); a memory one is a tmpfs;
- a hostPath of type `DirectoryOrCreate` or `FileOrCreate` is made when
  missing, and so is one with no type (what Docker's own `-v` does; the
  kubelet leaves that to the runtime);
- a persistentVolumeClaim is `<claims_dir>/<claim>`, kept between runs.

A mount's subPath is a path below the volume's source, made as a directory
when missing, as the kubelet makes it. The workspace goes with the job; the
claims stay.
"""

from __future__ import annotations

import os
from pathlib import Path

from minprow.executors._dockerengine import Mount, bind, tmpfs
from minprow.executors.base import StartError
from minprow.podutils.localpod import workspace_path
from minprow.podutils.localvolumes import LocalVolume
from minprow.podutils.render import ContainerPlan, RunPlan


def materialize(plan: RunPlan, workspace_root: Path, claims_dir: Path) -> dict[str, str]:
    """Make every volume of the plan; volume name -> its source on this machine
    ("" for a tmpfs). StartError when a host path cannot be made."""
    sources: dict[str, str] = {}
    for volume in plan.volumes:
        try:
            sources[volume.name] = _make(volume, workspace_root, claims_dir)
        except OSError as err:
            raise StartError(f"volume {volume.name!r} ({volume.describe}): {err}") from err
    return sources


def _make(volume: LocalVolume, workspace_root: Path, claims_dir: Path) -> str:
    if volume.kind == "tmpfs":
        return ""
    if volume.kind == "hostPath":
        path = Path(volume.path)
        if volume.host_type in ("", "DirectoryOrCreate") and not path.exists():
            path.mkdir(mode=0o755, parents=True, exist_ok=True)
        elif volume.host_type == "FileOrCreate" and not path.exists():
            path.touch(mode=0o644)
        return str(path)
    if volume.kind == "claim":
        path = claims_dir / volume.path
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o777)
        return str(path)
    path = workspace_path(workspace_root, volume)
    path.mkdir(parents=True, exist_ok=True)
    if volume.kind == "emptyDir":
        path.chmod(0o777)
        return str(path)
    for item in volume.files:
        target = path / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written closed to others first, then given its mode: a secret is never
        # readable by anyone else while it is being written.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(item.content)
        target.chmod(item.mode)
    return str(path)


def container_mounts(
    container: ContainerPlan, volumes: dict[str, LocalVolume], sources: dict[str, str]
) -> list[Mount]:
    """The engine's mounts for a container's volumeMounts."""
    mounts: list[Mount] = []
    for mount in container.mounts:
        volume = volumes[mount.volume]
        source = sources[mount.volume]
        if volume.kind == "tmpfs":
            mounts.append(tmpfs(mount.target, volume.size))
            continue
        if mount.sub_path:
            sub = Path(source) / mount.sub_path
            if not sub.exists():
                try:
                    sub.mkdir(parents=True, exist_ok=True)
                    if volume.kind in ("emptyDir", "claim"):
                        sub.chmod(0o777)
                except OSError as err:
                    raise StartError(
                        f"volume {mount.volume!r}: subPath {mount.sub_path}: {err}"
                    ) from err
            source = str(sub)
        mounts.append(bind(mount.target, source, read_only=mount.read_only))
    return mounts
