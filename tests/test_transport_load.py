"""500 letters posted by 20 concurrent clients: every one delivered to corner 4 exactly once.

Marked ``load``: it runs in the normal suite and in CI (a few seconds); it prints the measured
throughput, which docs/performance.md reports. No timing is asserted.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from transport_doubles import MAILBOX_ORG, SENDER_ORG, RecordingCorner4, StaticLocator
from transport_harness import Keys, Sender, corner2, corner3, wait_for

MESSAGES, CLIENTS = 500, 20


@pytest.mark.load
def test_500_messages_from_20_clients_delivered_once(tmp_path, capsys):
    keys = Keys.make()
    corner4 = RecordingCorner4()
    to_c3, to_c2 = StaticLocator(keys.ap.certificate), StaticLocator(keys.ap.certificate)
    c2 = corner2(keys, tmp_path / "c2.sqlite3", to_c3).start()
    c3 = corner3(keys, tmp_path / "c3.sqlite3", to_c2, corner4.url).start()
    to_c3.urls[f"0192:{MAILBOX_ORG}"] = c3.as4_url
    to_c2.urls[f"0192:{SENDER_ORG}"] = c2.as4_url
    try:
        senders = [Sender(keys, c2.url) for _ in range(CLIENTS)]

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
        wait_for(lambda: len(corner4.delivered) >= MESSAGES, timeout=120, what="all deliveries")
        delivered = time.perf_counter() - start
        wait_for(
            lambda: (
                c2.store._db()
                .execute("SELECT COUNT(*) FROM outbound WHERE state = 'SENDT'")
                .fetchone()[0]
                == MESSAGES
            ),
            what="all SENDT",
        )
        assert len(set(ids)) == MESSAGES
        assert set(corner4.delivered) == set(ids)
        assert all(corner4.posts[i] == 1 for i in ids)
        for message_id in ids:
            assert corner4.delivered[message_id][1] is not None
        with capsys.disabled():
            print(
                f"\n[transport load] {MESSAGES} messages, {CLIENTS} clients: accepted in {accepted:.2f} s "
                f"({MESSAGES / accepted:.0f}/s), all delivered to corner 4 in {delivered:.2f} s "
                f"({MESSAGES / delivered:.0f}/s)"
            )
    finally:
        c2.stop()
        c3.stop()
        corner4.stop()
