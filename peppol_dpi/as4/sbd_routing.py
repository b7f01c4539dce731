"""The SBDH of an AS4 payload: read fast, validated by :mod:`peppol_dpi.sbdh`.

The AS4 layer compares sender, receiver, document type and process of the SBDH with its ebMS
headers (Peppol AS4 2.0.3 section 5). Only the header is parsed, incrementally: a 50 MB invoice
costs no more than its first kilobytes. This module is the one place the AS4 layer depends on
the envelope rules.
"""

from __future__ import annotations

from ..errors import EbmsError, InputError
from ..limits import DEFAULT_LIMITS, Limits
from ..ns import SBDH
from ..sbdh import SbdHeader, read_sbdh
from ..xmlprefix import end_tag_end
from .profile import SbdRouting

__all__ = [
    "EARLY_SBDH_BYTES",
    "SbdhError",
    "header_may_end",
    "read_header",
    "read_routing",
    "routing_of",
]

#: Bytes at the start of a payload searched for the SBDH's end tag to read the header early
#: (while the rest streams past, or is decompressed on another core); should that read fail,
#: the header is read again from up to ``Limits.max_sbdh_bytes``, which decides.
EARLY_SBDH_BYTES = 64 * 1024


class SbdhError(InputError):
    """The payload is not a Peppol SBD whose header can be read (EBMS:0003)."""

    default_ebms_code = EbmsError.VALUE_INCONSISTENT


def _q(local: str) -> str:
    return f"{{{SBDH}}}{local}"


def read_header(sbd: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> SbdHeader:
    """The SBDH of an SBD, validated with every Peppol Envelope 2.0 header rule (and schema).

    Only the header is parsed (:func:`peppol_dpi.sbdh.read_sbdh` stops at its end tag), so a
    50 MB invoice costs no more than its first kilobytes; the business payload is left to the
    application.
    """
    try:
        return read_sbdh(sbd, limits=limits)
    except InputError as exc:  # the payload is inconsistent, whatever the SBDH module's code
        raise SbdhError(f"the payload's SBDH is invalid: {exc.message}", rule=exc.rule) from None


def header_may_end(sbd_prefix: bytes | memoryview) -> bool:
    """True when ``sbd_prefix`` shows an end tag of the SBDH: :func:`read_header` may then
    succeed on it (a hint for streaming readers holding the payload back; not a check). All
    of ``sbd_prefix`` is searched: a header may be as long as ``Limits.max_sbdh_bytes``."""
    tag = _q("StandardBusinessDocumentHeader")
    return end_tag_end(sbd_prefix, tag, within=len(sbd_prefix)) >= 0


def require_header_end(sbd_prefix: bytes | memoryview, *, limits: Limits) -> None:
    """Refuse a streamed SBD whose header does not end within ``Limits.max_sbdh_bytes``, the
    most a streaming sender reads ahead or a streaming receiver holds back for it, with an
    error that names the limit (a parse of the cut header would only say "premature end").
    ``sbd_prefix``: the SBD's first ``max_sbdh_bytes``, or all of it when it is shorter."""
    if len(sbd_prefix) >= limits.max_sbdh_bytes and not header_may_end(sbd_prefix):
        raise SbdhError(
            f"the payload's SBDH does not end within its first {limits.max_sbdh_bytes} bytes "
            "(Limits.max_sbdh_bytes)",
            rule="sbdh:header-too-large",
        )


def routing_of(header: SbdHeader) -> SbdRouting:
    """What the ebMS headers must agree with (Peppol AS4 2.0.3 section 5)."""
    return SbdRouting(
        sender=header.sender,
        receiver=header.receiver,
        document_type=header.document_type,
        process=header.process,
    )


def read_routing(sbd: bytes | memoryview, *, limits: Limits = DEFAULT_LIMITS) -> SbdRouting:
    """Sender, receiver, document type and process of an SBD, its header validated."""
    return routing_of(read_header(sbd, limits=limits))
