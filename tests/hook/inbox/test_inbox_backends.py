"""The webhook inbox backends' one contract, run against memory, sqlite and kube (the
real `kubernetes` client against the fake API server, tests/fakekube.py), then what
only the durable ones promise: de-duplication across restarts, sqlite's single
writer, and kube's ownership (adoption, compare-and-swap claims), its size limit,
its ConfigMaps as others read them, and an unreachable API server.

Every backend runs by default; `MINPROW_INBOX_BACKENDS=kube pytest tests/hook/inbox`
picks some."""

from __future__ import annotations

import asyncio
import base64
import gzip
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakekube import FakeKubeThread
from fakes import T0, VirtualClock

from minprow.hook.inbox import InboxBackend, InboxEntry, InboxError, MemoryInbox, SqliteInbox
from minprow.hook.inbox.kube import KubeInbox, configmap_name
from minprow.store.kube import api_client_for
from tests.conftest import free_port

WEBHOOKS = Path(__file__).resolve().parents[3] / "fixtures" / "github" / "webhooks"
NS = "prow"
UUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"  # a GitHub delivery id
TOKEN = "s3cr3t-t0k3n"

BACKENDS = os.environ.get("MINPROW_INBOX_BACKENDS", "memory,sqlite,kube").split(",")
DURABLE = [b for b in BACKENDS if b in ("sqlite", "kube")]

MakeInbox = Callable[..., InboxBackend]


def payload(name: str) -> bytes:
    """A vendored @octokit/webhooks-examples payload, byte for byte."""
    return (WEBHOOKS / name).read_bytes()


PR_OPENED = payload("pull_request.opened.json")
COMMENT = payload("issue_comment.created.json")
PUSH = payload("push.event.json")


def entry(
    delivery_id: str, body: bytes = PR_OPENED, *, seconds: float = 0, event: str = "pull_request"
) -> InboxEntry:
    return InboxEntry(delivery_id, event, body, T0 + timedelta(seconds=seconds))


def replayed(entries: list[InboxEntry]) -> list[tuple[str, str, bytes | None, set[str], bool]]:
    """What a replay hands the dispatcher, per entry."""
    return [(e.delivery_id, e.event_type, e.body, set(e.done), e.replayed) for e in entries]


@pytest.fixture
def fake_kube() -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as server:
        yield server


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


def _kube(server: FakeKubeThread, clock: VirtualClock, identity: str, **kwargs: Any) -> KubeInbox:
    return KubeInbox(
        api_client_for(server.url, token=TOKEN), NS, identity=identity, clock=clock, **kwargs
    )


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
async def make_inbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeInbox]:
    """A factory of backends over one test's state; calling it again is a restart
    (memory: the same instance, as nothing else survives)."""
    kind: str = request.param
    made: list[InboxBackend] = []
    if kind == "kube":
        server: FakeKubeThread = request.getfixturevalue("fake_kube")
        clock: VirtualClock = request.getfixturevalue("clock")

    def make(identity: str = "hook-0") -> InboxBackend:
        backend: InboxBackend
        if kind == "memory":
            backend = made[0] if made else MemoryInbox()
        elif kind == "sqlite":
            backend = SqliteInbox.in_dir(tmp_path)
        else:
            backend = _kube(server, clock, identity)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.close()


async def restart(
    make_inbox: MakeInbox, inbox: InboxBackend
) -> tuple[InboxBackend, list[InboxEntry]]:
    """Close `inbox`, open a new one on the same storage; returns it and what it replays."""
    await inbox.close()
    again = make_inbox()
    return again, await again.open()


# The contract: every backend.


@pytest.mark.parametrize("finished", [False, True], ids=["while-waiting", "once-finished"])
async def test_a_known_delivery_id_is_refused(make_inbox: MakeInbox, finished: bool) -> None:
    inbox = make_inbox()
    await inbox.open()
    assert await inbox.accept(entry(UUID)) is True
    if finished:
        await inbox.finish(UUID)

    assert await inbox.accept(entry(UUID, COMMENT, seconds=5)) is False
    _, waiting = await restart(make_inbox, inbox)
    assert replayed(waiting) == (
        [] if finished else [(UUID, "pull_request", PR_OPENED, set(), True)]
    )


