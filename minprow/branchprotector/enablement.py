"""Which orgs and repos a run may touch: Prow's `--github-enabled-org`,
`--github-enabled-repo`, `--github-disabled-org`, `--github-disabled-repo`.

Corresponds to `GitHubEnablementOptions` of Prow's
pkg/flagutil/github_enablement.go: with any enabled org or repo given, only
those are touched; the disabled ones never are. As in Prow, an org is asked
about with an empty repo name, so naming only repositories of an org does not
enable the org's own walk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class EnablementError(ValueError):
    """Flags that contradict each other or are not in org/repo form."""


@dataclass(frozen=True)
class Enablement:
    enabled_orgs: frozenset[str] = frozenset()
    enabled_repos: frozenset[str] = frozenset()
    disabled_orgs: frozenset[str] = frozenset()
    disabled_repos: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        enabled_orgs: Iterable[str] = (),
        enabled_repos: Iterable[str] = (),
        disabled_orgs: Iterable[str] = (),
        disabled_repos: Iterable[str] = (),
    ) -> Enablement:
        """Checked as Prow's `Validate`: repos in org/repo form, nothing both enabled and disabled."""
        made = cls(
            frozenset(enabled_orgs),
            frozenset(enabled_repos),
            frozenset(disabled_orgs),
            frozenset(disabled_repos),
        )
        problems = [
            f"--github-{kind}-repo={repo} is not in org/repo form"
            for kind, repos in (("enabled", made.enabled_repos), ("disabled", made.disabled_repos))
            for repo in sorted(repos)
            if len(parts := repo.split("/")) != 2 or not all(parts)
        ]
        for kind, a, b in (
            ("org", made.enabled_orgs, made.disabled_orgs),
            ("repo", made.enabled_repos, made.disabled_repos),
        ):
            if both := sorted(a & b):
                problems.append(
                    f"{', '.join(both)}: in both --github-enabled-{kind} and --github-disabled-{kind}"
                )
        if problems:
            raise EnablementError("; ".join(problems))
        return made

    def allows(self, org: str, repo: str) -> bool:
        if (self.enabled_orgs or self.enabled_repos) and not (
            org in self.enabled_orgs or f"{org}/{repo}" in self.enabled_repos
        ):
            return False
        return org not in self.disabled_orgs and f"{org}/{repo}" not in self.disabled_repos
