"""ProwJob -> Pod: the pod Prow's plank would create for a job, as the API takes it.

Corresponds to Prow's pkg/pod-utils/decorate/podspec.go (`ProwJobToPod`,
`decorate`, `CloneRefs`, `InitUpload`, `PlaceEntrypoint`, `InjectEntrypoint`,
`Sidecar`, `BlobStorageOptions`, `KubeEnv`). `pod_for` returns the V1Pod as
plain JSON data (camelCase keys): the job's `pod_spec` with `restartPolicy:
Never`, the Prow environment appended to every container, Prow's labels and
annotations, and for decorated jobs Prow's decoration:

| part | what |
| --- | --- |
| init containers | `clonerefs` (refs to clone and no `skip_cloning`), the job's own, `initupload`, `place-entrypoint` |
| test containers | command `/tools/entrypoint` with `$ENTRYPOINT_OPTIONS` (the original command + args, timeout, grace period, process log, marker file, metadata file, artifact dir); working dir at the checkout |
| sidecar | `$SIDECAR_OPTIONS`: waits for every test container's marker, then uploads |
| volumes | `logs`, `tools`, `code` (emptyDir), `gcs-credentials` / `s3-credentials`, `ssh-keys-<secret>`, the OAuth and GitHub App secrets, `clonerefs-tmp`, `cookiefile` |

The four utilities run `podutils_image` (the minprow image) as `minprow
podutils <name>`: a job's `decoration_config.utility_images` are ignored,
because minprow's utilities read and write what Prow's do but are not Prow's
binaries. The test containers keep the job's images; `place-entrypoint` puts
a POSIX shell wrapper there (see `podutils.entrypoint`), so a test image needs
`/bin/sh`.
"""

from __future__ import annotations

import copy
from typing import Any

from minprow.model import DecorationConfig, ProwJob, Refs
from minprow.model.jobenv import JOB_SPEC
from minprow.model.labels import labels_and_annotations_for_job
from minprow.podutils import options as opts
from minprow.podutils.entrypoint import DEFAULT_DESTINATION
from minprow.podutils.jobspec import env_for
from minprow.podutils.options import nanoseconds
from minprow.podutils.render import ARTIFACTS_DIR, CODE_MOUNT, LOGS_MOUNT, RenderError, RunPlan
from minprow.podutils.render import checkout_path as _checkout_path

TEST_CONTAINER = "test"
"""The name of a pod's only container (Prow's `kube.TestContainerName`)."""
CLONEREFS, INITUPLOAD, PLACE_ENTRYPOINT, SIDECAR = (
    "clonerefs",
    "initupload",
    "place-entrypoint",
    "sidecar",
)
TOOLS_MOUNT = "/tools"
CLONE_LOG = f"{LOGS_MOUNT}/clone.json"
"""Where clonerefs writes its records and initupload reads them (Prow's `CloneLogPath`)."""
GCS_CREDENTIALS_MOUNT = "/secrets/gcs"
S3_CREDENTIALS_MOUNT = "/secrets/s3-storage"
DEFAULT_GITHUB_API = "https://api.github.com"
_FALLBACK = "FallbackToLogsOnError"
_LOGS = {"name": "logs", "mountPath": LOGS_MOUNT}
_CODE = {"name": "code", "mountPath": CODE_MOUNT}
_TOOLS = {"name": "tools", "mountPath": TOOLS_MOUNT}


def kube_env(env: dict[str, str]) -> list[dict[str, str]]:
    """Env vars as a container lists them, sorted by name (Prow's `KubeEnv`)."""
    return [{"name": k, "value": env[k]} for k in sorted(env)]


