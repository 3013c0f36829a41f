"""A busybox image made on this machine when no registry gives one.

minprow's demo jobs (and many first configs) run `busybox`. On a laptop with
Docker but no reachable registry (offline, behind a proxy, a CI sandbox) the
pull fails and every run of the job would end in error. busybox is one static
binary, and most Linux machines have it (Debian's busybox-static installs
`/bin/busybox`), so the docker executor builds the image the job names FROM
scratch around the host's binary, with its applets installed as `/bin/*`, and
says so. Only busybox is made this way: any other image is the user's to build
or tag, and the start error says how (`missing_image_error`).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import tarfile
import threading
from pathlib import Path
from typing import Literal

from minprow.executors._engineapi import EngineClient, EngineError, NotFound
from minprow.executors.base import StartError

log = logging.getLogger("minprow.executors.docker")

BUSYBOX_CANDIDATES = (Path("/bin/busybox"), Path("/usr/bin/busybox"))
"""Where a static busybox usually is, before PATH is searched."""

LABEL = "minprow.io/local-image"
"""Label of every image (and build step) minprow makes, valued the image's name:
`docker images --filter label=minprow.io/local-image` lists them."""
_DOCKERFILE = """FROM scratch
LABEL {label}="{image}"
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/mkdir", "-m", "1777", "/tmp"]
"""
_PT_INTERP = 3
"""The ELF program header type naming a dynamic loader: a static binary has none."""
_building = threading.Lock()
"""Held while an image is built: jobs starting together (the executor's worker threads)
build it once, and it is said once."""


def provide(client: EngineClient, image: str, why: str) -> None:
    """`image` could not be pulled (`why`): build it when it is busybox and this machine
    has a static one, else raise the StartError saying what to do."""
    binary = static_busybox() if is_busybox(image) else None
    if binary is None:
        raise missing_image_error(image, why)
    with _building:
        try:
            client.inspect_image(image)
            return  # another job's start built it meanwhile
        except NotFound:
            pass
        build_busybox(client, image, binary, why)


def is_busybox(image: str) -> bool:
    """`busybox`, `busybox:TAG`, `library/busybox:TAG` or `docker.io/library/busybox:TAG`
    (a digest names exact bytes this machine cannot make: not busybox here)."""
    if "@" in image:
        return False
    name = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return name in ("busybox", "library/busybox", "docker.io/library/busybox", "docker.io/busybox")


def static_busybox(candidates: tuple[Path, ...] = BUSYBOX_CANDIDATES) -> Path | None:
    """The host's busybox when it is a static executable (it runs FROM scratch), else None."""
    found = shutil.which("busybox")
    for path in (*candidates, *([Path(found)] if found else [])):
        if path.is_file() and os.access(path, os.X_OK) and _is_static_elf(path):
            return path
    return None


def _is_static_elf(path: Path) -> bool:
    """An ELF executable without a PT_INTERP program header (no dynamic loader)."""
    try:
        with path.open("rb") as f:
            header = f.read(64)
            if len(header) < 64 or header[:4] != b"\x7fELF":
                return False
            is64 = header[4] == 2
            order: Literal["little", "big"] = "little" if header[5] == 1 else "big"
            if is64:
                phoff = int.from_bytes(header[32:40], order)
                phentsize = int.from_bytes(header[54:56], order)
                phnum = int.from_bytes(header[56:58], order)
            else:
                phoff = int.from_bytes(header[28:32], order)
                phentsize = int.from_bytes(header[42:44], order)
                phnum = int.from_bytes(header[44:46], order)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
    except OSError:
        return False
    for i in range(phnum):
        entry = table[i * phentsize : i * phentsize + 4]
        if len(entry) == 4 and int.from_bytes(entry, order) == _PT_INTERP:
            return False
    return True


def build_busybox(client: EngineClient, image: str, binary: Path, why: str) -> None:
    """Build `image` FROM scratch around `binary` (the pull failed: `why`); StartError
    when the engine cannot."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        text = _DOCKERFILE.format(label=LABEL, image=image).encode()
        dockerfile = tarfile.TarInfo("Dockerfile")
        dockerfile.size = len(text)
        tar.addfile(dockerfile, io.BytesIO(text))
        tar.add(str(binary), arcname="busybox")
    try:
        client.build_image(image, context.getvalue())
    except EngineError as err:
        raise StartError(
            f"image {image} cannot be pulled ({why}), and building it locally from {binary} "
            f"failed: {err.explanation}. Build or tag a local image with that name, or run the "
            "job as a host process with `--executor host`."
        ) from err
    log.warning(
        "built %s locally from %s (FROM scratch, its applets in /bin): no registry answered (%s)",
        image,
        binary,
        why,
    )


def missing_image_error(image: str, why: str) -> StartError:
    """The start error of an image neither here nor pullable, saying what to do."""
    # A busybox image minprow would make itself, had this machine a static busybox.
    install = ", install a static busybox (`busybox-static`)" if is_busybox(image) else ""
    return StartError(
        f"image {image} is not on this machine and cannot be pulled ({why}). "
        f"Build or tag a local image with that name (`docker build -t {image} DIR` or "
        f"`docker tag LOCAL_IMAGE {image}`){install}, or run the job as a host process "
        "with `--executor host`."
    )
