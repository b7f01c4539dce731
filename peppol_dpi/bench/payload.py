"""Deterministic benchmark payloads.

A UBL-like invoice with varied lines plus embedded base64 attachments of random bytes (about
40 % of its size, each base64 text node at most 1 MiB), as in docs/performance.md: it
compresses about 2.9x with gzip at level 6, like real invoices with PDF attachments.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from typing import IO

__all__ = ["DECLARATION", "invoice", "invoice_pieces", "write_invoice"]

_UBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_MAX_NODE = 1024 * 1024
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_ITEMS = ("Paper A4", "Toner black", "Consulting hour", "Licence seat", "Freight", "Stapler")


def _line(rng: random.Random, n: int) -> str:
    item = rng.choice(_ITEMS)
    qty = rng.randint(1, 500)
    price = rng.randint(100, 99_999) / 100
    return (
        f"<cac:InvoiceLine><cbc:ID>{n}</cbc:ID>"
        f'<cbc:InvoicedQuantity unitCode="EA">{qty}</cbc:InvoicedQuantity>'
        f'<cbc:LineExtensionAmount currencyID="NOK">{qty * price:.2f}</cbc:LineExtensionAmount>'
        f"<cac:Item><cbc:Description>{item} batch {rng.randint(1000, 9999)}</cbc:Description>"
        f"<cbc:Name>{item}</cbc:Name></cac:Item>"
        f'<cac:Price><cbc:PriceAmount currencyID="NOK">{price:.2f}</cbc:PriceAmount></cac:Price>'
        "</cac:InvoiceLine>"
    )


def invoice(size: int, *, seed: int = 2026) -> bytes:
    """An invoice of about ``size`` bytes (never less), the same for the same arguments."""
    return "".join(invoice_pieces(size, seed=seed)).encode("utf-8")


def write_invoice(
    sink: IO[bytes], size: int, *, seed: int = 2026, declaration: bool = True
) -> None:
    """:func:`invoice` written to ``sink`` piece by piece (at most about 1 MiB held at a time:
    a 500 MB payload without 500 MB of memory); without the XML declaration if asked."""
    for index, piece in enumerate(invoice_pieces(size, seed=seed)):
        text = piece.removeprefix(DECLARATION) if index == 0 and not declaration else piece
        sink.write(text.encode("utf-8"))


def invoice_pieces(size: int, *, seed: int = 2026) -> Iterator[str]:
    """The text of :func:`invoice`, in pieces (the first one starts with the declaration)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not cryptography
    head = (
        f'{DECLARATION}<Invoice xmlns="{_UBL}" xmlns:cbc="{_CBC}" '
        f'xmlns:cac="{_CAC}"><cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>'
        "<cbc:ID>INV-1</cbc:ID><cbc:IssueDate>2026-11-26</cbc:IssueDate>"
    )
    tail = "</Invoice>\n"
    yield head
    total = len(head) + len(tail)
    attachment_budget = int(size * 0.4)
    n = 0
    while attachment_budget > 0:
        raw = rng.randbytes(min(attachment_budget, _MAX_NODE) * 3 // 4 or 1)
        text = base64.b64encode(raw).decode("ascii")
        node = (
            "<cac:AdditionalDocumentReference><cbc:ID>att-"
            f'{n}</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" '
            f'filename="att{n}.pdf">{text}</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>'
            "</cac:AdditionalDocumentReference>"
        )
        yield node
        total += len(node)
        attachment_budget -= len(text)
        n += 1
    line = 0
    while total < size:
        text = _line(rng, line)
        yield text
        total += len(text)
        line += 1
    yield tail
