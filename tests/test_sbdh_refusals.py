"""Refusals of the SBDH model, builder and readers: each crafted bad input held to the exact
error class and the rules reported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from lxml import etree
from sbdh_support import INVOICE, header_for

from peppol_dpi import ns
from peppol_dpi.errors import UsageError, ValidationError
from peppol_dpi.sbdh import (
    BinaryContent,
    Scope,
    TextContent,
    XmlPayload,
    build_sbd,
    read_sbd,
    read_sbdh,
)
from peppol_dpi.xmlparse import parse_xml, to_bytes

NOW = datetime(2026, 6, 1, tzinfo=UTC)


# -- shared helpers ----------------------------------------------------------------------------


# -- sbdh/build.py, sbdh/model.py, sbdh/rules.py -----------------------------------------------

_PAYLOAD = XmlPayload(data=INVOICE)
_HEADER = header_for(_PAYLOAD)


def test_build_sbd_takes_only_a_header_and_a_payload() -> None:
    with pytest.raises(UsageError):
        build_sbd("not a header", _PAYLOAD)  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        build_sbd(header_for(_PAYLOAD), INVOICE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Scope(type=1),  # type: ignore[arg-type]
        lambda: Scope(type="t", instance_identifier=None),  # type: ignore[arg-type]
        lambda: Scope(type="t", identifier=1),  # type: ignore[arg-type]
        lambda: header_for(_PAYLOAD, scopes=[Scope(type="t")]),  # a list, not a tuple
        lambda: header_for(_PAYLOAD, scopes=("t",)),
        lambda: _HEADER.with_identification(instance_id=1, created=NOW),  # type: ignore[arg-type]
        lambda: _HEADER.with_identification(instance_id="i", created="x"),  # type: ignore[arg-type]
        lambda: header_for(INVOICE),  # type: ignore[arg-type]
        lambda: XmlPayload(data=INVOICE.decode()),  # type: ignore[arg-type]
        lambda: BinaryContent(data="text"),  # type: ignore[arg-type]
        lambda: TextContent(text=b"bytes"),  # type: ignore[arg-type]
    ],
)
def test_values_of_the_wrong_type_are_usage_errors(make: Callable[[], object]) -> None:
    with pytest.raises(UsageError):
        make()


@pytest.mark.parametrize("key", ["", " ", "\t"])
def test_a_scope_with_an_empty_type_is_refused(key: str) -> None:
    # Envelope 2.0 2.4: an additional scope has a key of its own.
    with pytest.raises(ValidationError) as info:
        Scope(type=key, instance_identifier="v")
    assert info.value.rule == "sbdh:scope"


@pytest.mark.parametrize("encoding", ["", "  "])
def test_binary_content_with_an_empty_encoding_is_refused(encoding: str) -> None:
    with pytest.raises(ValidationError) as info:
        BinaryContent(data=b"%PDF", mime_type="application/pdf", encoding=encoding)
    assert info.value.rule == "sbdh:encoding"


def test_an_xml_payload_shows_its_root_and_size() -> None:
    assert repr(_PAYLOAD) == (
        f"XmlPayload({{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}}Invoice,"
        f" {len(INVOICE)} bytes)"
    )


# -- sbdh/header_reader.py, sbdh/read.py -------------------------------------------------------

_SH = f"{{{ns.SBDH}}}"


def _remove(root: etree._Element, path: str) -> None:
    found = root.find(path)
    assert found is not None
    found.getparent().remove(found)


def _sbd(change: Callable[[etree._Element], None]) -> bytes:
    """A valid SBD with one change made to its tree."""
    root = parse_xml(build_sbd(header_for(_PAYLOAD), _PAYLOAD))
    change(root)
    return to_bytes(root)


def _header(root: etree._Element) -> etree._Element:
    found = root.find(f"{_SH}StandardBusinessDocumentHeader")
    assert found is not None
    return found


def _rules(data: bytes) -> set[str]:
    with pytest.raises(ValidationError) as info:
        read_sbd(data)
    return {p.rule for p in info.value.problems}


def test_an_sbd_without_sender_reports_the_count_not_a_crash() -> None:
    # Envelope 2.0 2: exactly one Sender.
    data = _sbd(lambda r: _remove(r, f"{_SH}StandardBusinessDocumentHeader/{_SH}Sender"))
    assert _rules(data) == {"sbdh:sender-count", "sbdh:schema"}  # schema: Receiver unexpected


def test_a_sender_without_identifier_is_left_to_the_schema() -> None:
    data = _sbd(
        lambda r: _remove(r, f"{_SH}StandardBusinessDocumentHeader/{_SH}Sender/{_SH}Identifier")
    )
    assert _rules(data) == {"sbdh:schema"}


def test_a_missing_document_identification_child_is_left_to_the_schema() -> None:
    path = f"{_SH}StandardBusinessDocumentHeader/{_SH}DocumentIdentification/{_SH}Standard"
    assert _rules(_sbd(lambda r: _remove(r, path))) == {"sbdh:schema"}


def test_an_sbd_without_header_is_refused() -> None:
    data = _sbd(lambda r: r.remove(_header(r)))
    assert _rules(data) == {"sbdh:missing-header"}


def test_a_header_that_is_not_the_first_element_is_refused_by_the_header_reader() -> None:
    def put_first(root: etree._Element) -> None:
        root.insert(0, etree.Element("{urn:x}Before"))

    with pytest.raises(ValidationError) as info:
        read_sbdh(_sbd(put_first))
    assert info.value.rule == "sbdh:schema"
    assert [p.message for p in info.value.problems] == ["the header is not the first element"]
