"""plugins.yaml (`--plugin-config`): which hook plugins run where, and their settings.

Corresponds to Prow's pkg/plugins/config.go (`Configuration`, `OrgPlugins`,
`Trigger`, `ExternalPlugin`, `Lgtm`, `Label`) and the plugin lookup of
pkg/plugins/plugins.go (`ConfigAgent.getPlugins`, `TriggerFor`). Sections minprow
reads are typed; every other section is kept as the mapping it is in the file.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from minprow.config import configupdater
from minprow.config.configupdater import ConfigUpdater
from minprow.config.gojson import lookup
from minprow.config.gomodel import GoPart
from minprow.config.goregex import RegexError, compile_regex
from minprow.model import parse_duration


class _Part(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class OrgPlugins(_Part):
    """Prow's `OrgPlugins`: the plugins of an org or repo.

    plugins.yaml gives either a plain list of names or
    `{plugins: [...], excluded_repos: [...]}`; both load into this form.
    `excluded_repos` only means something on an org entry."""

    plugins: list[str] = Field(default_factory=list)
    excluded_repos: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _list_form(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"plugins": data}
        if data is None:
            return {}
        return data


class ProminentOrgInvite(_Part):
    """Prow's `ProminentOrgInviteConfig`: when the welcome invites its author into
    the org prominently."""

    disabled: bool = False
    merged_pr_threshold: int | None = None
    """Merged PRs in the org from which the invitation is prominent; unset is 3."""
    message: str = ""
    """The prominent text, `{join_org_url}` filled in; empty is minprow's own."""

    @property
    def threshold(self) -> int:
        return 3 if self.merged_pr_threshold is None else self.merged_pr_threshold


class OrgInvite(_Part):
    """Prow's `OrgInviteConfig`."""

    prominent: ProminentOrgInvite = Field(default_factory=ProminentOrgInvite)


class Trigger(_Part):
    """Prow's `Trigger` plugin settings for a set of orgs/repos."""

    repos: list[str] = Field(default_factory=list)
    trusted_org: str = ""
    trusted_apps: list[str] = Field(default_factory=list)
    join_org_url: str = ""
    only_org_members: bool = False
    ignore_ok_to_test: bool = False
    trigger_github_workflows: bool = False
    org_invite: OrgInvite = Field(default_factory=OrgInvite)


class ExternalPlugin(_Part):
    """Prow's `ExternalPlugin`: a webhook receiver outside hook."""

    name: str
    endpoint: str = ""
    events: list[str] = Field(default_factory=list)

    @property
    def endpoint_or_default(self) -> str:
        """Prow defaults the endpoint to `http://<name>`."""
        return self.endpoint or f"http://{self.name}"


class Lgtm(_Part):
    """Prow's `Lgtm` plugin settings for a set of orgs/repos."""

    repos: list[str] = Field(default_factory=list)
    review_acts_as_lgtm: bool = False
    store_tree_hash: bool = False
    sticky_lgtm_team: str = ""
    trusted_team_for_sticky_lgtm: str = ""


class Label(_Part):
    """Prow's `Label` plugin settings."""

    additional_labels: list[str] = Field(default_factory=list)
    restricted_labels: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)


class PluginConfig(GoPart):
    """The plugin configuration (Prow's `plugins.Configuration`).

    Sections not typed here (approve, owners, size, slack, welcome, ...) are kept
    as mappings in `model_extra`; `section(name)` returns one. An empty section
    (`approve:` with nothing under it) is null in YAML, and unset (GoPart)."""

    plugins: dict[str, OrgPlugins] = Field(default_factory=dict)
    """Enabled plugins by "org" or "org/repo"."""
    triggers: list[Trigger] = Field(default_factory=list)
    external_plugins: dict[str, list[ExternalPlugin]] = Field(default_factory=dict)
    lgtm: list[Lgtm] = Field(default_factory=list)
    label: Label = Field(default_factory=Label)
    config_updater: ConfigUpdater = Field(default_factory=ConfigUpdater)

    def enabled_plugins(self, org: str, repo: str) -> list[str]:
        """Prow's `ConfigAgent.getPlugins`: the org's plugins (unless the repo is in
        its `excluded_repos`) followed by the repo's own."""
        names: list[str] = []
        org_entry = self.plugins.get(org)
        if org_entry is not None and repo not in org_entry.excluded_repos:
            names.extend(org_entry.plugins)
        repo_entry = self.plugins.get(f"{org}/{repo}")
        if repo_entry is not None:
            names.extend(repo_entry.plugins)
        return names

    def is_enabled(self, plugin: str, org: str, repo: str) -> bool:
        return plugin in self.enabled_plugins(org, repo)

    def trigger_for(self, org: str, repo: str) -> Trigger:
        """Prow's `TriggerFor`: the first trigger entry naming the repo or its org,
        else the default settings."""
        full = f"{org}/{repo}"
        for trigger in self.triggers:
            if org in trigger.repos or full in trigger.repos:
                return trigger
        return Trigger()

    def lgtm_for(self, org: str, repo: str) -> Lgtm:
        """Prow's `LgtmFor`: the repo's entry, else the org's, else the defaults."""
        full = f"{org}/{repo}"
        for entry in self.lgtm:
            if full in entry.repos:
                return entry
        for entry in self.lgtm:
            if org in entry.repos:
                return entry
        return Lgtm()

    def external_plugins_for(self, org: str, repo: str) -> list[ExternalPlugin]:
        """External plugins of the org, then of the repo."""
        return [
            *self.external_plugins.get(org, ()),
            *self.external_plugins.get(f"{org}/{repo}", ()),
        ]

    def section(self, name: str) -> Any:
        """A section of plugins.yaml minprow keeps untyped, as read (None if absent)."""
        return (self.model_extra or {}).get(name)


# The regexes Prow compiles from plugins.yaml at load (`compileRegexpsAndDurations`
# in pkg/plugins/config.go): (section, list of items?, path within an item).
_PLUGIN_REGEXES: tuple[tuple[str, bool, tuple[str, ...]], ...] = (
    ("sigmention", False, ("regexp",)),
    ("cherry_pick_unapproved", False, ("branchregexp",)),
    ("cherry_pick_approved", True, ("branchregexp",)),
    ("blockades", True, ("branchregexp",)),
    ("heart", False, ("commentregexp",)),
    ("require_matching_label", True, ("regexp",)),
    ("blunderbuss", False, ("wait_for_status", "description")),
    ("rifle", False, ("wait_for_status", "description")),
)


def plugin_problems(config: PluginConfig) -> list[tuple[str, str]]:
    """(field, message) for every regex of plugins.yaml that Go's regexp refuses,
    every `require_matching_label` grace period that is not a duration, and what
    Prow refuses in `config_updater`."""
    found = configupdater.problems(config.config_updater)
    for section, is_list, path in _PLUGIN_REGEXES:
        value = lookup(config.model_extra or {}, section)
        items = (value if isinstance(value, list) else []) if is_list else [value]
        for i, item in enumerate(items):
            where = f"{section}[{i}]" if is_list else section
            for key in path:
                item = lookup(item, key)
                where += f".{key}"
            if isinstance(item, str) and item:
                try:
                    compile_regex(item)
                except RegexError as err:
                    found.append((where, f'invalid regex "{item}": {err}'))
            if section == "require_matching_label":
                grace = lookup(items[i], "grace_period")
                try:
                    parse_duration(grace if isinstance(grace, str) and grace else "5s")
                except ValueError as err:
                    found.append((f"{section}[{i}].grace_period", str(err)))
    return found