def pod_for(
    job: ProwJob, plan: RunPlan | None, *, podutils_image: str, namespace: str
) -> dict[str, Any]:
    """The V1Pod Prow's plank creates for `job`.

    `plan` is the job's `render.render`, whose refs to clone the pod clones; with
    None the refs are the job's refs and extra_refs, as `render` takes them. Env
    `valueFrom`, volumes and security contexts stay as the job wrote them: the
    build cluster's kubelet resolves them."""
    name, spec_in = job.metadata.name, job.spec.pod_spec
    if not spec_in:
        raise RenderError(f"ProwJob {name} ({job.spec.job}) lacks a pod spec")
    spec: dict[str, Any] = copy.deepcopy(spec_in)
    spec["restartPolicy"] = "Never"
    containers: list[dict[str, Any]] = spec.setdefault("containers", [])
    if len(containers) == 1:
        containers[0]["name"] = TEST_CONTAINER
    # Unset means true to Kubernetes; Prow means false unless a service account is named.
    if spec.get("automountServiceAccountToken") is None and not spec.get("serviceAccountName"):
        spec["automountServiceAccountToken"] = False
    raw_env = env_for(job)
    config = job.spec.decoration_config
    if config is not None and (plan is None or plan.decorated):
        refs = plan.refs if plan is not None else _refs_to_clone(job, config)
        _Decorator(job, refs, config, podutils_image).decorate(spec, raw_env)
    else:
        for container in containers:
            container["env"] = [*(container.get("env") or []), *kube_env(raw_env)]
    for container in [*(spec.get("initContainers") or []), *containers]:
        container.setdefault("terminationMessagePolicy", _FALLBACK)
    labels, annotations = labels_and_annotations_for_job(job)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": spec,
    }


def _refs_to_clone(job: ProwJob, config: DecorationConfig) -> list[Refs]:
    # What render.render puts in RunPlan.refs: refs then extra_refs, unless skip_cloning.
    if config.skip_cloning:
        return []
    return [r for r in [job.spec.refs, *(job.spec.extra_refs or [])] if r is not None]


def _secret_volume(name: str, secret: str, **source: Any) -> dict[str, Any]:
    return {"name": name, "secret": {"secretName": secret, **source}}


