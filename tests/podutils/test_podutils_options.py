"""The utilities' JSON options: Prow's encodings read, and written back byte for byte."""

from __future__ import annotations

import pytest

from minprow.podutils import options as opts

PROW_ENCODED = [
    pytest.param(
        opts.EntrypointOptions,
        '{"timeout":7200000000000,"grace_period":15000000000,"artifact_dir":"/logs/artifacts",'
        '"args":["make","test"],"container_name":"test","process_log":"/logs/process-log.txt",'
        '"marker_file":"/logs/marker-file.txt","metadata_file":"/logs/artifacts/metadata.json"}',
        id="entrypoint",
    ),
    pytest.param(
        opts.EntrypointOptions,
        '{"timeout":0,"grace_period":0,"always_zero":true,"args":["true"],'
        '"process_log":"/logs/p.txt","marker_file":"/logs/m.txt","metadata_file":""}',
        id="entrypoint-zero-durations",
    ),
    pytest.param(
        opts.InitUploadOptions,
        '{"bucket":"kubernetes-jenkins","path_strategy":"legacy","default_org":"kubernetes",'
        '"default_repo":"kubernetes","mediaTypes":{"log":"text/plain"},'
        '"gcs_credentials_file":"/secrets/gcs/service-account.json","dry_run":false,'
        '"log":"/logs/clone.json"}',
        id="initupload",
    ),
    pytest.param(
        opts.SidecarOptions,
        '{"gcs_options":{"items":["/logs/artifacts"],"bucket":"b","path_strategy":"explicit",'
        '"dry_run":false},"entries":[{"args":["a"],"container_name":"test",'
        '"process_log":"/logs/process-log.txt","marker_file":"/logs/marker-file.txt",'
        '"metadata_file":"/logs/artifacts/metadata.json"}],"entry_error":true,'
        '"ignore_interrupts":true,"censoring_options":{"secret_directories":["/s"]}}',
        id="sidecar",
    ),
    pytest.param(
        opts.ClonerefsOptions,
        '{"src_root":"/home/prow/go","log":"/logs/clone.json","git_user_name":"ci-robot",'
        '"git_user_email":"ci-robot@k8s.io","refs":[{"org":"o","repo":"r","base_ref":"main",'
        '"pulls":[{"number":1,"author":"a","sha":"abc"}]}],"fail":true,'
        '"github_api_endpoints":["https://api.github.com"]}',
        id="clonerefs",
    ),
]


@pytest.mark.parametrize(("model", "text"), PROW_ENCODED)
def test_prow_encoding_round_trips(model: type[opts.EntrypointOptions], text: str) -> None:
    assert model.model_validate_json(text).encode() == text


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ENTRYPOINT_OPTIONS", None, "$ENTRYPOINT_OPTIONS is unset"),
        ("ENTRYPOINT_OPTIONS", "{", "malformed $ENTRYPOINT_OPTIONS"),
        ("ENTRYPOINT_OPTIONS", '{"args": "not a list"}', "malformed $ENTRYPOINT_OPTIONS"),
    ],
    ids=["unset", "not-json", "wrong-type"],
)
def test_from_env_errors(variable: str, value: str | None, message: str) -> None:
    environ = {} if value is None else {variable: value}
    with pytest.raises(opts.OptionsError, match=message.replace("$", r"\$")):
        opts.EntrypointOptions.from_env(environ, variable)


def test_unknown_fields_are_ignored_as_go_does() -> None:
    options = opts.SidecarOptions.model_validate_json(
        '{"gcs_options":{"bucket":"b","future":1},"write_memory_profile":true,'
        '"wrapper_options":{"args":["x"],"process_log":"p","marker_file":"m","metadata_file":""},'
        '"entries":[{"args":["y"],"process_log":"p2","marker_file":"m2","metadata_file":""}]}'
    )
    assert [e.args for e in options.all_entries()] == [["x"], ["y"]]
    assert options.gcs_options.gcs_configuration().bucket == "b"


def test_clonerefs_validation() -> None:
    with pytest.raises(opts.OptionsError, match="no refs specified"):
        opts.ClonerefsOptions(src_root="/go", log="/logs/clone.json").validate_options()
