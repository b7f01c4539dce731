"""Shared test set-up.

Third-party samples live in ``../shared/fixtures`` beside the checkout (see its PROVENANCE.md).
A user's clone does not have them: tests that need them skip, saying so. Under CI (``CI`` set)
they must be present, and their absence fails the run instead of skipping silently.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import offload_support
import pytest
from hypothesis import settings

from peppol_dpi.xmldsig import beside

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FIXTURES = ROOT / "fixtures"
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
AS4_VENV = ROOT / ".venv-as4"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The third-party fixtures folder; skips (or fails under CI) when it is absent."""
    if not SHARED_FIXTURES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the third-party fixtures at {SHARED_FIXTURES}")
        pytest.skip(
            f"third-party fixtures not present at {SHARED_FIXTURES} (only in the project's CI)"
        )
    return SHARED_FIXTURES


@pytest.fixture(scope="session")
def as4_python() -> Path:
    """The PyPI ``as4`` 0.2.0 package in its own venv at <repo>/.venv-as4 (created when
    missing): the other Python AS4 implementation, for interop and the benchmark."""
    python = AS4_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(AS4_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "as4==0.2.0"], check=True, timeout=600
        )
    probe = subprocess.run([str(python), "-c", "import as4.peppol"], capture_output=True)
    assert probe.returncode == 0, probe.stderr.decode()
    return python


# Property-based tests: under CI the examples are derived from the test itself (derandomize),
# so a run is reproducible and a red CI always means a real, repeatable failure; on a
# developer's machine hypothesis explores new random examples on every run.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# -- the offload worker (tests/offload_support.py) --------------------------------------------


@pytest.fixture
def on_the_worker(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every digest taken beside (xmldsig.beside) begins on the worker first; the threads it
    ran on."""
    return offload_support.begun_on_the_worker(monkeypatch, beside)


@pytest.fixture
def worker_busy() -> Iterator[threading.Event]:
    """The worker held by other work until the test ends or sets the event."""
    with offload_support.worker_held() as release:
        yield release
