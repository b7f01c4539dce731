"""``peppol-dpi bench`` produces the report of docs/cli.md (a smoke run on a tiny payload).

Timings are not asserted (they belong to the benchmark, not to tests); the shape is, and that
every number a user reads is a real measurement.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from peppol_dpi.bench import transport
from peppol_dpi.bench.as4_remote import As4Remote
from peppol_dpi.bench.ops import (
    load_keys,
    prepare_stream,
    sbd_around,
    sbd_for,
    write_sbd,
    write_stream_input,
)
from peppol_dpi.bench.payload import invoice
from peppol_dpi.bench.runner import (
    alternating_blocks,
    alternating_medians,
    block_ratios,
    parse_size,
    pooled_median,
    timed,
)
from peppol_dpi.bench.targets import check_targets
from peppol_dpi.cli import bench_cmd
from peppol_dpi.cli.main import main
from peppol_dpi.demo.flow import Letter
from peppol_dpi.demo.network import PARTIES
from peppol_dpi.dpi.identifiers import MessageType
from peppol_dpi.errors import TransportError, UsageError
from peppol_dpi.testing.pki import write as write_pki

KEYS = {
    "op",
    "size_bytes",
    "median_s",
    "throughput_bytes_per_s",
    "floor_s",
    "ratio_to_floor",
    "ratio_to_floor_blocks",
    "peak_rss_bytes",
    "as4_median_s",
    "ratio_as4",
}


def test_bench_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["bench", "--sizes", "3KB", "--ops", "as4_build,dpi_unpack", "--json"])
    assert status == 0
    report = json.loads(capsys.readouterr().out)
    assert {"python", "cpu_count", "deflate_engine"} <= set(report["machine"])
    machine = report["machine"]
    # Whether opening used a second core (the floor never does): said in every report.
    assert machine["offload"] is (machine["usable_cores"] > 1)
    # When the run started and when it ended.
    started, ended = (
        datetime.strptime(machine[k], "%Y-%m-%dT%H:%M:%S%z") for k in ("started", "date")
    )
    assert timedelta(0) <= ended - started < timedelta(hours=1)
    rows = report["results"]
    assert [r["op"] for r in rows] == ["as4_build", "dpi_unpack"]
    for row in rows:
        assert set(row) >= KEYS
        assert row["size_bytes"] >= 3000
        assert row["median_s"] > 0 and row["floor_s"] > 0
        assert row["ratio_to_floor"] == pytest.approx(row["median_s"] / row["floor_s"])
        assert row["throughput_bytes_per_s"] == pytest.approx(row["size_bytes"] / row["median_s"])
        assert row["peak_rss_bytes"] > 10_000_000  # a real interpreter's RSS, from the child
        assert row["as4_median_s"] is None and row["ratio_as4"] is None
        # One ratio per block of the five in which ours and the floor took turns.
        assert len(row["ratio_to_floor_blocks"]) == 5
        assert all(ratio > 0 for ratio in row["ratio_to_floor_blocks"])
    # The 10 KB-class fixed-cost target applies to as4_build; without as4 its ratio is unmeasured.
    targets = {(t["op"], t["target"]): t for t in report["targets"]}
    fixed = targets[("as4_build", "fixed cost per message under 2 ms")]
    assert fixed["measured"] == pytest.approx(rows[0]["median_s"] * 1000)
    assert targets[("as4_build", "at least 3x faster than the as4 package")]["met"] is None


def test_bench_refuses_unknown_operations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--sizes", "1KB", "--ops", "teleport", "--no-memory"]) == 2
    assert "unknown operations" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size"), [("10KB", 10_000), ("1MB", 1_000_000), ("64KiB", 65_536), ("123", 123)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bad_size() -> None:
    with pytest.raises(UsageError):
        parse_size("lots")


def test_streaming_operations_report_memory_from_the_child(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ops = "as4_build_stream,as4_open_stream,dpi_unpack_stream,dpi_unpack_to"
    assert main(["bench", "--sizes", "3KB", "--ops", ops, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert [r["op"] for r in rows] == ops.split(",")
    for row in rows:
        assert row["median_s"] > 0 and row["floor_s"] > 0
        assert row["peak_rss_bytes"] > 10_000_000
        assert row["peak_rss_above_baseline_bytes"] is not None


@pytest.mark.parametrize("op", ["as4_build_stream", "as4_open_stream", "dpi_unpack_to"])
def test_every_streaming_run_writes_outputs_of_its_own_removed_between_blocks(
    tmp_path: Path, op: str
) -> None:
    # Writing over the last run's output would time the file system freeing it (0.7 ms a MB on
    # the benchmark machine), not the operation.
    pki_dir = tmp_path / "pki"
    write_pki(pki_dir)
    keys = load_keys(pki_dir)
    work = tmp_path / "work"
    work.mkdir()
    write_stream_input(op, tmp_path / "input", 3_000, keys)
    run = prepare_stream(op, tmp_path / "input", keys, work)
    before = set(work.iterdir())
    run()
    run()
    outputs = set(work.iterdir()) - before
    assert len(outputs) == 2 and all(path.stat().st_size > 0 for path in outputs)
    if op == "dpi_unpack_to":
        assert all(any(path.iterdir()) for path in outputs)  # the documents, in each
    run.clean()
    assert set(work.iterdir()) == before  # an opened message's own body file stays


def test_between_blocks_runs_before_every_block_untimed() -> None:
    calls: list[str] = []
    ours, floor = alternating_blocks(
        [timed(lambda: calls.append("o")), timed(lambda: calls.append("f"))],
        4,
        rounds=2,
        between_blocks=lambda: calls.append("|"),
    )
    assert "".join(calls) == "|ooo|fff" * 2  # before each block's warm-up
    assert [len(block) for block in (*ours, *floor)] == [2, 2, 2, 2]


def test_sbd_file_written_in_pieces_is_the_in_memory_sbd(tmp_path: Path) -> None:
    write_sbd(tmp_path / "sbd.xml", 2_500_000)
    assert (tmp_path / "sbd.xml").read_bytes() == sbd_for(invoice(2_500_000))
    for size in (1, 10_000, 2_500_000):  # the floor's SBD, made without parsing the invoice
        assert sbd_around(invoice(size)) == sbd_for(invoice(size))


def _row(op: str, size: int, **values: float | None) -> dict[str, object]:
    base: dict[str, object] = {
        "op": op,
        "size_bytes": size,
        "median_s": 0.001,
        "ratio_to_floor": None,
        "ratio_as4": None,
        "peak_rss_above_baseline_bytes": None,
    }
    return base | values


def test_targets_are_checked_where_they_apply() -> None:
    checks = check_targets(
        [
            _row("as4_build", 10_000, median_s=0.0015, ratio_as4=2.5),
            _row("as4_open", 1_000_000, ratio_to_floor=1.4, ratio_as4=20.0),
            _row("dpi_unpack", 1_000_000, ratio_to_floor=1.9),
            _row("dpi_pack", 10_000, ratio_to_floor=3.0),  # no floor target at 10 KB
            _row("as4_build_stream", 500_000_000, peak_rss_above_baseline_bytes=15e6),
            _row("as4_open_stream", 500_000_000),  # memory not measured
            _row("jws_sign", 1_000_000, ratio_to_floor=9.0),  # no target
        ]
    )
    verdicts = [(c.op, c.size_bytes, c.unit, c.met) for c in checks]
    assert verdicts == [
        ("as4_build", 10_000, "ms", True),
        ("as4_build", 10_000, "x", False),
        ("as4_open", 1_000_000, "x floor", True),
        ("as4_open", 1_000_000, "x", True),
        ("dpi_unpack", 1_000_000, "x floor", False),
        ("as4_build_stream", 500_000_000, "MB", True),
        ("as4_open_stream", 500_000_000, "MB", None),
    ]
    assert checks[0].measured == pytest.approx(1.5)
    assert checks[0].to_json()["met"] is True


def test_bench_check_exits_1_when_a_target_is_missed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The verdict comes from the report; a slow "run" is simulated so the test needs no clock.
    report = {
        "machine": {
            "platform": "p",
            "cpu_count": 2,
            "python": "3",
            "openssl": "o",
            "deflate_engine": "isal",
        },
        "results": [],
        "targets": [
            check.to_json() for check in check_targets([_row("as4_build", 10_000, median_s=0.005)])
        ],
    }
    monkeypatch.setattr(bench_cmd, "run_suite", lambda *a, **k: report)
    assert main(["bench", "--sizes", "10KB", "--ops", "as4_build", "--no-memory"]) == 0
    out = capsys.readouterr().out
    assert "MISSED" in out and "fixed cost per message under 2 ms: 5.00 (<= 2 ms)" in out
    assert main(["bench", "--sizes", "10KB", "--ops", "as4_build", "--check"]) == 1


def test_ours_the_floor_and_as4_are_timed_in_turns() -> None:
    calls: list[str] = []
    medians = alternating_medians(
        [timed(lambda: calls.append("o")), timed(lambda: calls.append("f")), lambda: 0.25],
        4,
        rounds=2,
    )
    # Two rounds; in each, every timer runs a warm-up and then a block of two.
    assert "".join(calls) == ("ooo" + "fff") * 2
    assert medians[0] >= 0 and medians[1] >= 0 and medians[2] == 0.25


def test_the_ratio_is_also_given_block_by_block() -> None:
    durations = iter([9.0, 1.0, 1.0, 9.0, 2.0, 2.0, 9.0, 3.0, 5.0, 9.0, 1.0, 1.0])
    ours, floor = alternating_blocks([lambda: next(durations)] * 2, 4, rounds=2)
    # Each block: one warm-up (9.0, not recorded), then two runs.
    assert ours == [[1.0, 1.0], [3.0, 5.0]] and floor == [[2.0, 2.0], [1.0, 1.0]]
    assert pooled_median(ours) == 2.0
    assert block_ratios(ours, floor) == (0.5, 4.0)
    assert block_ratios(ours, [[0.0, 0.0], [1.0, 1.0]]) is None


def test_a_target_shows_the_spread_of_its_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    row = _row("as4_open", 1_000_000, ratio_to_floor=1.52) | {
        "ratio_to_floor_blocks": [1.44, 1.61, 1.5, 1.52, 1.55]
    }
    (check,) = [c for c in check_targets([row]) if c.target.startswith("time")]
    assert check.spread == (1.44, 1.61) and check.met is False
    bench_cmd._print_targets([check.to_json()])
    assert "1.52 (<= 1.5 x floor, 1.44-1.61 over the blocks)" in capsys.readouterr().out


def test_as4_remote_times_one_run_at_a_time(as4_python: Path, tmp_path: Path) -> None:
    # The PyPI as4 package in its own venv, driven over a pipe as `bench --as4-python` does.
    write_pki(tmp_path / "pki")
    payload_file = tmp_path / "payload.xml"
    payload_file.write_bytes(invoice(3000))
    with As4Remote(as4_python, payload_file, tmp_path / "pki") as remote:
        build, open_ = remote.seconds("as4_build"), remote.seconds("as4_open")
    assert 0 < build < 5 and 0 < open_ < 5


def test_as4_remote_reports_a_driver_that_cannot_start(tmp_path: Path) -> None:
    write_pki(tmp_path / "pki")
    payload_file = tmp_path / "payload.xml"
    payload_file.write_bytes(invoice(3000))
    # This interpreter has no as4 package: the driver fails at its import.
    with pytest.raises(UsageError, match="could not be timed"):
        As4Remote(Path(sys.executable), payload_file, tmp_path / "pki")


def test_the_table_shows_throughput(capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 8 asks for median time, throughput, the ratio to the floor and peak memory.
    row = {
        "op": "as4_open",
        "size_bytes": 1_000_000,
        "median_s": 0.002,
        "throughput_bytes_per_s": 1_000_000 / 0.002,
        "floor_s": 0.0015,
        "ratio_to_floor": 0.002 / 0.0015,
        "peak_rss_above_baseline_bytes": 3_000_000,
        "as4_median_s": None,
        "ratio_as4": None,
    }
    machine = {"platform": "p", "cpu_count": 2, "python": "3", "openssl": "o"}
    bench_cmd._print_table({"machine": machine | {"deflate_engine": "isal"}, "results": [row]})
    header, _, line = capsys.readouterr().out.splitlines()[1:4]
    assert header.split()[:5] == ["operation", "size", "median", "ms", "MB/s"]
    assert line.split()[:6] == ["as4_open", "1,000,000", "2.00", "500.0", "1.50", "1.33"]


@pytest.mark.parametrize(
    ("offload", "note"),
    [
        (True, ", digests of large payloads on a second core (the floor on one)"),
        (False, ", one usable core of 2 (nothing offloaded)"),
        (None, ""),  # a report written before the key existed
    ],
)
def test_the_table_says_whether_a_second_core_was_used(
    offload: bool | None, note: str, capsys: pytest.CaptureFixture[str]
) -> None:
    machine: dict[str, object] = {"platform": "p", "cpu_count": 2, "python": "3", "openssl": "o"}
    machine["deflate_engine"] = "isal"
    if offload is not None:
        machine["offload"] = offload
    bench_cmd._print_table({"machine": machine, "results": []})
    assert capsys.readouterr().out.splitlines()[0] == f"p, 2 CPUs, Python 3, o, deflate: isal{note}"


def test_transport_end_to_end_through_the_demo_network(capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 8's optional figure: letters through the reference access points on loopback,
    # timed until every one is in its mailbox (measure_transport raises otherwise).
    assert (
        main(["bench", "--ops", "", "--transport", "6", "--transport-clients", "2", "--json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["results"] == []
    transport = report["transport"]
    assert (transport["letters"], transport["clients"]) == (6, 2)
    assert 0 < transport["posted_s"] <= transport["delivered_s"]
    assert transport["delivered_per_s"] == pytest.approx(6 / transport["delivered_s"])
    assert transport["posted_per_s"] == pytest.approx(6 / transport["posted_s"])


def test_transport_needs_letters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--ops", "", "--transport", "0"]) == 2
    assert "at least one letter" in capsys.readouterr().err


def test_transport_fails_when_a_letter_never_reaches_its_mailbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "DELIVERY_TIMEOUT_SECONDS", 0.05)
    empty = SimpleNamespace(store=SimpleNamespace(letter=lambda message_id: None))
    network = SimpleNamespace(mailboxes={"digipost": empty})
    letter = Letter(label="l", citizen="01017012345", sent_by="sender", kind=MessageType.DIGITAL)
    letter.provider, letter.message_id = PARTIES["digipost"].participant.value, "m-1"
    with pytest.raises(TransportError, match="1 of 1 letters"):
        transport._wait_for_mailboxes(network, [letter])  # type: ignore[arg-type]
