"""read_sbdh's cache of validated headers: a header that differs from one read before only in
its instance id and creation time gives exactly what the full read gives, value or error."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from as4_support import make_sbd, mutated
from hypothesis import given, settings
from hypothesis import strategies as st

from peppol_dpi.errors import InputError, ValidationError
from peppol_dpi.limits import DEFAULT_LIMITS, Limits
from peppol_dpi.sbdh import SbdHeader, read, read_sbdh
from peppol_dpi.sbdh.header_cache import forget_all, header_shape

_VALUES = re.compile(
    rb"(<(?:\w+:)?InstanceIdentifier>)[^<]*(</(?:\w+:)?InstanceIdentifier>\s*<(?:\w+:)?Type>"
    rb"[^<]*</(?:\w+:)?Type>\s*<(?:\w+:)?CreationDateAndTime>)[^<]*(<)"
)


def _with_values(sbd: bytes, instance_id: bytes, created: bytes) -> bytes:
    """``sbd`` with other DocumentIdentification InstanceIdentifier and CreationDateAndTime."""
    changed, count = _VALUES.subn(
        lambda m: m.group(1) + instance_id + m.group(2) + created + m.group(3), sbd, count=1
    )
    assert count == 1
    return changed


def _outcome(data: bytes, limits: Limits = DEFAULT_LIMITS) -> object:
    try:
        return read_sbdh(data, limits=limits)
    except InputError as exc:
        return type(exc).__name__, exc.rule, str(exc)


def _full(data: bytes, limits: Limits = DEFAULT_LIMITS) -> object:
    forget_all()
    return _outcome(data, limits)


def _after(first: bytes, data: bytes, limits: Limits = DEFAULT_LIMITS) -> object:
    """The outcome for ``data`` once ``first`` was read (and remembered, if it could be)."""
    forget_all()
    _outcome(first)
    return _outcome(data, limits)


@pytest.fixture
def full_reads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The documents read the full way from now on."""
    seen: list[bytes] = []
    full = read._read_sbdh_fully

    def counting(data: bytes, limits: Limits) -> object:
        seen.append(data)
        return full(data, limits)

    monkeypatch.setattr(read, "_read_sbdh_fully", counting)
    forget_all()
    return seen


_BASE = make_sbd()
_VARIANTS = {
    # Read from the cache:
    "another message": (b"0c1d5e7a-1111-4000-8000-00000000abcd", b"2027-03-04T05:06:07Z"),
    "offset and fraction": (b"id-2", b"2026-11-26T23:59:59.123456789+01:00"),
    "minus zero": (b"urn:uuid:1@x/y+z=", b"2026-11-26T00:00:00-00:00"),
    "fourteen hours": (b"id", b"2026-11-26T00:00:00+14:00"),
    # Refused, or read the full way, with the full read's words:
    "month 13": (b"id", b"2026-13-01T00:00:00Z"),
    "30 February": (b"id", b"2026-02-30T00:00:00Z"),
    "year zero": (b"id", b"0000-01-01T00:00:00Z"),
    "beyond 14 hours": (b"id", b"2026-11-26T00:00:00+14:30"),
    "no timezone": (b"id", b"2026-11-26T12:00:00"),
    "hour 24": (b"id", b"2026-11-26T24:00:00Z"),
    "not a time": (b"id", b"2026-11-26T12:00:00Zjunk-junk"),
    "empty id": (b"", b"2026-11-26T12:00:00Z"),
    "blank id": (b"   ", b"2026-11-26T12:00:00Z"),
    "spaces around": (b" id ", b" 2026-11-26T12:00:00Z "),
    "escaped id": (b"a&amp;b", b"2026-11-26T12:00:00Z"),
    "CDATA id": (b"<![CDATA[x]]>", b"2026-11-26T12:00:00Z"),
    "control character": (b"a&#1;b", b"2026-11-26T12:00:00Z"),
    "non-ASCII id": ("fakt\u00fcra".encode(), b"2026-11-26T12:00:00Z"),
}


@pytest.mark.parametrize("name", sorted(_VARIANTS))
def test_a_variant_reads_as_it_reads_alone(name: str) -> None:
    variant = _with_values(_BASE, *_VARIANTS[name])
    alone = _full(variant)
    assert _after(_BASE, variant) == alone
    assert _after(variant, _BASE) == _full(_BASE)  # and a bad one first changes nothing


def test_the_second_message_of_a_flow_is_not_parsed(full_reads: list[bytes]) -> None:
    first = read_sbdh(_BASE)
    second = read_sbdh(_with_values(_BASE, *_VARIANTS["another message"]))
    assert len(full_reads) == 1
    assert second.instance_id == "0c1d5e7a-1111-4000-8000-00000000abcd"
    assert second.created.isoformat() == "2027-03-04T05:06:07+00:00"
    assert (second.sender, second.receiver, second.document_type, second.process) == (
        first.sender,
        first.receiver,
        first.document_type,
        first.process,
    )
    assert _outcome(_with_values(_BASE, *_VARIANTS["month 13"])) == _full(
        _with_values(_BASE, *_VARIANTS["month 13"])
    )


@pytest.mark.parametrize(
    "change",
    [
        (b"<BusinessScope>", b"<!-- a comment --><BusinessScope>"),
        (b"<BusinessScope>", b"<?pi x?><BusinessScope>"),
        (b"<Type>Invoice</Type>", b"<Type><![CDATA[Invoice]]></Type>"),
        (b"<Type>Invoice</Type>", b'<Type xmlns:o="urn:o">Invoice</Type>'),
    ],
    ids=["comment", "processing instruction", "CDATA", "attribute"],
)
def test_headers_of_another_shape_are_always_read_in_full(
    full_reads: list[bytes], change: tuple[bytes, bytes]
) -> None:
    sbd = _BASE.replace(*change)
    assert read_sbdh(sbd) == read_sbdh(sbd)
    assert len(full_reads) == 2


