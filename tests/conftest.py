"""Shared test set-up.

Third-party samples live in ``../shared/fixtures`` beside the checkout (see its PROVENANCE.md).
A user's clone does not have them: tests that need them skip, saying so. Under CI (``CI`` set)
they must be present, and their absence fails the run instead of skipping silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FIXTURES = ROOT / "fixtures"
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"


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


# Property-based tests: under CI the examples are derived from the test itself (derandomize),
# so a run is reproducible and a red CI always means a real, repeatable failure; on a
# developer's machine hypothesis explores new random examples on every run.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
