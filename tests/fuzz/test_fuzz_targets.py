"""A short, bounded run of every fuzz target (tests/fuzz/fuzz_*.py) inside the test suite.

Each target runs as its own process for ``PEPPOL_DPI_FUZZ_SECONDS`` seconds (default 2),
starting from its seed corpus (the project's fixtures and every past finding in
``regressions/<name>/``), two at a time (CI has two cores). A finding fails the target's test
with the input that caused it; add that input under ``regressions/<name>/`` and fix the
parser. Longer runs: see README.md here.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TARGETS = sorted(p.stem.removeprefix("fuzz_") for p in HERE.glob("fuzz_*.py"))
SECONDS = int(os.environ.get("PEPPOL_DPI_FUZZ_SECONDS", "2"))


@dataclass(frozen=True)
class Run:
    returncode: int
    stderr: str
    findings: dict[str, str]  # artifact name -> base64 of the input
    corpus_files: int


def _run(name: str, directory: Path) -> Run:
    corpus, artifacts = directory / "corpus", directory / "artifacts"
    artifacts.mkdir(parents=True)
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
        env={**os.environ, "PYTHONPATH": str(HERE.parents[1])},
        timeout=SECONDS + 120,
        check=False,
    )
    findings = {
        p.name: base64.b64encode(p.read_bytes()[:4096]).decode() for p in artifacts.iterdir()
    }
    files = len(list(corpus.iterdir())) if corpus.is_dir() else 0
    return Run(result.returncode, result.stderr, findings, files)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Run]]]:
    base = tmp_path_factory.mktemp("fuzz")
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(_run, name, base / name) for name in TARGETS}


@pytest.mark.parametrize("name", TARGETS)
def test_fuzz_target_finds_nothing_in_a_short_run(name: str, runs: dict[str, Future[Run]]) -> None:
    run = runs[name].result()
    report = run.stderr
    if "Uncaught Python exception" in report:  # the traceback, not the progress lines
        report = report[report.index("Uncaught Python exception") :]
    assert run.returncode == 0 and not run.findings, (
        f"fuzz_{name} found something (exit {run.returncode}); inputs (base64): "
        f"{run.findings}\n{report[-6000:]}"
    )
    assert "stat::number_of_executed_units" in run.stderr  # it really ran
    coverage = re.search(r"INITED cov: (\d+)", run.stderr)
    assert coverage is not None and int(coverage.group(1)) > 0, "the target is not instrumented"
    assert run.corpus_files > 0  # seeded
