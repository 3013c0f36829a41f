"""`minprow send-event`: deliver a webhook payload to a hook, signed as GitHub would.

Corresponds to Prow's cmd/phony. The secret is `--hmac-path`, by default the
one `minprow up` made in the state directory. The payload file is sent
unchanged with `X-GitHub-Event`, `X-GitHub-Delivery` (a fresh UUID unless given),
`X-Hub-Signature-256` (the first token of the HMAC secret that applies to the
payload's repo) and `Content-Type: application/json`. The status and body of
the answer are printed; the exit code is non-zero for a non-2xx answer, an
unreachable address or an unusable file.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import aiohttp

from minprow.github.hmac import (
    SIGNATURE_HEADER,
    HmacSecretError,
    HmacSecretFile,
    org_repo_of,
    sign,
)

DEFAULT_ADDRESS = "http://localhost:8888/hook"
"""Prow's phony `--address`."""
TIMEOUT_SECONDS = 30.0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


async def send_event_async(
    hmac_path: Path,
    event_type: str,
    payload_file: Path,
    address: str = DEFAULT_ADDRESS,
    delivery_id: str | None = None,
) -> int:
    """`send_event` as a coroutine, for callers already in an event loop."""
    try:
        body = await asyncio.to_thread(payload_file.read_bytes)
    except OSError as err:
        return _fail(f"cannot read the payload {payload_file}: {err.strerror or err}")
    try:
        payload = json.loads(body)
    except ValueError as err:
        return _fail(f"{payload_file} is not JSON: {err}")
    if not isinstance(payload, dict):
        return _fail(f"{payload_file} is not a JSON object")
    try:
        secret = HmacSecretFile(hmac_path).secret()
    except HmacSecretError as err:
        return _fail(str(err))
    scope = org_repo_of(payload)
    token = secret.first_token(scope)
    if token is None:
        return _fail(f"{hmac_path} has no token for {scope or 'events without a repository'}")
    headers = {
        "X-GitHub-Event": event_type,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        SIGNATURE_HEADER: sign(body, token),
        "Content-Type": "application/json",
    }
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(address, data=body, headers=headers) as response,
        ):
            text = await response.text(errors="replace")
            status = response.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as err:
        return _fail(f"cannot deliver to {address}: {err or type(err).__name__}")
    print(f"{status} {text.strip()}")
    if not 200 <= status < 300:
        return _fail(f"hook at {address} answered {status}")
    return 0


def hmac_path_of(state_dir: Path) -> Path | None:
    """The secret `minprow up` made in `state_dir` (its hook's, with no
    --hmac-secret-file); None, said on stderr, when there is none."""
    from minprow.runtime.serve import HMAC_FILE

    path = state_dir / HMAC_FILE
    if path.is_file():
        return path
    _fail(
        f"no --hmac-path, and no webhook secret at {path}: start `minprow up` (it makes "
        "one there), or pass --hmac-path (the --hmac-secret-file of `minprow serve`)"
    )
    return None


def send_event(
    hmac_path: Path,
    event_type: str,
    payload_file: Path,
    address: str = DEFAULT_ADDRESS,
    delivery_id: str | None = None,
) -> int:
    """Send one signed webhook to `address`; the exit code (0 on a 2xx answer)."""
    return asyncio.run(send_event_async(hmac_path, event_type, payload_file, address, delivery_id))