def test_refused_headers_are_not_remembered(full_reads: list[bytes]) -> None:
    broken = _BASE.replace(b"<HeaderVersion>1.0", b"<HeaderVersion>2.0")
    assert _outcome(broken) == _outcome(broken)
    assert isinstance(_outcome(broken), tuple)
    assert len(full_reads) == 3


def test_limits_are_part_of_the_key(full_reads: list[bytes]) -> None:
    read_sbdh(_BASE)
    tight = Limits(max_xml_elements=5)
    assert _outcome(_BASE, tight) == _full(_BASE, tight)
    assert _outcome(_BASE, tight)[1] == "xml:too-many-elements"  # type: ignore[index]
    small = Limits(max_xml_bytes=100)
    read_sbdh(_BASE)
    assert _outcome(_BASE, small) == _full(_BASE, small)


def test_real_samples_read_the_same_after_a_sibling(shared: Path) -> None:
    folder = shared / "peppol" / "sbdh"
    samples = sorted((folder / "good").glob("*.xml")) + sorted((folder / "bad").glob("*.xml"))
    assert len(samples) >= 10
    for path in samples:
        sample = path.read_bytes()
        assert _after(sample, sample) == _full(sample), path.name
        if _VALUES.search(sample) is None:
            continue
        for values in (_VARIANTS["another message"], _VARIANTS["month 13"]):
            sibling = _with_values(sample, *values)
            assert _after(sample, sibling) == _full(sibling), path.name


def test_a_header_whose_values_are_not_the_ones_cut_out_is_not_kept() -> None:
    forget_all()
    end = _BASE.index(b"</StandardBusinessDocumentHeader>") + len(
        b"</StandardBusinessDocumentHeader>"
    )
    shape = header_shape(_BASE[:end], Limits())
    assert shape is not None and shape.instance_id == "4f6b2c1e-0000-4000-8000-000000000001"
    other = read_sbdh(_with_values(_BASE, *_VARIANTS["another message"]))
    forget_all()
    shape.remember(other)  # a header read from other bytes: refused
    assert shape.known() is None
    shape.remember(read_sbdh(_BASE))
    assert shape.known() == read_sbdh(_BASE)


def test_with_identification_checks_the_two_values_as_construction_does() -> None:
    header = read_sbdh(_BASE)
    later = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    changed = header.with_identification(instance_id="other", created=later)
    assert changed == dataclasses.replace(header, instance_id="other", created=later)
    assert header.instance_id == "4f6b2c1e-0000-4000-8000-000000000001"  # a copy
    for instance_id, created, rule in (
        ("  ", later, "sbdh:instance-identifier"),
        ("a\x01", later, "sbdh:instance-identifier"),
        ("x", later.replace(tzinfo=None), "sbdh:creation-date-and-time"),
    ):
        with pytest.raises(ValidationError) as info:
            header.with_identification(instance_id=instance_id, created=created)
        assert [p.rule for p in info.value.problems] == [rule]
        with pytest.raises(ValidationError) as direct:
            dataclasses.replace(header, instance_id=instance_id, created=created)
        assert [p.rule for p in direct.value.problems] == [rule]


def test_large_headers_are_read_in_full(full_reads: list[bytes]) -> None:
    # The cache's memory is bounded by the size of what it keeps, not only by its count.
    padding = b"<Scope><Type>EXTRA</Type><InstanceIdentifier>" + b"x" * 20_000
    large = _BASE.replace(
        b"<BusinessScope>", b"<BusinessScope>" + padding + b"</InstanceIdentifier></Scope>"
    )
    first = _outcome(large)
    assert isinstance(first, SbdHeader) and first.scopes[0].type == "EXTRA"  # a valid header
    assert _outcome(large) == first == _full(large)
    assert len(full_reads) == 3  # never remembered


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_headers_read_as_they_read_alone(data: st.DataObject) -> None:
    # Whatever is flipped, cut or inserted in the header (its DocumentIdentification above
    # all): after the untouched header was remembered, the same value or the same error.
    start = _BASE.index(b"<DocumentIdentification>")
    end = _BASE.index(b"</StandardBusinessDocumentHeader>")
    head, middle, tail = _BASE[:start], _BASE[start:end], _BASE[end:]
    inserts = [b"<", b"<!---->", b"&amp;", b"]]>", b"\r", b" ", b"Z", b"+14:00", b"T", b"-"]
    changed = head + mutated(data, middle, inserts, most=2) + tail
    assert _after(_BASE, changed) == _full(changed)


_VALUE_ALPHABET = "0123456789-:+.TZtz aB_/@=&;<>#x\r\n\t\u00e9\x01"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text("ABCXYZabcxyz0123456789._:@/+=-", min_size=1, max_size=24),  # plain: cached
        st.text(_VALUE_ALPHABET, max_size=24),
    ),
    st.one_of(
        st.text(_VALUE_ALPHABET, max_size=32),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.builds(
            "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
            st.integers(0, 9999),
            st.integers(0, 13),
            st.integers(0, 32),
            st.integers(0, 25),
            st.integers(0, 60),
            st.integers(0, 60),
            st.sampled_from(["Z", "+14:00", "+14:01", "-00:00", "+01:30", "", "+1:00"]),
        ),
    ),
)
def test_any_two_values_read_as_they_read_alone(instance_id: str, created: str) -> None:
    # The values the cache checks on its own, drawn widely (valid and not, escaped and not).
    changed = _with_values(_BASE, instance_id.encode(), created.encode())
    assert _after(_BASE, changed) == _full(changed)
