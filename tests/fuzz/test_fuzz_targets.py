"""A short, bounded run of every fuzz target (tests/fuzz/fuzz_*.py) inside the test suite.

Each target runs as its own process for ``PEPPOL_DPI_FUZZ_SECONDS`` seconds (default 2),
starting from its seed corpus (the project's fixtures and every past finding in
``regressions/<name>/``). A finding fails the test with the input that caused it; add that
input under ``regressions/<name>/`` and fix the parser. Longer runs: see README.md here.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in HERE.glob("fuzz_*.py"))
SECONDS = int(os.environ.get("PEPPOL_DPI_FUZZ_SECONDS", "2"))


@pytest.mark.parametrize("name", TARGETS)
def test_fuzz_target_finds_nothing_in_a_short_run(name: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / f"fuzz_{name}.py"),
            f"-max_total_time={SECONDS}",
            "-timeout=10",  # one input taking longer is a hang
            "-rss_limit_mb=2048",
            "-malloc_limit_mb=1024",
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=SECONDS + 120,
        check=False,
    )
    findings = {
        p.name: base64.b64encode(p.read_bytes()[:4096]).decode() for p in artifacts.iterdir()
    }
    assert result.returncode == 0 and not findings, (
        f"fuzz_{name} found something (exit {result.returncode}); inputs (base64): {findings}\n"
        + result.stderr[-6000:]
    )
    assert "stat::number_of_executed_units" in result.stderr  # it really ran
    assert any(corpus.iterdir())  # from seeds
