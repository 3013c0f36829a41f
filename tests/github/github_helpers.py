"""Constants shared by the GitHub client tests: the fixture token and a retry
policy small enough to count its attempts."""

from __future__ import annotations

from minprow.github.transport import RetryPolicy

TOKEN = "ghp_fixturetoken0123456789"
POLICY = RetryPolicy(max_attempts=4, initial_backoff=0.5, max_backoff=2.0, max_rate_limit_wait=5.0)