async def test_open_replays_what_was_not_finished_oldest_first(make_inbox: MakeInbox) -> None:
    inbox = make_inbox()
    await inbox.open()
    # Accepted out of time order (two replicas' clocks, or the same instant): open sorts.
    for delivery, body, seconds in [("d-late", PUSH, 20), ("d-first", PR_OPENED, 0), ("d-mid", COMMENT, 10), ("d-done", PUSH, 5)]:  # fmt: skip
        assert await inbox.accept(entry(delivery, body, seconds=seconds, event="push"))
    await inbox.progress("d-mid", frozenset({"trigger"}))
    await inbox.finish("d-done")

    _, waiting = await restart(make_inbox, inbox)

    assert replayed(waiting) == [
        ("d-first", "push", PR_OPENED, set(), True),
        ("d-mid", "push", COMMENT, {"trigger"}, True),
        ("d-late", "push", PUSH, set(), True),
    ]
    assert [e.received for e in waiting] == [T0 + timedelta(seconds=s) for s in (0, 10, 20)]


@pytest.mark.parametrize(
    "steps",
    [
        [frozenset({"trigger"})],
        [frozenset({"trigger"}), frozenset({"trigger", "lgtm"})],
        [frozenset({"trigger"}), frozenset()],
    ],
    ids=["one-plugin", "two-plugins", "reset"],
)
async def test_progress_is_kept_across_a_restart(
    make_inbox: MakeInbox, steps: list[frozenset[str]]
) -> None:
    inbox = make_inbox()
    await inbox.open()
    await inbox.accept(entry(UUID))
    for done in steps:
        await inbox.progress(UUID, done)

    _, waiting = await restart(make_inbox, inbox)

    assert [(e.delivery_id, e.done) for e in waiting] == [(UUID, steps[-1])]


@pytest.mark.parametrize(
    "delivery_id",
    [
        UUID,
        UUID.upper(),
        "not a DNS label: spaces/slashes",
        "x" * 300,
    ],
    ids=["github-uuid", "upper-case", "punctuation", "300-chars"],
)
async def test_any_delivery_id_is_kept_and_loaded_as_given(
    make_inbox: MakeInbox, delivery_id: str
) -> None:
    inbox = make_inbox()
    await inbox.open()
    assert await inbox.accept(entry(delivery_id)) is True
    assert await inbox.load(delivery_id) == PR_OPENED

    inbox, waiting = await restart(make_inbox, inbox)

    assert [e.delivery_id for e in waiting] == [delivery_id]
    assert await inbox.load(delivery_id) == PR_OPENED


async def test_ids_differing_only_in_case_are_two_deliveries(make_inbox: MakeInbox) -> None:
    inbox = make_inbox()
    await inbox.open()
    assert await inbox.accept(entry(UUID, PR_OPENED)) is True
    assert await inbox.accept(entry(UUID.upper(), COMMENT, seconds=1)) is True
    assert (await inbox.load(UUID), await inbox.load(UUID.upper())) == (PR_OPENED, COMMENT)


# (delivery, finished, seconds after T0 it was received)
PRUNE_TABLE = [
    ("finished-old", True, 0),
    ("finished-new", True, 3600),
    ("waiting-old", False, 0),
    ("waiting-new", False, 3600),
]


async def test_prune_forgets_only_finished_deliveries_received_before(
    make_inbox: MakeInbox,
) -> None:
    inbox = make_inbox()
    await inbox.open()
    for delivery, finished, seconds in PRUNE_TABLE:
        await inbox.accept(entry(delivery, seconds=seconds))
        if finished:
            await inbox.finish(delivery)

    assert await inbox.prune(T0 + timedelta(seconds=1800)) == 1
    assert await inbox.prune(T0 + timedelta(seconds=1800)) == 0

    # Only the pruned id is new again; the others are still known.
    accepted = {d: await inbox.accept(entry(d, COMMENT, seconds=7200)) for d, _, _ in PRUNE_TABLE}
    assert accepted == {
        "finished-old": True,
        "finished-new": False,
        "waiting-old": False,
        "waiting-new": False,
    }
    _, waiting = await restart(make_inbox, inbox)
    assert [(e.delivery_id, e.body) for e in waiting] == [
        ("waiting-old", PR_OPENED),
        ("waiting-new", PR_OPENED),
        ("finished-old", COMMENT),
    ]


