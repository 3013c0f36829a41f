"""A debug shell in a job's test container image, as a `docker run -it` command line.

`minprow run --shell` hands the terminal to the Docker CLI, which owns raw
mode, resizing and signals far better than a re-implementation would. The
command line is made from the same Engine API create body the docker executor gives
the job's test container (mounts, env, working directory, user, privileges),
with the entrypoint replaced by a shell. Env values are never put on the
command line (where `ps` shows them): each is passed as `-e NAME`, which the
CLI fills from its own environment.
"""

from __future__ import annotations

from typing import Any

SHELL = "if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh"
"""bash where the image has it, else sh."""


def cli_argv(config: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """`docker run` for the Engine API create body `config` with a shell as the
    entrypoint, and the env the CLI must be run with."""
    host: dict[str, Any] = config.get("HostConfig") or {}
    argv = ["docker", "run", "--rm", "-it", "--entrypoint", "sh"]
    env = dict(item.split("=", 1) for item in config.get("Env") or [])
    for name in env:
        argv += ["-e", name]
    if config.get("WorkingDir"):
        argv += ["-w", str(config["WorkingDir"])]
    if config.get("User"):
        argv += ["--user", str(config["User"])]
    for mount in host.get("Mounts") or []:
        argv += ["--mount", _mount(mount)]
    flags = {"Privileged": "--privileged", "ReadonlyRootfs": "--read-only"}
    argv += [flag for key, flag in flags.items() if host.get(key)]
    repeated = {
        "CapAdd": "--cap-add",
        "CapDrop": "--cap-drop",
        "GroupAdd": "--group-add",
        "SecurityOpt": "--security-opt",
        "ExtraHosts": "--add-host",
    }
    for key, flag in repeated.items():
        for item in host.get(key) or []:
            argv += [flag, str(item)]
    for name, value in (host.get("Sysctls") or {}).items():
        argv += ["--sysctl", f"{name}={value}"]
    single = {
        "NetworkMode": "--network",
        "PidMode": "--pid",
        "IpcMode": "--ipc",
        "Memory": "--memory",
    }
    argv += [x for key, flag in single.items() if host.get(key) for x in (flag, str(host[key]))]
    if host.get("NanoCpus"):
        argv += ["--cpus", f"{host['NanoCpus'] / 1e9:g}"]
    argv += [str(config["Image"]), "-c", SHELL]
    return argv, env


def _mount(mount: dict[str, Any]) -> str:
    kind = mount.get("Type", "bind")
    parts = [f"type={kind}", f"target={mount['Target']}"]
    if kind == "bind":
        parts.append(f"source={mount['Source']}")
    if mount.get("ReadOnly"):
        parts.append("readonly")
    size = (mount.get("TmpfsOptions") or {}).get("SizeBytes")
    if size:
        parts.append(f"tmpfs-size={size}")
    # The CLI reads the value as CSV: a path with a comma or quote is quoted.
    return ",".join(
        f'"{p.replace(chr(34), chr(34) * 2)}"' if "," in p or '"' in p else p for p in parts
    )
