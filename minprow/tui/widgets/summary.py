"""The summary header: where the jobs come from, counts by state, jobs per cluster,
and the pass rate of the last hour.

Deck shows none of this at a glance (its front page is the job list alone); the
header answers "is anything on fire?" before the user reads a single row.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from minprow.tui.rows import STATE_LOOK, JobList

_MAX_CLUSTERS = 6
"""Clusters listed by name; the rest are summed, so the header stays one line."""


class SummaryHeader(Static):
    """Two lines over the table (a third for a problem: a lost feed, nothing running
    the jobs); the app calls `show` when jobs change and each second."""

    DEFAULT_CSS = """
    SummaryHeader {
        height: auto;
        max-height: 5;
        padding: 0 1;
        background: $boost;
    }
    """

    def show(
        self, jobs: JobList, passed: tuple[int, int], description: str, problem: str = ""
    ) -> None:
        self.update(summary(jobs, passed, description, problem))


def summary(
    jobs: JobList, passed_judged: tuple[int, int], description: str, problem: str = ""
) -> Text:
    """The header's text; `passed_judged` is `jobs.pass_rate(now)`, which the caller
    keeps: it costs a pass over every job, too much for each filter keystroke."""
    text = Text()
    text.append("minprow", style="bold")
    text.append(f" · {description}", style="dim")
    text.append(f"   {len(jobs)} jobs", style="bold")
    shown = len(jobs.shown)
    if not jobs.filter.empty:
        text.append(f" ({shown} shown)")
    for state, (symbol, colour) in STATE_LOOK.items():
        count = jobs.by_state.get(state, 0)
        if count:
            text.append("  ")
            text.append(f"{symbol} {count} {state}", style=colour)
    passed, judged = passed_judged
    text.append("   pass rate 1h: ")
    if judged:
        rate = passed / judged
        colour = "green" if rate >= 0.9 else "yellow" if rate >= 0.6 else "red"
        text.append(f"{rate:.0%}", style=f"bold {colour}")
        text.append(f" ({passed}/{judged})", style="dim")
    else:
        text.append("—", style="dim")
    text.append("\nclusters: ", style="dim")
    clusters = jobs.by_cluster.most_common()
    for i, (cluster, count) in enumerate(clusters[:_MAX_CLUSTERS]):
        text.append(" · " if i else "")
        text.append(cluster, style="bold")
        text.append(f" {count}")
    rest = clusters[_MAX_CLUSTERS:]
    if rest:
        text.append(f" · {len(rest)} more: {sum(count for _, count in rest)}")
    if problem:
        text.append("\n")
        text.append(f"⚠ {problem}", style="bold red")
    return text