# Durable backends: sqlite and kube.


async def test_deliveries_accepted_at_once_are_each_kept_once(make_inbox: MakeInbox) -> None:
    """Past capacity many deliveries arrive in one turn of the loop (the sqlite inbox
    commits them together): each is kept, the first of two with one id wins, and
    every one answered is there after a restart."""
    inbox = make_inbox()
    await inbox.open()
    ids = [f"{UUID[:-2]}{n:02d}" for n in range(20)]
    answers = await asyncio.gather(
        *(inbox.accept(entry(d, seconds=n)) for n, d in enumerate(ids)),
        inbox.accept(entry(ids[3], COMMENT, seconds=30)),
    )
    assert answers == [True] * 20 + [False]
    _, waiting = await restart(make_inbox, inbox)
    assert [e.delivery_id for e in waiting] == ids
    assert {e.body for e in waiting} == {PR_OPENED}


@pytest.mark.parametrize("finished", [False, True], ids=["waiting", "finished"])
@pytest.mark.parametrize("make_inbox", DURABLE, ids=DURABLE, indirect=True)
async def test_de_duplication_survives_a_restart(make_inbox: MakeInbox, finished: bool) -> None:
    inbox = make_inbox()
    await inbox.open()
    await inbox.accept(entry(UUID))
    if finished:
        await inbox.finish(UUID)

    inbox, _ = await restart(make_inbox, inbox)

    assert await inbox.accept(entry(UUID, COMMENT, seconds=60)) is False


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="sqlite not selected")
async def test_a_second_sqlite_inbox_on_the_same_dir_is_refused(tmp_path: Path) -> None:
    first, second = SqliteInbox.in_dir(tmp_path), SqliteInbox.in_dir(tmp_path)
    await first.open()
    try:
        with pytest.raises(InboxError, match=f"another minprow \\(pid {os.getpid()}\\)"):
            await second.open()
    finally:
        await first.close()
    assert await second.open() == []  # once the first is closed, the second takes over
    await second.close()


# What only the kube backend does.

kube_only = pytest.mark.skipif("kube" not in BACKENDS, reason="kube not selected")


async def _accepted_by(
    server: FakeKubeThread, clock: VirtualClock, identity: str, *entries: InboxEntry
) -> KubeInbox:
    inbox = _kube(server, clock, identity)
    await inbox.open()
    for one in entries:
        assert await inbox.accept(one)
    return inbox


def _stored(server: FakeKubeThread, delivery_id: str) -> dict[str, Any]:
    return server.call(lambda: server.fake.configmaps[(NS, configmap_name(delivery_id))])


CLAIM_AFTER = timedelta(minutes=5)  # KubeInbox's default


@pytest.mark.parametrize(
    ("identity", "elapsed", "scan", "adopted"),
    [
        ("hook-a", timedelta(0), "open", True),
        ("hook-b", CLAIM_AFTER - timedelta(microseconds=1), "open", False),
        ("hook-b", CLAIM_AFTER, "open", True),
        ("hook-b", CLAIM_AFTER - timedelta(microseconds=1), "adopt", False),
        ("hook-b", CLAIM_AFTER, "adopt", True),
        ("hook-b", CLAIM_AFTER * 10, "adopt", True),
    ],
    ids=[
        "same-pod-restarted-takes-its-own-at-once",
        "open-before-claim-after",
        "open-at-claim-after",
        "adopt-before-claim-after",
        "adopt-at-claim-after",
        "adopt-long-after",
    ],
)
@kube_only
async def test_another_replicas_deliveries_are_adopted_only_after_claim_after(
    fake_kube: FakeKubeThread,
    clock: VirtualClock,
    identity: str,
    elapsed: timedelta,
    scan: str,
    adopted: bool,
) -> None:
    first = await _accepted_by(fake_kube, clock, "hook-a", entry(UUID, seconds=0))
    await first.progress(UUID, frozenset({"trigger"}))
    await first.close()  # the pod stops

    second = _kube(fake_kube, clock, identity)
    if scan == "open":  # a replica starting
        clock.advance(elapsed)
        got = await second.open()
    else:  # a replica running all along: its housekeeping scans
        assert await second.open() == []
        clock.advance(elapsed)
        got = await second.adopt(clock.now())

    assert replayed(got) == (
        [(UUID, "pull_request", PR_OPENED, {"trigger"}, True)] if adopted else []
    )
    annotations = _stored(fake_kube, UUID)["metadata"]["annotations"]
    owner = identity if adopted else "hook-a"
    assert annotations["minprow.dev/owner"] == owner
    if adopted and identity != "hook-a":  # taken now, by the adopter's clock
        assert got[0].claimed == clock.now()
        assert annotations["minprow.dev/claimed"] == clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    await second.close()


