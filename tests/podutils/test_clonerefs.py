"""Cloning refs as Prow's clonerefs does, against real git repositories.

Each remote is a bare repository made in tmp_path (see conftest), fetched
through `clone_uri` set to its path.
"""

from __future__ import annotations

import json
from pathlib import Path

import git
import pytest

from minprow.model import Pull, Refs
from minprow.podutils import CloneError, clone_refs
from minprow.podutils.clonerefs import (
    GIT_USER_EMAIL,
    GIT_USER_NAME,
    CloneRecord,
    censor,
    clone_uri,
    format_records,
    records_json,
)
from tests.podutils.conftest import Remote, make_remote


def _checkout(code: Path, refs: Refs) -> git.Repo:
    return git.Repo(code / "src" / "github.com" / refs.org / refs.repo)


def test_base_ref_is_checked_out_on_its_branch(remote: Remote, tmp_path: Path) -> None:
    refs = remote.refs()
    [record] = clone_refs([refs], tmp_path / "code")
    repo = _checkout(tmp_path / "code", refs)
    assert not record.failed
    assert record.final_sha == remote.base == repo.head.commit.hexsha
    assert repo.active_branch.name == "master"
    assert record.duration.total_seconds() > 0


def test_base_sha_pins_the_base(remote: Remote, tmp_path: Path) -> None:
    refs = remote.refs(base_sha=remote.first)
    [record] = clone_refs([refs], tmp_path / "code")
    repo = _checkout(tmp_path / "code", refs)
    assert record.final_sha == remote.first
    assert repo.active_branch.name == "master"
    assert repo.heads.master.commit.hexsha == remote.first


@pytest.mark.parametrize(
    ("pulls", "with_sha"),
    [((1,), True), ((1,), False), ((1, 2), True), ((2, 1), False)],
    ids=["one-pull", "one-pull-fetch-head", "two-pulls", "two-pulls-fetch-head"],
)
def test_pulls_are_merged_in_order_with_no_ff(
    remote: Remote, tmp_path: Path, pulls: tuple[int, ...], with_sha: bool
) -> None:
    refs = remote.refs(*pulls, with_sha=with_sha)
    [record] = clone_refs([refs], tmp_path / "code")
    repo = _checkout(tmp_path / "code", refs)
    merges = list(repo.iter_commits("HEAD", first_parent=True, max_count=len(pulls)))[::-1]
    base_time = repo.commit(remote.base).committed_date
    for offset, (number, merge) in enumerate(zip(pulls, merges, strict=True), start=1):
        assert [p.hexsha for p in merge.parents][1] == remote.pulls[number]
        # Prow's fixed identity and dates: base commit time + one second per merge.
        assert (merge.committer.name, merge.committer.email) == (GIT_USER_NAME, GIT_USER_EMAIL)
        assert merge.committed_date == merge.authored_date == base_time + offset
    assert merges[0].parents[0].hexsha == remote.base
    assert record.final_sha == repo.head.commit.hexsha
    for number in pulls:
        assert (Path(repo.working_tree_dir or "") / ("one.txt", "two.txt")[number - 1]).is_file()


def test_merges_are_reproducible(remote: Remote, tmp_path: Path) -> None:
    refs = remote.refs(1, 2)
    [first] = clone_refs([refs], tmp_path / "a")
    [second] = clone_refs([refs], tmp_path / "b")
    assert first.final_sha == second.final_sha


def test_pull_ref_names_what_to_fetch(remote: Remote, tmp_path: Path) -> None:
    repo = git.Repo(remote.path)
    repo.git.update_ref("refs/merge-requests/7/head", remote.pulls[2])
    refs = remote.refs().model_copy(
        update={"pulls": [Pull(number=7, author="bob", sha="", ref="refs/merge-requests/7/head")]}
    )
    [record] = clone_refs([refs], tmp_path / "code")
    fetches = [c.command for c in record.commands if " fetch " in c.command]
    assert fetches[-1].endswith(f"git fetch {remote.uri} refs/merge-requests/7/head")
    assert _checkout(tmp_path / "code", refs).head.commit.parents[1].hexsha == remote.pulls[2]


