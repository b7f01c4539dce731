"""The SQLite store: transactions, leases, duplicates, blobs, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from peppol_dpi.errors import InputError, UsageError
from peppol_dpi.transport.sqlite_store import SqliteStore
from peppol_dpi.transport.store import (
    Delivery,
    DuplicateMessageError,
    InboundRecord,
    IncomingReceipt,
    OutboundMessage,
    Status,
    normalize_kanal,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _message(
    message_id: str, *, owner: str = "0192:991825827", conversation: str = "conv"
) -> OutboundMessage:
    return OutboundMessage(
        message_id=message_id,
        conversation_id=conversation,
        owner=owner,
        sender="iso6523-actorid-upis::0192:991825827",
        receiver="iso6523-actorid-upis::0192:984661185",
        document_type="busdox-docid-qns::a::b##c::1.0",
        process="cenbii-procid-ubl::p",
        business_message="header.payload.signature",
        kanal="k1",
        created_at=T0,
        deadline=T0 + timedelta(hours=1),
    )


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "s.sqlite3", inline_max_bytes=64)
    yield s
    s.close()


def test_add_and_duplicate_message_id(store):
    store.add_outbound(_message("m1"), b"pkg")
    with pytest.raises(DuplicateMessageError) as info:
        store.add_outbound(_message("m1", owner="0192:910076787"), b"other")
    assert info.value.rule == "c2:message-id-reused"
    assert [e.status for e in store.statuses("m1", "0192:991825827")] == [Status.OPPRETTET]
    assert store.statuses("m1", "0192:910076787") is None


def test_claim_lease_expiry_and_lost_lease(store):
    store.add_outbound(_message("m1"), b"pkg")
    [claim] = store.claim_outbound(worker="a", now=T0, lease_seconds=10, limit=5)
    assert claim.attempts == 0 and claim.package == b"pkg" and claim.wire is None
    assert (
        store.claim_outbound(worker="b", now=T0 + timedelta(seconds=5), lease_seconds=10, limit=5)
        == []
    )
    # worker a crashed; after the lease, b takes over and a can no longer change the job
    [again] = store.claim_outbound(
        worker="b", now=T0 + timedelta(seconds=11), lease_seconds=10, limit=5
    )
    assert again.attempts == 1
    assert not store.mark_sent("m1", worker="a", now=T0, beskrivelse="late")
    assert store.mark_sent("m1", worker="b", now=T0 + timedelta(seconds=12), beskrivelse="ok")
    assert [e.status for e in store.statuses("m1", "0192:991825827")] == [
        Status.OPPRETTET,
        Status.SENDT,
    ]
    assert (
        store.claim_outbound(worker="c", now=T0 + timedelta(days=1), lease_seconds=10, limit=5)
        == []
    )


def test_frozen_wire_retry_and_failure(store):
    store.add_outbound(_message("m1"), b"p" * 1000)  # above inline_max_bytes: kept as a file
    store.claim_outbound(worker="a", now=T0, lease_seconds=10, limit=1)
    wire = b"Content-Type: x\r\n\r\n" + b"w" * 500
    assert store.freeze_wire("m1", worker="a", as4_message_id="x@c2", wire=wire)
    assert store.mark_retry(
        "m1", worker="a", next_attempt=T0 + timedelta(seconds=30), error="refused"
    )
    assert store.next_outbound_due() == T0 + timedelta(seconds=30)
    assert (
        store.claim_outbound(worker="b", now=T0 + timedelta(seconds=29), lease_seconds=10, limit=1)
        == []
    )
    [claim] = store.claim_outbound(
        worker="b", now=T0 + timedelta(seconds=30), lease_seconds=10, limit=1
    )
    assert claim.wire == wire and claim.as4_message_id == "x@c2" and claim.package == b"p" * 1000
    assert store.mark_failed("m1", worker="b", now=T0 + timedelta(seconds=31), reason="gave up")
    entries = store.statuses("m1", "0192:991825827")
    assert [(e.status, e.beskrivelse) for e in entries] == [
        (Status.OPPRETTET, None),
        (Status.FEILET, "gave up"),
    ]
    assert store.next_outbound_due() is None
    assert len(list(store.blob_dir.iterdir())) == 2


def test_state_survives_reopening(tmp_path):
    path = tmp_path / "s.sqlite3"
    first = SqliteStore(path)
    first.add_outbound(_message("m1"), b"pkg")
    first.close()
    second = SqliteStore(path)
    [claim] = second.claim_outbound(worker="a", now=T0, lease_seconds=1, limit=1)
    assert claim.message == _message("m1")
    second.close()


def test_concurrent_workers_never_claim_the_same_job(store):
    for i in range(200):
        store.add_outbound(_message(f"m{i}"), None)
    claimed: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while batch := store.claim_outbound(worker=name, now=T0, lease_seconds=60, limit=7):
            with lock:
                claimed.extend(c.message.message_id for c in batch)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(f"m{i}" for i in range(200))


def test_inbound_duplicate_keeps_first_receipt_and_payload(store):
    record = InboundRecord(
        as4_message_id="a@c2", from_party="POP1", receipt=b"\r\nfirst", received_at=T0
    )
    delivery = Delivery(
        id="d1",
        as4_message_id="a@c2",
        receiver="0192:984661185",
        business_message="jws",
        received_at=T0,
    )
    assert store.accept_inbound(record, delivery=delivery, package=b"cms") == b"\r\nfirst"
    second = InboundRecord(
        as4_message_id="a@c2", from_party="POP1", receipt=b"\r\nsecond", received_at=T0
    )
    assert store.accept_inbound(second, delivery=delivery, package=b"cms") == b"\r\nfirst"
    assert store.inbound_receipt("a@c2") == b"\r\nfirst"
    [claim] = store.claim_deliveries(worker="w", now=T0, lease_seconds=5, limit=10)
    assert claim.package == b"cms" and claim.delivery == delivery
    assert store.claim_deliveries(worker="x", now=T0, lease_seconds=5, limit=10) == []
    assert store.mark_delivery_retry(
        "d1", worker="w", next_attempt=T0 + timedelta(seconds=2), error="503"
    )
    [claim] = store.claim_deliveries(
        worker="x", now=T0 + timedelta(seconds=2), lease_seconds=5, limit=10
    )
    assert claim.attempts == 1
    assert store.mark_delivered("d1", worker="x", now=T0)
    assert store.next_delivery_due() is None


def test_incoming_receipts_per_owner(store):
    for i, owner in enumerate(["o1", "o2", "o1"]):
        store.accept_inbound(
            InboundRecord(
                as4_message_id=f"r{i}@c3", from_party="POP", receipt=b"\r\n", received_at=T0
            ),
            receipt=IncomingReceipt(
                id=f"r{i}",
                owner=owner,
                conversation_id="c",
                business_message=f"j{i}",
                received_at=T0,
            ),
        )
    page = store.list_incoming("o1", kanal=None, avsenderidentifikator=None, page=0, page_size=10)
    assert [r.id for r in page] == ["r0", "r2"]
    assert not store.mark_read("o2", "r0")
    assert store.mark_read("o1", "r0")
    assert [
        r.id
        for r in store.list_incoming(
            "o1", kanal=None, avsenderidentifikator=None, page=0, page_size=10
        )
    ] == ["r2"]
    with pytest.raises(UsageError):
        store.list_incoming("o1", kanal=None, avsenderidentifikator=None, page=-1, page_size=10)


def test_kanal_rules():
    assert normalize_kanal("Min_Kanal-1") == "min_kanal-1"
    assert normalize_kanal("") is None
    for bad in ["med mellomrom", "æøå", "x" * 29, "a.b"]:
        with pytest.raises(InputError):
            normalize_kanal(bad)


def test_outbound_message_validation():
    with pytest.raises(UsageError):
        OutboundMessage(**{**_message("m").__dict__, "created_at": datetime(2026, 1, 1)})
    with pytest.raises(UsageError):
        OutboundMessage(**{**_message("m").__dict__, "message_id": ""})


def test_sent_drops_its_bytes_and_prune_forgets_finished_work(store):
    store.add_outbound(_message("sent"), b"s" * 1000)  # a blob file
    store.add_outbound(_message("waiting"), b"w" * 1000)
    store.claim_outbound(worker="a", now=T0, lease_seconds=10, limit=1)  # "sent" (oldest first)
    store.freeze_wire("sent", worker="a", as4_message_id="s@c2", wire=b"\r\n" + b"x" * 900)
    assert store.mark_sent("sent", worker="a", now=T0, beskrivelse="ok")
    row = (
        store._db()
        .execute(
            "SELECT package, package_file, wire, wire_file FROM outbound WHERE message_id = 'sent'"
        )
        .fetchone()
    )
    assert row == (None, None, None, None)
    store.accept_inbound(
        InboundRecord(as4_message_id="old@c3", from_party="P", receipt=b"\r\n", received_at=T0)
    )
    counts = store.prune(datetime.now(UTC) + timedelta(seconds=1))
    assert counts["outbound"] == 1 and counts["outbound_status"] == 2 and counts["inbound"] == 1
    assert store.statuses("sent", "0192:991825827") is None
    assert store.inbound_receipt("old@c3") is None
    # unfinished work and its package stay
    [claim] = store.claim_outbound(
        worker="b", now=T0 + timedelta(hours=2), lease_seconds=10, limit=5
    )
    assert claim.message.message_id == "waiting" and claim.package == b"w" * 1000
    assert [p.name for p in store.blob_dir.iterdir()] == [store._put_blob(b"w" * 1000)[1]]


def test_prune_worker_runs_on_its_own(store):
    import time

    from peppol_dpi.transport.worker import PruneWorker

    store.add_outbound(_message("done"), None)
    store.claim_outbound(worker="a", now=T0, lease_seconds=10, limit=1)
    store.mark_failed("done", worker="a", now=T0, reason="x")
    worker = PruneWorker(
        store=store,
        clock=lambda: datetime.now(UTC),
        retention=timedelta(seconds=1),
        interval=timedelta(seconds=0.05),
    )
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while store.statuses("done", "0192:991825827") is not None:
            assert time.monotonic() < deadline, "not pruned"
            time.sleep(0.05)
    finally:
        worker.stop()
