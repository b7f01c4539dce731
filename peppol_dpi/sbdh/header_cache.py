"""Headers validated before, reused when only their instance id and creation time differ.

An access point sees the same sender, receiver, document type and process again and again:
from one message to the next, only ``DocumentIdentification/InstanceIdentifier`` and
``CreationDateAndTime`` change. :func:`~peppol_dpi.sbdh.read_sbdh` validates a header the
full way the first time (parse, Peppol rules, XSD) and remembers the result under the
header's bytes with those two values cut out. A later header with the same bytes around two
plain values parses to the same tree but for those two text nodes, so it gets the remembered
header with its own two values, which are checked here against everything that applies to
them: ``xs:string`` and not empty; ``xs:dateTime`` with a timezone (Envelope 2.0 section 2).

Only headers of a plain shape qualify: no comment, CDATA section, processing instruction or
DOCTYPE in the bytes (so every ``<`` starts a tag and the two elements are found where the
parser finds them), the DocumentIdentification children written without attributes, and the
two values from a conservative alphabet (nothing to unescape, normalize or trim). Anything
else, and any value that fails a check here, is read the full way, which words the errors.
Like the package's other caches (:mod:`peppol_dpi.lrucache`) it is bounded, and results
depend on nothing but the key (the bytes and the limits), never on the time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError
from ..limits import Limits
from ..lrucache import LruCache
from ..xmltext import date_time
from .model import SbdHeader

__all__ = ["HeaderShape", "header_shape"]

# What may precede the root element: a byte order mark and the XML declaration.
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^<>]*\?>")
# Comments, CDATA sections, DOCTYPEs and processing instructions all start so.
_NOT_A_TAG = re.compile(rb"<[!?]")
_P = rb"(?P<p>(?:[A-Za-z_][A-Za-z0-9_.-]*:)?)"  # the element prefix, written the same on each
# The DocumentIdentification children in schema order (peppol-sbdh-1.3.xsd), each as
# ``<p:Name>text</p:Name>``; the instance id and the time are captured.
_DOCUMENT_IDENTIFICATION = re.compile(
    rb"<" + _P + rb"DocumentIdentification>\s*"
    rb"<(?P=p)Standard>[^<]*</(?P=p)Standard>\s*"
    rb"<(?P=p)TypeVersion>[^<]*</(?P=p)TypeVersion>\s*"
    rb"<(?P=p)InstanceIdentifier>(?P<id>[A-Za-z0-9._:@/+=-]{1,200})</(?P=p)InstanceIdentifier>\s*"
    rb"<(?P=p)Type>[^<]*</(?P=p)Type>\s*"
    rb"(?:<(?P=p)MultipleType>[^<]*</(?P=p)MultipleType>\s*)?"
    rb"<(?P=p)CreationDateAndTime>(?P<created>[0-9:.TZ+-]{20,40})</(?P=p)CreationDateAndTime>\s*"
    rb"</(?P=p)DocumentIdentification>"
)
# xs:dateTime (XSD 1.0 part 2 section 3.2.7) with a timezone, hours 00-23, and a timezone of
# at most 14:00 (the XSD bound, which date_time checks too).
_CREATED = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?"
    r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))",
    re.ASCII,
)

_Key = tuple[Limits, bytes, bytes, bytes]
_HEADERS: LruCache[_Key, SbdHeader] = LruCache(256)
# Only headers up to this size are kept (a usual one is under 2 KB): the cache then holds at
# most 256 x 16 KiB of keys, whatever a peer sends.
MAX_KEPT_BYTES = 16 * 1024


@dataclass(frozen=True)
class HeaderShape:
    """A header of the plain shape: its bytes without the two values, and the values."""

    key: _Key
    instance_id: str
    created: str

    def known(self) -> SbdHeader | None:
        """The header, when one with the same key was validated: with this instance id and
        time, checked; None when there was none or a value does not pass here."""
        template = _HEADERS.get(self.key)
        if template is None or not _CREATED.fullmatch(self.created):
            return None
        created = date_time(self.created)
        if created is None:  # not a date the calendar has: the full read words the error
            return None
        try:  # the model's own checks of both values (not empty, a timezone)
            return template.with_identification(instance_id=self.instance_id, created=created)
        except InputError:
            return None

    def remember(self, header: SbdHeader) -> None:
        """Keep ``header``, the full read of these bytes, if its two values are the ones cut
        out here (they are, unless the elements were not what they seemed)."""
        if header.instance_id == self.instance_id and header.created == date_time(self.created):
            _HEADERS.put(self.key, header)


def header_shape(prefix: bytes, limits: Limits) -> HeaderShape | None:
    """The shape of the document start ``prefix``, which ends with the header's end tag; None
    when the header is not of the plain shape (it is then read the full way only)."""
    if len(prefix) > MAX_KEPT_BYTES:
        return None
    declaration = _DECLARATION.match(prefix)
    if _NOT_A_TAG.search(prefix, declaration.end() if declaration else 0):
        return None
    # A match starts at the "<" of the first "DocumentIdentification>" (none can start
    # earlier, and no "<" lies between): the search starts there, not at every "<" before.
    first = prefix.find(b"DocumentIdentification>")
    if first < 0 or prefix.count(b"DocumentIdentification>") != 2:
        return None
    found = _DOCUMENT_IDENTIFICATION.search(prefix, max(prefix.rfind(b"<", 0, first), 0))
    if found is None:
        return None
    (id_start, id_end), (created_start, created_end) = found.span("id"), found.span("created")
    return HeaderShape(
        key=(limits, prefix[:id_start], prefix[id_end:created_start], prefix[created_end:]),
        instance_id=prefix[id_start:id_end].decode("ascii"),
        created=prefix[created_start:created_end].decode("ascii"),
    )


def forget_all() -> None:
    """Empty the cache (for tests that compare with the full read)."""
    _HEADERS.clear()
