"""A pod's and a container's securityContext, as a local container engine honours it.

The container's fields override the pod's (Kubernetes' `DetermineEffectiveSecurityContext`).
What the Docker engine can do, it is asked to: `privileged`, `capabilities`
(add/drop), `runAsUser`/`runAsGroup` as the user, `fsGroup` and
`supplementalGroups` as extra groups, `readOnlyRootFilesystem`,
`allowPrivilegeEscalation: false` as no-new-privileges, `Unconfined` seccomp
and AppArmor profiles, and the pod's sysctls. What it cannot is a note, said
once before the run, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LocalSecurity:
    """What a local engine is asked for one container."""

    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    user: int | None = None
    group: int | None = None
    groups: tuple[int, ...] = ()
    read_only_root: bool = False
    security_opt: tuple[str, ...] = ()
    sysctls: dict[str, str] = field(default_factory=dict)
    run_as_non_root: bool = False

    @property
    def docker_user(self) -> str | None:
        """`uid` or `uid:gid` for the engine; None keeps the image's user."""
        if self.user is None:
            return None
        return f"{self.user}:{self.group}" if self.group is not None else str(self.user)


_PROFILE_OPTION = {"seccompProfile": "seccomp", "appArmorProfile": "apparmor"}
_IGNORED = {
    "seLinuxOptions": "SELinux labels",
    "windowsOptions": "Windows options",
    "procMount": "procMount",
    "seLinuxChangePolicy": "the SELinux change policy",
    "fsGroupChangePolicy": "fsGroupChangePolicy",
    "supplementalGroupsPolicy": "supplementalGroupsPolicy",
}


def local_security(
    container: str, pod_context: dict[str, Any], context: dict[str, Any], notes: list[str]
) -> LocalSecurity:
    """The effective security of `container`; what cannot be honoured goes into `notes`."""
    merged = {**pod_context, **context}
    capabilities = context.get("capabilities") or {}
    options: list[str] = []
    if merged.get("allowPrivilegeEscalation") is False:
        options.append("no-new-privileges")
    for key, option in _PROFILE_OPTION.items():
        profile = merged.get(key) or {}
        kind = profile.get("type")
        if kind == "Unconfined":
            options.append(f"{option}=unconfined")
        elif kind == "Localhost":
            notes.append(
                f"container {container!r}: the {key} {profile.get('localhostProfile')!r} of the "
                "build node is not on this machine; the engine's default profile applies"
            )
    for key, what in _IGNORED.items():
        if merged.get(key):
            notes.append(f"container {container!r}: {what} ({key}) are not applied locally")
    groups = [int(g) for g in pod_context.get("supplementalGroups") or []]
    if pod_context.get("fsGroup") is not None:
        groups.insert(0, int(pod_context["fsGroup"]))
    sysctls = {
        str(s.get("name")): str(s.get("value", "")) for s in pod_context.get("sysctls") or []
    }
    user = merged.get("runAsUser")
    group = merged.get("runAsGroup")
    if group is not None and user is None:
        notes.append(
            f"container {container!r}: runAsGroup {group} without runAsUser is not applied "
            "locally (the engine takes a group only with a user)"
        )
        group = None
    return LocalSecurity(
        privileged=bool(context.get("privileged")),
        cap_add=tuple(str(c) for c in capabilities.get("add") or []),
        cap_drop=tuple(str(c) for c in capabilities.get("drop") or []),
        user=int(user) if user is not None else None,
        group=int(group) if group is not None else None,
        groups=tuple(dict.fromkeys(groups)),
        read_only_root=bool(context.get("readOnlyRootFilesystem")),
        security_opt=tuple(options),
        sysctls=sysctls,
        run_as_non_root=bool(merged.get("runAsNonRoot")),
    )