Meanwhile = Callable[[KubeInbox, FakeKubeThread, VirtualClock], Awaitable[None]]


async def _another_replica_adopts(
    owner: KubeInbox, server: FakeKubeThread, clock: VirtualClock
) -> None:
    other = _kube(server, clock, "hook-b")
    clock.advance(CLAIM_AFTER)
    assert [e.delivery_id for e in await other.open()] == [UUID]
    await other.close()


async def _another_replica_adopts_then_owner_progresses(
    owner: KubeInbox, server: FakeKubeThread, clock: VirtualClock
) -> None:
    await _another_replica_adopts(owner, server, clock)
    await owner.progress(UUID, frozenset({"lgtm"}))


async def _another_replica_finishes_and_prunes(
    owner: KubeInbox, server: FakeKubeThread, clock: VirtualClock
) -> None:
    other = _kube(server, clock, "hook-b")
    await other.finish(UUID)
    assert await other.prune(T0 + timedelta(days=1)) == 1
    await other.close()


async def _nobody_else(owner: KubeInbox, server: FakeKubeThread, clock: VirtualClock) -> None:
    return None


async def _own_housekeeping_then_progress(
    owner: KubeInbox, server: FakeKubeThread, clock: VirtualClock
) -> None:
    assert await owner.adopt(clock.now()) == []  # its scan sees its own entry, leaves it
    await owner.progress(UUID, frozenset({"lgtm"}))


@pytest.mark.parametrize(
    ("meanwhile", "own_progress", "won"),
    [
        (_another_replica_adopts, False, False),
        (_another_replica_adopts, True, False),
        (_another_replica_adopts_then_owner_progresses, False, False),
        (_another_replica_finishes_and_prunes, False, False),
        (_nobody_else, False, True),
        (_nobody_else, True, True),
        (_own_housekeeping_then_progress, False, True),
    ],
    ids=[
        "lost-to-a-concurrent-adoption",
        "lost-even-after-own-progress",
        "lost-even-if-it-writes-after-the-adoption",
        "lost-to-a-prune",
        "won-untouched",
        "won-after-own-progress",  # its own writes move the claim's resourceVersion on
        "won-after-own-scan-and-progress",
    ],
)
@kube_only
async def test_claim_is_a_compare_and_swap(
    fake_kube: FakeKubeThread,
    clock: VirtualClock,
    meanwhile: Meanwhile,
    own_progress: bool,
    won: bool,
) -> None:
    # The replica's queue holds the very entry it accepted (as `Inbox` does).
    mine = entry(UUID)
    owner = await _accepted_by(fake_kube, clock, "hook-a", mine)
    if own_progress:
        await owner.progress(UUID, frozenset({"trigger"}))
    await meanwhile(owner, fake_kube, clock)

    assert await owner.claim(mine) is won
    if won:
        assert _stored(fake_kube, UUID)["metadata"]["resourceVersion"] == mine.claim
        assert mine.claimed == clock.now()
    await owner.close()


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        (random.Random(1).randbytes(1024 * 1024 + 1), False),
        (random.Random(2).randbytes(3 * 1024 * 1024), False),
        (b'{"commits": [' + b'{"message": "fix"},' * 300_000 + b"{}]}", True),
    ],
    ids=[
        "over-1MiB-compressed-422-too-long",
        "over-the-3MiB-request-limit-413",
        "5MiB-of-json-compresses-and-fits",
    ],
)
@kube_only
async def test_a_payload_too_big_for_a_configmap_is_refused(
    fake_kube: FakeKubeThread, clock: VirtualClock, body: bytes, kept: bool
) -> None:
    inbox = await _accepted_by(fake_kube, clock, "hook-a")
    if kept:
        assert await inbox.accept(entry(UUID, body)) is True
        assert await inbox.load(UUID) == body
    else:
        with pytest.raises(InboxError, match="more than a ConfigMap holds") as refused:
            await inbox.accept(entry(UUID, body))
        assert len(str(refused.value)) < 400  # the payload is not in the message
        # Nothing was kept: the same delivery, smaller, is new.
        assert await inbox.accept(entry(UUID)) is True
    await inbox.close()


