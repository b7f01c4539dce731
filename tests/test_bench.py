"""``peppol-dpi bench`` produces the report of docs/cli.md (a smoke run on a tiny payload).

Timings are not asserted (they belong to the benchmark, not to tests); the shape is, and that
every number a user reads is a real measurement.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peppol_dpi.bench.ops import sbd_for, write_sbd
from peppol_dpi.bench.payload import invoice
from peppol_dpi.bench.runner import parse_size
from peppol_dpi.cli.main import main
from peppol_dpi.errors import UsageError

KEYS = {
    "op",
    "size_bytes",
    "median_s",
    "floor_s",
    "ratio_to_floor",
    "peak_rss_bytes",
    "as4_median_s",
    "ratio_as4",
}


def test_bench_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["bench", "--sizes", "3KB", "--ops", "as4_build,dpi_unpack", "--json"])
    assert status == 0
    report = json.loads(capsys.readouterr().out)
    assert {"python", "cpu_count", "deflate_engine"} <= set(report["machine"])
    rows = report["results"]
    assert [r["op"] for r in rows] == ["as4_build", "dpi_unpack"]
    for row in rows:
        assert set(row) >= KEYS
        assert row["size_bytes"] >= 3000
        assert row["median_s"] > 0 and row["floor_s"] > 0
        assert row["ratio_to_floor"] == pytest.approx(row["median_s"] / row["floor_s"])
        assert row["peak_rss_bytes"] > 10_000_000  # a real interpreter's RSS, from the child
        assert row["as4_median_s"] is None and row["ratio_as4"] is None


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


def test_sbd_file_written_in_pieces_is_the_in_memory_sbd(tmp_path: Path) -> None:
    write_sbd(tmp_path / "sbd.xml", 2_500_000)
    assert (tmp_path / "sbd.xml").read_bytes() == sbd_for(invoice(2_500_000))
