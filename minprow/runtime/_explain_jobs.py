"""Why each job of a repo would or would not run: the reasons behind `minprow explain`.

The verdicts are trigger's own: presubmits go through `filter_presubmits` with
the `TestAllFilter` (what a PR's open or synchronize runs, Prow's
`buildAllButDrafts`), postsubmits through `Postsubmit.should_run` (Prow's
`handlePE`). This module only names the reasons: which branch pattern matched
(searched unanchored, as Prow does), which changed file decided, which trigger
runs a job on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from minprow.config import Postsubmit, Presubmit, branch_from_ref
from minprow.config.goregex import compile_regex
from minprow.hook.plugins.trigger.filters import TestAllFilter, filter_presubmits


class Verdict(StrEnum):
    RUN = "RUN"
    SKIP = "SKIP"
    ON_DEMAND = "ON-DEMAND"


@dataclass(frozen=True)
class Explanation:
    """One job's verdict, the reason in a sentence, and the facts behind it."""

    job: str
    verdict: Verdict
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def runs(self) -> bool:
        return self.verdict is Verdict.RUN

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "runs": self.runs,
            "reason": self.reason,
            "details": {"verdict": self.verdict.value, **self.details},
        }


@dataclass(frozen=True)
class Gate:
    """What stops a whole event (a PR, a push) from running jobs automatically:
    None for no gate."""

    reason: str | None = None
    blocks_comments: bool = False
    """The gate also stops `/test` (plugin not enabled, `mergeable: false`), not
    only the automatic runs (untrusted author, draft)."""


def _q(text: str) -> str:
    """Quote a pattern, path or branch as written (no escaped backslashes)."""
    return f"'{text}'"


def _files(count: int) -> str:
    return f"{count} changed file{'s' * (count != 1)}"


def _first_match(patterns: list[str], text: str) -> str | None:
    return next((p for p in patterns if compile_regex(p).search(text)), None)


def branch_reason(job: Presubmit | Postsubmit, branch: str) -> tuple[bool, str, dict[str, Any]]:
    """(admitted, why, details) for the job's `branches` / `skip_branches` and `branch`."""
    admitted = job.should_run_for_branch(branch)
    details: dict[str, Any] = {
        "branch": branch,
        "branches": list(job.branches),
        "skip_branches": list(job.skip_branches),
    }
    if job.runs_against_all_branches():
        return admitted, f"runs against every branch ({_q(branch)} included)", details
    skipped = _first_match(job.skip_branches, branch)
    if skipped is not None:
        details["matched_skip_branch"] = skipped
        return (
            admitted,
            f"skip_branches pattern {_q(skipped)} matches {_q(branch)} (unanchored)",
            details,
        )
    if not job.branches:
        return admitted, f"no skip_branches pattern matches {_q(branch)}", details
    matched = _first_match(job.branches, branch)
    if matched is not None:
        details["matched_branch"] = matched
        return (
            admitted,
            f"branches pattern {_q(matched)} matches {_q(branch)} (unanchored)",
            details,
        )
    shown = ", ".join(_q(p) for p in job.branches)
    return admitted, f"no branches pattern ({shown}) matches {_q(branch)}", details


def changes_reason(
    job: Presubmit | Postsubmit, files: list[str], *, files_known: bool
) -> tuple[str, dict[str, Any]]:
    """Why the job's change regex does or does not pick these changed files."""
    rx = job.changes_regex()
    assert rx is not None, "only for jobs with a change regex"
    if job.run_if_changed:
        details: dict[str, Any] = {"run_if_changed": job.run_if_changed}
        key = "run_if_changed"
    else:
        details = {"skip_if_only_changed": job.skip_if_only_changed}
        key = "skip_if_only_changed"
    details["changed_files"] = list(files)
    if not files:
        known = "the list of changed files is empty" if files_known else "no changed files given"
        return f"{key} {_q(rx.pattern)}: {known}", details
    if job.run_if_changed:
        hit = next((f for f in files if rx.search(f)), None)
        if hit is not None:
            details["matched_file"] = hit
            return f"run_if_changed {_q(rx.pattern)} matches changed file {_q(hit)}", details
        return f"run_if_changed {_q(rx.pattern)} matches none of the {_files(len(files))}", details
    other = next((f for f in files if not rx.search(f)), None)
    if other is not None:
        details["unmatched_file"] = other
        return (
            f"skip_if_only_changed {_q(rx.pattern)} does not match changed file {_q(other)}",
            details,
        )
    return (
        f"skip_if_only_changed {_q(rx.pattern)} matches all {_files(len(files))}",
        details,
    )