def test_commands_are_prows(remote: Remote, tmp_path: Path) -> None:
    refs = remote.refs(1)
    [record] = clone_refs([refs], tmp_path / "code")
    where = tmp_path / "code" / "src" / "github.com" / "acme" / "widget"
    sha = remote.pulls[1]
    commands = [c.command.removeprefix(f"PWD={where} ") for c in record.commands]
    assert commands[:-2] == [
        f"PWD=/ mkdir -p {where}",
        "git init",
        "git config user.name ci-robot",
        "git config user.email ci-robot@k8s.io",
        f"git fetch {remote.uri} --tags --prune",
        f"git fetch {remote.uri} master",
        "git checkout FETCH_HEAD",
        "git branch --force master FETCH_HEAD",
        "git checkout master",
        f"git fetch {remote.uri} {sha}",
    ]
    assert commands[-2].endswith(f"git merge --no-ff {sha}")
    assert commands[-2].startswith("GIT_AUTHOR_DATE=")
    assert commands[-1] == "git submodule update --init --recursive"


@pytest.mark.parametrize(
    ("fields", "present", "absent"),
    [
        ({"skip_fetch_head": True}, [], ["--tags --prune"]),
        ({"clone_depth": 1}, ["fetch --depth 1"], []),
        ({"skip_submodules": True}, [], ["submodule update"]),
        ({"blobless_fetch": True}, ["--filter=blob:none"], []),
    ],
    ids=["skip-fetch-head", "clone-depth", "skip-submodules", "blobless"],
)
def test_refs_options_change_the_commands(
    remote: Remote, tmp_path: Path, fields: dict[str, object], present: list[str], absent: list[str]
) -> None:
    [record] = clone_refs([remote.refs(**fields)], tmp_path / "code")
    text = "\n".join(c.command for c in record.commands)
    assert not record.failed
    for expected in present:
        assert expected in text
    for unexpected in absent:
        assert unexpected not in text


def test_clone_depth_makes_a_shallow_clone(remote: Remote, tmp_path: Path) -> None:
    refs = remote.refs(clone_depth=1)
    clone_refs([refs], tmp_path / "code")
    repo = _checkout(tmp_path / "code", refs)
    assert repo.git.rev_parse("--is-shallow-repository") == "true"
    assert repo.head.commit.hexsha == remote.base


def test_sparse_checkout_only_checks_out_the_files(remote: Remote, tmp_path: Path) -> None:
    refs = remote.refs(1, sparse_checkout_files=["one.txt"])
    [record] = clone_refs([refs], tmp_path / "code")
    root = Path(_checkout(tmp_path / "code", refs).working_tree_dir or "")
    assert not record.failed
    assert (root / "one.txt").is_file()
    assert not any("submodule" in c.command for c in record.commands)


@pytest.mark.parametrize("skip", [False, True], ids=["submodules", "skip-submodules"])
def test_submodules_are_updated_unless_skipped(
    remote_with_submodule: Remote, tmp_path: Path, skip: bool
) -> None:
    refs = remote_with_submodule.refs(skip_submodules=skip)
    clone_refs([refs], tmp_path / "code")
    lib = Path(_checkout(tmp_path / "code", refs).working_tree_dir or "") / "lib"
    assert (lib / "README").is_file() is not skip


def test_extra_refs_go_to_their_own_paths(tmp_path: Path) -> None:
    widget = make_remote(tmp_path / "widget")
    tools = make_remote(tmp_path / "tools")
    refs = [
        widget.refs(1),
        Refs(
            org="acme",
            repo="tools",
            base_ref="master",
            clone_uri=tools.uri,
            path_alias="acme.dev/tools",
        ),
    ]
    records = clone_refs(refs, tmp_path / "code")
    assert [r.refs for r in records] == refs
    assert (
        git.Repo(tmp_path / "code" / "src" / "acme.dev" / "tools").head.commit.hexsha == tools.base
    )
    assert records[1].final_sha == tools.base