@pytest.mark.parametrize(
    "delivery_id",
    [UUID, UUID.upper(), "x" * 300],
    ids=["github-uuid-as-is", "upper-case-hashed", "too-long-hashed"],
)
@kube_only
async def test_each_delivery_is_a_configmap_others_can_read(
    fake_kube: FakeKubeThread, clock: VirtualClock, delivery_id: str
) -> None:
    inbox = await _accepted_by(
        fake_kube, clock, "hook-a", entry(delivery_id, PUSH, seconds=1.5, event="push")
    )
    await inbox.progress(delivery_id, frozenset({"trigger", "lgtm"}))
    stored = _stored(fake_kube, delivery_id)
    meta = stored["metadata"]

    name = meta["name"]
    assert len(name) <= 253
    if delivery_id == UUID:
        assert name == f"minprow-webhook-{UUID}"
    else:
        assert name.startswith("minprow-webhook-sha256.")
    assert meta["labels"] == {"app.kubernetes.io/name": "minprow", "minprow.dev/webhook": "pending"}
    assert meta["annotations"] == {
        "minprow.dev/owner": "hook-a",
        "minprow.dev/claimed": "2026-11-24T10:00:01.500000Z",
        "minprow.dev/done-plugins": "lgtm,trigger",
    }
    assert stored["data"] == {
        "delivery": delivery_id,
        "event": "push",
        "received": "2026-11-24T10:00:01.500000Z",
    }
    assert gzip.decompress(base64.b64decode(stored["binaryData"]["payload.json.gz"])) == PUSH

    await inbox.finish(delivery_id)
    done = _stored(fake_kube, delivery_id)
    assert done["metadata"]["labels"]["minprow.dev/webhook"] == "done"
    assert "binaryData" not in done  # the payload goes; the id stays known until pruned
    assert done["data"]["delivery"] == delivery_id
    await inbox.close()


async def _call_accept(inbox: KubeInbox) -> object:
    return await inbox.accept(entry(UUID, PR_OPENED))


async def _call_open(inbox: KubeInbox) -> object:
    return await inbox.open()


async def _call_prune(inbox: KubeInbox) -> object:
    return await inbox.prune(T0)


@pytest.mark.parametrize(
    ("black_hole", "call"),
    [
        (False, _call_accept),
        (False, _call_open),
        (True, _call_accept),
        (True, _call_open),
        (True, _call_prune),
    ],
    ids=[
        "refused-accept",
        "refused-open",
        "black-holed-accept",
        "black-holed-open",
        "black-holed-prune",
    ],
)
@kube_only
async def test_an_unreachable_api_server_is_an_inbox_error(
    fake_kube: FakeKubeThread,
    clock: VirtualClock,
    black_hole: bool,
    call: Callable[[KubeInbox], Awaitable[object]],
) -> None:
    if black_hole:  # accepted connections, never an answer
        fake_kube.fake.unreachable = True
        url = fake_kube.url
    else:  # nothing listens
        url = f"http://127.0.0.1:{free_port()}"
    inbox = KubeInbox(
        api_client_for(url, token=TOKEN), NS, identity="hook-a", clock=clock, request_timeout=0.3
    )

    with pytest.raises(InboxError, match=f"ConfigMaps in namespace {NS}: .*did not answer") as err:
        await call(inbox)

    assert TOKEN not in str(err.value)
    assert "pull_request" not in str(err.value)  # nor anything of the payload
    await inbox.close()


@pytest.mark.parametrize(
    ("claim_after", "identity", "why"),
    [
        (timedelta(seconds=59), "hook-a", "must be at least CLAIM_AFTER"),
        (CLAIM_AFTER, "", "identity"),
    ],
    ids=["claim-after-below-the-owners-reclaim", "no-identity"],
)
@kube_only
def test_kube_inbox_refuses_settings_that_would_double_handle(
    fake_kube: FakeKubeThread, claim_after: timedelta, identity: str, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        KubeInbox(api_client_for(fake_kube.url), NS, identity=identity, claim_after=claim_after)
