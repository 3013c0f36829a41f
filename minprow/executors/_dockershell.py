"""A debug shell in a job's test container image, as a `docker run -it` command line.

`minprow run --shell` hands the terminal to the Docker CLI, which owns raw
mode, resizing and signals far better than a re-implementation would. The
command line is made from the same create arguments the docker executor gives
the job's test container (mounts, env, working directory, user, privileges),
with the entrypoint replaced by a shell. Env values are never put on the
command line (where `ps` shows them): each is passed as `-e NAME`, which the
CLI fills from its own environment.
"""

from __future__ import annotations

from typing import Any

SHELL = "if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh"
"""bash where the image has it, else sh."""


def cli_argv(args: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """`docker run` for the create arguments `args` with a shell as the entrypoint,
    and the env the CLI must be run with."""
    argv = ["docker", "run", "--rm", "-it", "--entrypoint", "sh"]
    env: dict[str, str] = dict(args.get("environment") or {})
    for name in env:
        argv += ["-e", name]
    if args.get("working_dir"):
        argv += ["-w", str(args["working_dir"])]
    for mount in args.get("mounts") or []:
        argv += ["--mount", _mount(mount)]
    flags = {"privileged": "--privileged", "read_only": "--read-only"}
    argv += [flag for key, flag in flags.items() if args.get(key)]
    repeated = {
        "cap_add": "--cap-add",
        "cap_drop": "--cap-drop",
        "group_add": "--group-add",
        "security_opt": "--security-opt",
    }
    for key, flag in repeated.items():
        for item in args.get(key) or []:
            argv += [flag, str(item)]
    for name, value in (args.get("sysctls") or {}).items():
        argv += ["--sysctl", f"{name}={value}"]
    for name, address in (args.get("extra_hosts") or {}).items():
        argv += ["--add-host", f"{name}:{address}"]
    single = {
        "user": "--user",
        "network_mode": "--network",
        "pid_mode": "--pid",
        "ipc_mode": "--ipc",
        "mem_limit": "--memory",
    }
    argv += [x for key, flag in single.items() if args.get(key) for x in (flag, str(args[key]))]
    if args.get("nano_cpus"):
        argv += ["--cpus", f"{args['nano_cpus'] / 1e9:g}"]
    argv += [str(args["image"]), "-c", SHELL]
    return argv, env


def _mount(mount: dict[str, Any]) -> str:
    # docker.types.Mount is a dict of the engine API's fields.
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