def test_log_and_records_are_written(remote: Remote, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "clone-log.txt"
    records = clone_refs([remote.refs(1)], tmp_path / "code", log=log)
    text = log.read_text()
    assert text == format_records(records)
    assert text.startswith(
        f"# Cloning acme/widget at master\n# Checking out pulls:\n#\t1({remote.pulls[1]})\n"
    )
    assert f"# Final SHA: {records[0].final_sha}\n" in text
    assert "$ PWD=/ mkdir -p " in text
    data = json.loads((tmp_path / "logs" / "clone-records.json").read_text())
    assert (tmp_path / "logs" / "clone-records.json").read_text() == records_json(records)
    [entry] = data
    assert set(entry) == {"refs", "commands", "final_sha", "duration"}
    assert entry["refs"]["pulls"][0] == {"number": 1, "author": "alice", "sha": remote.pulls[1]}
    assert isinstance(entry["duration"], int)
    assert set(entry["commands"][0]) <= {"command", "output", "error", "duration"}


@pytest.mark.parametrize(
    ("refs", "message"),
    [
        (
            lambda r: r.refs().model_copy(update={"pulls": [Pull(number=9, author="x", sha="")]}),
            "couldn't find remote ref pull/9/head",
        ),
        (
            lambda r: r.refs(clone_uri=str(r.path.parent / "missing.git")),
            "does not appear to be a git repository",
        ),
        (lambda r: r.refs(3), "CONFLICT"),
        (
            lambda r: r.refs(base_ref="--upload-pack=touch /tmp/pwned"),
            "git would read as an option",
        ),
    ],
    ids=["missing-pull", "missing-repository", "merge-conflict", "option-injection"],
)
def test_failures_name_the_repo_and_git_error(
    remote: Remote, tmp_path: Path, refs: object, message: str
) -> None:
    log = tmp_path / "logs" / "clone-log.txt"
    the_refs = refs(remote)  # type: ignore[operator]
    with pytest.raises(CloneError) as caught:
        clone_refs([the_refs], tmp_path / "code", log=log)
    assert "acme/widget" in str(caught.value)
    assert message in str(caught.value)
    [record] = caught.value.records
    assert record.failed
    assert not record.final_sha
    assert record.commands[-1].error.startswith("exit status")
    assert log.read_text().startswith("# FAILED\n")
    assert json.loads((tmp_path / "logs" / "clone-records.json").read_text())[0]["failed"] is True


def test_one_failure_does_not_stop_the_other_refs(tmp_path: Path) -> None:
    widget = make_remote(tmp_path / "widget")
    good = Refs(org="acme", repo="tools", base_ref="master", clone_uri=widget.uri)
    bad = widget.refs(clone_uri=str(tmp_path / "nothing.git"))
    with pytest.raises(CloneError) as caught:
        clone_refs([bad, good], tmp_path / "code")
    assert [r.failed for r in caught.value.records] == [True, False]
    assert "acme/tools" not in str(caught.value)


def test_the_same_repository_twice_is_refused(remote: Remote, tmp_path: Path) -> None:
    with pytest.raises(CloneError, match="acme/widget is listed twice"):
        clone_refs([remote.refs(), remote.refs(1)], tmp_path / "code")


def test_credentials_never_reach_records_or_log(http_404: str, tmp_path: Path) -> None:
    refs = Refs(
        org="acme",
        repo="private",
        base_ref="master",
        clone_uri=f"http://robot:s3cr3t-t0ken-value@{http_404}/acme/private.git",
    )
    log = tmp_path / "logs" / "clone-log.txt"
    with pytest.raises(CloneError) as caught:
        clone_refs([refs], tmp_path / "code", log=log)
    written = log.read_text() + (tmp_path / "logs" / "clone-records.json").read_text()
    assert "s3cr3t-t0ken-value" not in written + str(caught.value)
    assert f"http://CENSORED@{http_404}/acme/private.git" in written


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        (
            "git fetch https://user:tok@github.com/o/r.git",
            (),
            "git fetch https://CENSORED@github.com/o/r.git",
        ),
        ("fatal: tok123456 rejected", ("tok123456",), "fatal: CENSORED rejected"),
        ("git fetch git@github.com:o/r.git", (), "git fetch git@github.com:o/r.git"),
        ("git fetch /srv/git/r.git", (), "git fetch /srv/git/r.git"),
    ],
    ids=["userinfo", "secret", "scp-like-ssh", "path"],
)
def test_censor(text: str, secrets: tuple[str, ...], expected: str) -> None:
    assert censor(text, secrets) == expected


@pytest.mark.parametrize(
    ("refs", "uri"),
    [
        (Refs(org="o", repo="r"), "https://github.com/o/r.git"),
        (Refs(org="o", repo="r", repo_link="https://gitlab.com/o/r"), "https://gitlab.com/o/r.git"),
        (
            Refs(org="o", repo="r", repo_link="https://gitlab.com/o/r", clone_uri="git@x:o/r"),
            "git@x:o/r",
        ),
    ],
    ids=["github", "repo-link", "clone-uri"],
)
def test_clone_uri(refs: Refs, uri: str) -> None:
    assert clone_uri(refs) == uri


def test_record_format_is_prows() -> None:
    record = CloneRecord(
        refs=Refs(
            org="foo",
            repo="bar",
            base_ref="main",
            base_sha="abcdef",
            pulls=[Pull(number=42, author="a", sha="food"), Pull(number=13, author="b", sha="")],
        ),
        failed=True,
    )
    assert record.format() == (
        "# FAILED\n# Cloning foo/bar at main(abcdef)\n# Checking out pulls:\n#\t42(food)\n#\t13\n"
        "# Final SHA: \n# Total runtime: 0s\n"
    )
