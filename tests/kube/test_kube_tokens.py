"""The pieces of gencred's credentials: Secret references, the context marker, and
kubeconfig documents with a context written or its token replaced."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from minprow.kube.tokens import (
    Marker,
    SecretRef,
    TokenError,
    load_kubeconfig_doc,
    replace_token,
    save_kubeconfig_file,
    write_kubeconfig_context,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prow/kubeconfigs", SecretRef("prow", "kubeconfigs", "kubeconfig")),
        ("prow/kubeconfigs:build.yaml", SecretRef("prow", "kubeconfigs", "build.yaml")),
        ("prow", None),
        ("/name", None),
        ("prow/", None),
        ("prow/a/b", None),
        ("prow/name:", None),
    ],
    ids=["default-key", "key", "no-name", "no-namespace", "empty-name", "two-slashes", "empty-key"],
)
def test_secret_ref_parse(text: str, expected: SecretRef | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="NAMESPACE/NAME"):
            SecretRef.parse(text)
    else:
        assert SecretRef.parse(text) == expected
        assert SecretRef.parse(str(expected)) == expected


@pytest.mark.parametrize(
    "marker",
    [
        Marker("default", "sa", timedelta(hours=48)),
        Marker("prow", "builder", timedelta(minutes=90), ("api",), SecretRef("prow", "k", "x")),
    ],
    ids=["plain", "audiences-and-secret"],
)
def test_a_marker_survives_a_kubeconfig(marker: Marker, tmp_path: Path) -> None:
    doc = write_kubeconfig_context(
        {}, context="build", server="https://b:6443", ca_data="Q0E=", token="t", marker=marker
    )
    save_kubeconfig_file(tmp_path / "k", doc)
    read = load_kubeconfig_doc(tmp_path / "k")
    assert Marker.of_context(read["contexts"][0]["context"]) == marker
    assert read["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="


def test_replace_token_touches_only_that_user() -> None:
    marker = Marker("default", "sa", timedelta(hours=1))
    doc = write_kubeconfig_context(
        {}, context="a", server="s", ca_data=None, token="old", marker=marker
    )
    doc = write_kubeconfig_context(
        doc, context="b", server="s", ca_data=None, token="b", marker=marker
    )
    new = replace_token(doc, "a", "new")
    assert [u["user"]["token"] for u in new["users"]] == ["new", "b"]
    assert [u["user"]["token"] for u in doc["users"]] == ["old", "b"]
    with pytest.raises(TokenError, match="no longer has a context 'c'"):
        replace_token(doc, "c", "x")


def test_an_issued_token_is_never_in_its_repr() -> None:
    from datetime import UTC, datetime

    from minprow.kube.tokens import IssuedToken

    assert "s3cr3t" not in repr(IssuedToken("s3cr3t", datetime(2026, 1, 1, tzinfo=UTC)))