def _on_demand(job: Presubmit) -> str:
    return f"comment {_q(job.rerun_command)} (trigger {_q(job.trigger)})"


async def explain_presubmits(
    presubmits: list[Presubmit],
    base_ref: str,
    files: list[str],
    *,
    files_known: bool,
    gate: Gate,
) -> list[Explanation]:
    """Every presubmit: would a PR against `base_ref` with `files` run it on open
    or synchronize (the `/test all` filter), and why."""

    async def changes() -> list[str]:
        return list(files)

    picked = {
        job.name for job in await filter_presubmits(TestAllFilter(), base_ref, presubmits, changes)
    }
    return [
        _presubmit(job, base_ref, files, files_known, gate, job.name in picked)
        for job in presubmits
    ]


def _presubmit(
    job: Presubmit, base_ref: str, files: list[str], files_known: bool, gate: Gate, picked: bool
) -> Explanation:
    admitted, why_branch, details = branch_reason(job, base_ref)
    details |= {
        "always_run": job.always_run,
        "optional": job.optional,
        "trigger": job.trigger,
        "rerun_command": job.rerun_command,
        "context": job.context,
    }
    suffix = " (optional: not required for merge)" if job.optional else ""
    if not admitted:
        return Explanation(job.name, Verdict.SKIP, why_branch + suffix, details)
    matches, _, _ = TestAllFilter().should_run(job)
    if not matches:
        verdict, why = Verdict.ON_DEMAND, f"runs only on an explicit trigger: {_on_demand(job)}"
    else:
        if job.always_run:
            why = "always_run: true"
        else:
            why, change_details = changes_reason(job, files, files_known=files_known)
            details |= change_details
        if not job.runs_against_all_branches():
            why = f"{why_branch}; {why}"
        verdict = Verdict.RUN if picked else Verdict.SKIP
        if not picked:
            why += f"; {_on_demand(job)} runs it anyway"
    blocked = verdict is Verdict.RUN or (verdict is Verdict.ON_DEMAND and gate.blocks_comments)
    if gate.reason is not None and blocked:
        details["would_run_if_allowed"] = verdict is Verdict.RUN
        verdict, why = Verdict.SKIP, f"{gate.reason} (else: {why})"
    return Explanation(job.name, verdict, why + suffix, details)


def explain_postsubmits(
    postsubmits: list[Postsubmit],
    ref: str,
    files: list[str],
    *,
    files_known: bool,
    gate: Gate | None = None,
) -> list[Explanation]:
    """Every postsubmit: would a push of `ref` with `files` run it, and why."""
    branch = branch_from_ref(ref)
    tag = ref.startswith("refs/tags/")
    result: list[Explanation] = []
    for job in postsubmits:
        runs = job.should_run(ref, list(files))
        admitted, why, details = branch_reason(job, branch)
        details["ref"] = ref
        if tag:
            why = f"tag {_q(branch)} is matched as a branch: {why}"
        if admitted:
            if job.could_run_with_changes():
                what, change_details = changes_reason(job, files, files_known=files_known)
                details |= change_details
            elif job.always_run is False:
                what = "always_run: false and no change regex"
            else:
                what = "runs on every push (always_run unset or true, no change regex)"
            why = what if job.runs_against_all_branches() else f"{why}; {what}"
        details["always_run"] = job.always_run
        if runs and gate is not None and gate.reason is not None:
            details["would_run_if_allowed"] = True
            why, runs = f"{gate.reason} (else: {why})", False
        result.append(Explanation(job.name, Verdict.RUN if runs else Verdict.SKIP, why, details))
    return result


__all__ = [
    "Explanation",
    "Gate",
    "Verdict",
    "branch_reason",
    "changes_reason",
    "explain_postsubmits",
    "explain_presubmits",
]
