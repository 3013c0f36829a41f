"""Restricted labels: who may add or remove them, per repo.

Corresponds to `RestrictedLabel` and `Label.RestrictedLabelsFor` of Prow's
pkg/plugins/config.go and `canUserSetLabel` of pkg/plugins/label/label.go.
plugins.yaml keys `restricted_labels` by "*", org or org/repo; the entries for a
repo are the union of the three, a narrower key overriding a wider one for the
same label (compared case-insensitively).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from minprow.config.plugins import Label


@dataclass(frozen=True)
class RestrictedLabel:
    """One `restricted_labels` entry."""

    label: str
    allowed_teams: tuple[str, ...] = ()
    allowed_users: tuple[str, ...] = ()
    allow_approvers_from_owners: bool = False
    remove_on_new_commits: bool = False
    assign_on: tuple[str, ...] = ()
    """Labels whose addition assigns `allowed_users` (Prow's `assign_on`)."""

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> RestrictedLabel:
        return cls(
            label=str(entry.get("label", "")),
            allowed_teams=tuple(str(t) for t in entry.get("allowed_teams") or ()),
            allowed_users=tuple(str(u) for u in entry.get("allowed_users") or ()),
            allow_approvers_from_owners=bool(entry.get("allow_approvers_from_owners", False)),
            remove_on_new_commits=bool(entry.get("remove_on_new_commits", False)),
            assign_on=tuple(str(on.get("label", "")) for on in entry.get("assign_on") or () if on),
        )

    def refusal(self) -> str:
        """Why a user neither allowed nor in an allowed team cannot change it.
        Prow names up to 20 allowed users picked at random; here the first 20."""
        msg = (
            f"only allowed users and members of allowed teams can add or remove "
            f"the label `{self.label}`."
        )
        if self.allowed_teams:
            msg += f" The allowed teams are: {', '.join(self.allowed_teams)}."
        elif self.allowed_users:
            msg += f" Ask one of these users: {', '.join(self.allowed_users[:20])}."
        return msg


def restricted_labels_for(config: Label, org: str, repo: str) -> dict[str, RestrictedLabel]:
    """The restricted labels of org/repo, by lower-cased label."""
    result: dict[str, RestrictedLabel] = {}
    for key in ("*", org, f"{org}/{repo}"):
        for entry in config.restricted_labels.get(key, []):
            restricted = RestrictedLabel.from_config(entry)
            result[restricted.label.lower()] = restricted
    return result