class _Decorator:
    """Prow's `decorate` for one job: the parts are methods, the order is `decorate`'s."""

    def __init__(
        self, job: ProwJob, refs: list[Refs], config: DecorationConfig, image: str
    ) -> None:
        self.job, self.refs, self.config, self.image = job, refs, config, image

    def decorate(self, spec: dict[str, Any], raw_env: dict[str, str]) -> None:
        config = self.config
        raw_env = {**raw_env, "ARTIFACTS": ARTIFACTS_DIR, "GOPATH": CODE_MOUNT}
        job_spec = raw_env.get(JOB_SPEC, "")  # Prow's decorate reads a missing one as ""
        blob_volumes, blob_mounts, upload = self._blob_storage()
        cloner, clone_volumes = self._clonerefs()
        init = [*([cloner] if cloner else []), *(spec.get("initContainers") or [])]
        init_upload = opts.InitUploadOptions.model_validate(
            {**upload.model_dump(by_alias=True), "log": CLONE_LOG if cloner else ""}
        )
        init.append(
            self._utility(
                INITUPLOAD,
                env={JOB_SPEC: job_spec, opts.INITUPLOAD_OPTIONS: init_upload.encode()},
                mounts=[*([_LOGS] if cloner else []), *blob_mounts],
                resources=config.resources.initupload if config.resources else None,
            )
        )
        init.append(
            self._utility(
                PLACE_ENTRYPOINT,
                args=["--copy-destination", DEFAULT_DESTINATION],
                mounts=[_TOOLS],
                resources=config.resources.place_entrypoint if config.resources else None,
            )
        )
        spec["initContainers"] = init
        containers: list[dict[str, Any]] = spec["containers"]
        for container in containers:
            container["env"] = [*(container.get("env") or []), *kube_env(raw_env)]
        secret_volumes = {v["name"] for v in spec.get("volumes") or [] if "secret" in v}
        secret_mounts: list[dict[str, Any]] = []
        wrappers = []
        for container in containers:
            prefix = container.get("name", "") if len(containers) > 1 else ""
            wrappers.append(self._inject_entrypoint(container, prefix))
            if config.censor_secrets:
                secret_mounts.extend(
                    m for m in container.get("volumeMounts") or [] if m["name"] in secret_volumes
                )
        sidecar = self._sidecar(upload, blob_mounts, secret_mounts, wrappers, job_spec)
        spec["volumes"] = [
            *(spec.get("volumes") or []),
            {"name": "logs", "emptyDir": {}},
            {"name": "tools", "emptyDir": {}},
            *blob_volumes,
        ]
        if cloner:
            workdir = self._work_dir()
            for container in containers:
                container["workingDir"] = workdir
                container["volumeMounts"] = [*container["volumeMounts"], _CODE]
            spec["volumes"] += [*clone_volumes, {"name": "code", "emptyDir": {}}]
        self._resources_and_scheduling(spec)
        containers.append(sidecar)
        if spec.get("terminationGracePeriodSeconds") is None and config.grace_period is not None:
            # The pod's grace covers the test's grace and the upload: Prow's 80/20 split.
            spec["terminationGracePeriodSeconds"] = (
                int(config.grace_period.total_seconds()) * 5 // 4
            )
        if not spec.get("serviceAccountName") and config.default_service_account_name:
            spec["serviceAccountName"] = config.default_service_account_name

    def _utility(
        self,
        name: str,
        *,
        args: list[str] | None = None,
        env: dict[str, str] | None = None,
        mounts: list[dict[str, Any]],
        resources: dict[str, Any] | None,
    ) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": name,
            "image": self.image,
            "command": ["minprow", "podutils", name],
        }
        if args:
            container["args"] = args
        if env:
            container["env"] = kube_env(env)
        if resources:
            container["resources"] = copy.deepcopy(resources)
        container["volumeMounts"] = mounts
        return container

    def _blob_storage(
        self,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], opts.GCSUploadOptions]:
        config = self.config
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        files: dict[str, str] = {}
        for kind, secret, mount in (
            ("gcs", config.gcs_credentials_secret, GCS_CREDENTIALS_MOUNT),
            ("s3", config.s3_credentials_secret, S3_CREDENTIALS_MOUNT),
        ):
            if secret:
                volumes.append(_secret_volume(f"{kind}-credentials", secret))
                mounts.append({"name": f"{kind}-credentials", "mountPath": mount})
                files[f"{kind}_credentials_file"] = f"{mount}/service-account.json"
        upload = opts.GCSUploadOptions.for_config(config.gcs_configuration, **files)
        return volumes, mounts, upload

    def _clonerefs(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        config, refs = self.config, self.refs
        if config.skip_cloning or not refs:
            return None, []
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        key_files: list[str] = []
        for secret in config.ssh_key_secrets or []:
            name, path = f"ssh-keys-{secret}", f"/secrets/ssh/{secret}"
            volumes.append(_secret_volume(name, secret, defaultMode=0o400))
            mounts.append({"name": name, "mountPath": path, "readOnly": True})
            key_files.append(path)
        files: dict[str, str] = {}
        for field, secret_ref, path in (
            ("oauth_token_file", config.oauth_token_secret, "/secrets/oauth"),
            (
                "github_app_private_key_file",
                config.github_app_private_key_secret,
                "/secrets/github-app",
            ),
        ):
            if secret_ref:
                secret, key = secret_ref.get("name", ""), secret_ref.get("key", "")
                items = [{"key": key, "path": f"./{key}"}]
                volumes.append(_secret_volume(secret, secret, items=items))
                mounts.append({"name": secret, "mountPath": path, "readOnly": True})
                files[field] = f"{path}/{key}"
        volumes.append({"name": "clonerefs-tmp", "emptyDir": {}})
        mounts.append({"name": "clonerefs-tmp", "mountPath": "/tmp"})
        args: list[str] = []
        cookie_path = ""
        if config.cookiefile_secret:
            secret, _, base = config.cookiefile_secret.partition("/")
            volumes.append(_secret_volume("cookiefile", secret, defaultMode=0o400))
            mounts.append(
                {"name": "cookiefile", "mountPath": "/secrets/cookiefile", "readOnly": True}
            )
            cookie_path = f"/secrets/cookiefile/{base or secret}"
            args.append(f"--cookiefile={cookie_path}")
        clone = opts.ClonerefsOptions(
            src_root=CODE_MOUNT,
            log=CLONE_LOG,
            git_user_name="ci-robot",
            git_user_email="ci-robot@k8s.io",
            refs=refs,
            key_files=key_files,
            host_fingerprints=config.ssh_host_fingerprints or [],
            cookie_path=cookie_path,
            github_api_endpoints=config.github_api_endpoints or [DEFAULT_GITHUB_API],
            github_app_id=config.github_app_id or "",
            **files,
        )
        container = self._utility(
            CLONEREFS,
            args=args,
            env={opts.CLONEREFS_OPTIONS: clone.encode()},
            mounts=[_LOGS, _CODE, *mounts],
            resources=config.resources.clonerefs if config.resources else None,
        )
        return container, volumes

    def _inject_entrypoint(self, container: dict[str, Any], prefix: str) -> opts.WrapperOptions:
        config = self.config
        entry = opts.EntrypointOptions(
            timeout=nanoseconds(config.timeout) if config.timeout else 0,
            grace_period=nanoseconds(config.grace_period) if config.grace_period else 0,
            artifact_dir=ARTIFACTS_DIR,
            args=[*(container.get("command") or []), *(container.get("args") or [])],
            container_name=container.get("name", ""),
            process_log=f"{LOGS_MOUNT}/{prefix}-log.txt"
            if prefix
            else f"{LOGS_MOUNT}/process-log.txt",
            marker_file=f"{LOGS_MOUNT}/{prefix}-marker.txt"
            if prefix
            else f"{LOGS_MOUNT}/marker-file.txt",
            metadata_file=f"{ARTIFACTS_DIR}/{prefix}-metadata.json"
            if prefix
            else f"{ARTIFACTS_DIR}/metadata.json",
        )
        container["command"] = [DEFAULT_DESTINATION]
        container.pop("args", None)
        container["env"] = [*container["env"], *kube_env({opts.ENTRYPOINT_OPTIONS: entry.encode()})]
        container["volumeMounts"] = [*(container.get("volumeMounts") or []), _LOGS, _TOOLS]
        return entry.wrapper()

    def _sidecar(
        self,
        upload: opts.GCSUploadOptions,
        blob_mounts: list[dict[str, Any]],
        secret_mounts: list[dict[str, Any]],
        wrappers: list[opts.WrapperOptions],
        job_spec: str,
    ) -> dict[str, Any]:
        config = self.config
        censoring: dict[str, Any] = {}
        if secret_mounts:
            censoring["secret_directories"] = [m["mountPath"] for m in secret_mounts]
        if config.censoring_options is not None:
            censoring |= config.censoring_options.model_dump(exclude_none=True)
        options = opts.SidecarOptions(
            gcs_options=upload.model_copy(update={"items": [*upload.items, ARTIFACTS_DIR]}),
            entries=wrappers,
            ignore_interrupts=bool(config.upload_ignores_interrupts),
            censoring_options=censoring,
        )
        container = self._utility(
            SIDECAR,
            env={opts.SIDECAR_OPTIONS: options.encode(), JOB_SPEC: job_spec},
            mounts=[_LOGS, *blob_mounts, *secret_mounts],
            resources=config.resources.sidecar if config.resources else None,
        )
        container["terminationMessagePolicy"] = _FALLBACK
        return container

    def _work_dir(self) -> str:
        # Prow's DetermineWorkDir: the refs marked workdir, else the first.
        refs = self.refs
        return _checkout_path(next((r for r in refs if r.workdir), refs[0]))

    def _resources_and_scheduling(self, spec: dict[str, Any]) -> None:
        config = self.config
        containers: list[dict[str, Any]] = spec["containers"]
        if config.default_memory_request is not None:
            for container in containers:
                requests = container.setdefault("resources", {}).setdefault("requests", {})
                requests.setdefault("memory", str(config.default_memory_request))
        security = spec.setdefault("securityContext", {})
        for key, value in (
            ("runAsUser", config.run_as_user),
            ("runAsGroup", config.run_as_group),
            ("fsGroup", config.fs_group),
        ):
            if value is not None and security.get(key) is None:
                security[key] = value
        scheduling = config.scheduling_options
        if scheduling is not None:
            if scheduling.affinity is not None and spec.get("affinity") is None:
                spec["affinity"] = scheduling.affinity
            if scheduling.tolerations is not None and spec.get("tolerations") is None:
                spec["tolerations"] = scheduling.tolerations
        if config.set_limit_equals_memory_request:
            for container in containers:
                memory = (container.get("resources") or {}).get("requests", {}).get("memory")
                if memory is not None:
                    container["resources"].setdefault("limits", {})["memory"] = memory
