"""500 letters posted by 20 concurrent clients: every one delivered to corner 4 exactly once.

Real messages all the way: signed business messages, Peppol AS4 signed and encrypted with the
fixtures PKI, receipts verified, corner 3 found through the SML and SMP on loopback.

Marked ``load``: it runs in the normal suite and in CI (a few seconds); it prints the measured
throughput, which docs/performance.md reports. No timing is asserted.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from transport_harness import Flow, Sender, wait_for

MESSAGES, CLIENTS = 500, 20


@pytest.mark.load
def test_500_messages_from_20_clients_delivered_once(tmp_path, capsys):
    flow = Flow(tmp_path)
    try:
        senders = [Sender(flow.keys, flow.c2.url) for _ in range(CLIENTS)]

        def client(n: int) -> list[str]:
            ids = []
            for i in range(MESSAGES // CLIENTS):
                response, message_id = senders[n].post(package=f"package {n}/{i}".encode() * 50)
                assert response.status_code == 201, response.text
                ids.append(message_id)
            return ids

        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            ids = [i for batch in pool.map(client, range(CLIENTS)) for i in batch]
        accepted = time.perf_counter() - start
        wait_for(
            lambda: len(flow.corner4.delivered) >= MESSAGES, timeout=120, what="all deliveries"
        )
        delivered = time.perf_counter() - start
        sent = "SELECT COUNT(*) FROM outbound WHERE state = 'SENDT'"
        wait_for(
            lambda: flow.c2.store._db().execute(sent).fetchone()[0] == MESSAGES,  # type: ignore[attr-defined]
            what="all SENDT",
        )
        assert len(set(ids)) == MESSAGES
        assert set(flow.corner4.delivered) == set(ids)
        assert all(flow.corner4.posts[i] == 1 for i in ids)
        assert all(flow.corner4.delivered[i][1] is not None for i in ids)
        with capsys.disabled():
            print(
                f"\n[transport load] {MESSAGES} messages, {CLIENTS} clients: accepted in "
                f"{accepted:.2f} s ({MESSAGES / accepted:.0f}/s), all delivered to corner 4 in "
                f"{delivered:.2f} s ({MESSAGES / delivered:.0f}/s)"
            )
    finally:
        flow.stop()
