"""Every public API that takes a time wants it timezone-aware, by Python's definition: a
``tzinfo`` whose ``utcoffset`` gives None leaves the datetime naive (instants.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pki
import pytest

from peppol_dpi.as4.model import MessageInfo
from peppol_dpi.errors import UsageError
from peppol_dpi.instants import is_aware, require_aware


class _NoOffset(tzinfo):
    """A time zone that knows no offset: a datetime carrying it is naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


AWARE = datetime(2026, 11, 27, 12, tzinfo=UTC)
NAIVE_BY_TZINFO = AWARE.replace(tzinfo=_NoOffset())
NAIVE = AWARE.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("value", "aware"), [(AWARE, True), (NAIVE, False), (NAIVE_BY_TZINFO, False)]
)
def test_aware_is_pythons_definition(value: datetime, aware: bool) -> None:
    assert is_aware(value) is aware
    if aware:
        require_aware(value, "x")
    else:
        with pytest.raises(UsageError, match="x must be timezone-aware"):
            require_aware(value, "x")


@pytest.mark.parametrize("when", [NAIVE, NAIVE_BY_TZINFO], ids=["no tzinfo", "no offset"])
def test_the_entry_points_refuse_a_naive_time(when: datetime) -> None:
    with pytest.raises(UsageError, match="MessageInfo: timestamp must be timezone-aware"):
        MessageInfo(timestamp=when, message_id="m@x")
    trust = pki.peppol_trust()
    with pytest.raises(UsageError, match="the validation instant must be timezone-aware"):
        trust.validate(pki.ap_key("c2").certificate, at=when)
