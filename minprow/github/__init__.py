"""GitHub in and out: the REST client (token or GitHub App), its credentials and
the typed webhook payloads (Prow's pkg/github)."""
