"""Benchmark of branchprotector over Kubernetes' own `branch-protection` section.

Loads the corpus config (shared/corpus/kubernetes-test-infra: its
`branch-protection` and its 3,849 jobs, whose required presubmits add their
contexts), then stands up the fake GitHub with every repository the section
names or whose presubmits it protects, each with `main`, `master` and the
branches the section names, none protected. Runs `Protector.plan()` and then
applies every change, over real HTTP, and prints: repositories and branches
walked, changes, GitHub requests made, and the wall time of each phase; then a
second plan, which must find nothing to change (budget: 0 changes).

    python benchmarks/bench_branchprotector.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fakegithub import FakeGitHub  # noqa: E402

from minprow.branchprotector import Protector  # noqa: E402
from minprow.config import load_config  # noqa: E402
from minprow.github.auth import TokenFile  # noqa: E402
from minprow.github.client import GitHubClient  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "kubernetes-test-infra"


async def main() -> int:
    config = load_config(
        CORPUS / "config" / "prow" / "config.yaml", CORPUS / "config" / "jobs", processes=2
    )
    bp = config.branch_protection
    async with FakeGitHub() as fake:
        repos = 0
        for org_name, org in bp.orgs.items():
            named = set(org.repos) | {
                r.split("/", 1)[1] for r in config.presubmits if r.startswith(f"{org_name}/")
            }
            named = named or {"example"}  # an org the jobs do not name still has a repository
            for repo_name in sorted(named):
                fake.repos.add_repo(org_name, repo_name, default_branch="main")
                repo = org.repos.get(repo_name)
                for branch in {"master", *(repo.branches if repo else ())}:
                    fake.repos.add_branch(org_name, repo_name, branch)
                repos += 1
        with tempfile.TemporaryDirectory() as tmp:
            token = Path(tmp) / "token"
            token.write_text("t\n")
            async with GitHubClient(TokenFile(token), endpoint=fake.url) as client:
                protector = Protector(client, lambda: config)
                start, before = time.perf_counter(), len(fake.requests)
                plan = await protector.plan()
                planned = time.perf_counter() - start
                plan_requests = len(fake.requests) - before
                start, before = time.perf_counter(), len(fake.requests)
                for change in plan.changes:
                    await protector.apply(change)
                applied = time.perf_counter() - start
                apply_requests = len(fake.requests) - before
                again = await protector.plan()
    print(f"corpus: {repos} repositories in {len(bp.orgs)} orgs on the fake GitHub")
    print(
        f"plan: {plan.repos} repositories, {plan.branches} branches, {len(plan.changes)} "
        f"changes, {len(plan.errors)} errors, {plan_requests} requests, {planned:.2f} s "
        f"({planned / max(plan.branches, 1) * 1000:.1f} ms a branch)"
    )
    print(f"apply: {len(plan.changes)} changes, {apply_requests} requests, {applied:.2f} s")
    print(f"second plan: {len(again.changes)} changes (budget 0), {len(again.errors)} errors")
    for error in plan.errors[:5]:
        print(f"  error: {error}")
    return 0 if not again.changes else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
