"""The transport's ``Formats`` for one access point, with the package's real formats:
:class:`~peppol_dpi.transport.peppol_as4.PeppolAs4` (its AP key and the AP trust policy),
:class:`~peppol_dpi.transport.dpi_formats.DpiPayloads` and ``DpiReader`` (business messages
verified against the business CA), and the locator given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..as4.model import message_id_factory
from ..keys import PrivateKey
from ..limits import DEFAULT_LIMITS, Limits
from ..transport.build import Formats
from ..transport.dpi_formats import DpiPayloads, DpiReader
from ..transport.peppol_as4 import PeppolAs4
from ..transport.ports import EndpointLocator
from ..trust import TrustPolicy

__all__ = ["formats"]


def formats(
    *,
    ap_key: PrivateKey,
    ap_trust: TrustPolicy,
    business_trust: TrustPolicy,
    locator: EndpointLocator,
    clock: Callable[[], datetime],
    host: str = "peppol-dpi.local",
    limits: Limits = DEFAULT_LIMITS,
) -> Formats:
    """``host`` ends the AS4 message ids this access point makes (``<uuid>@host``)."""
    return Formats(
        as4=PeppolAs4(
            key=ap_key,
            trust=ap_trust,
            clock=clock,
            new_message_id=message_id_factory(host),
            limits=limits,
        ),
        payloads=DpiPayloads(limits=limits),
        reader=DpiReader(trust=business_trust, limits=limits),
        locator=locator,
    )
