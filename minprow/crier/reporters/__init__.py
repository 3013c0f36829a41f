"""Crier's reporters, one module each and independent of each other: `github`
(commit statuses and the failure summary comment), `gcs` (a finished job's
metadata files) and `slack` (an incoming-webhook message)."""
