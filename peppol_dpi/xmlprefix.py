"""Parsing only the start of an XML document: a header before a large payload.

Part of the hardened entry point (:mod:`.xmlparse`): the same parser settings and the same
refusals, applied to the part of the document that is read. :func:`parse_xml_until` takes the
document as far as the end of one element (an SBDH before a 50 MB payload) and leaves the
rest unread.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import IO

from .errors import XmlSecurityError
from .limits import DEFAULT_LIMITS, Limits
from .spool import read_up_to
from .xmlparse import PROLOG_SCAN, Element, check_file_size, check_input, parse_xml
from .xmlstream import parse_pieces_until, whole_pieces

__all__ = ["end_tag_end", "parse_xml_until"]

# Bytes fed at a time to the streaming parser; the first piece is smaller (see _first_step).
_CHUNK = 64 * 1024
_FIRST_CHUNK = 4 * 1024
# The root element's name, after at most a UTF-8 byte order mark, an XML declaration and
# white space (a comment, a processing instruction or a DOCTYPE first: no match).
_ROOT_NAME = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml[^<>]*\?>)?\s*<([^\s/<>!?]+)")


def parse_xml_until(
    data: bytes | memoryview | IO[bytes],
    tag: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    what: str = "XML",
) -> Element | None:
    """Parse ``data`` only as far as the end of the first ``tag`` element; return that element.

    For reading a header without parsing what follows it (an SBDH before a 50 MB payload).
    ``data`` is bytes or a seekable binary file, read from its start only as far as needed.
    The same refusals as :func:`~peppol_dpi.xmlparse.parse_xml` apply to the part read; the
    rest of the document is not looked at, so it may still be broken (and the element's tail
    is not the text after it in the document). None when the document has no ``tag``.
    """
    head: bytes | memoryview
    if isinstance(data, bytes | bytearray | memoryview):
        check_input(data, limits, what, "parse_xml_until")
        head = memoryview(data)[:_CHUNK]
    else:
        check_file_size(data, limits, what)
        data.seek(0)
        head = read_up_to(data, _CHUNK)
    element = _parse_through(head, tag, limits, what)
    return element if element is not None else _read_through(data, tag, limits, what)


def _parse_through(head: bytes | memoryview, tag: str, limits: Limits, what: str) -> Element | None:
    """The usual case in one call of the tree parser: ``head`` up to the first end tag with
    ``tag``'s local name, closed with the root's end tag.

    Used only when that document is well-formed and its one ``tag`` element is the root's
    last child, ended there: then it is the element the streaming parser stops at, the part read
    is the same, and :func:`~peppol_dpi.xmlparse.parse_xml` has applied the same refusals to
    it. None otherwise (a refusal included): the streaming parser then decides, and words the error.
    """
    end = end_tag_end(head, tag)
    root_name = _ROOT_NAME.match(head) if end >= 0 else None
    if root_name is None:
        return None
    document = b"".join((head[:end], b"</", root_name.group(1), b">"))
    try:
        root = parse_xml(document, limits=limits, what=what)
    except XmlSecurityError:
        return None
    if len(root) == 0 or list(root.iter(tag)) != [root[-1]]:
        return None
    return root[-1]


def _read_through(
    data: bytes | bytearray | memoryview | IO[bytes], tag: str, limits: Limits, what: str
) -> Element | None:
    """The general way: the document fed in growing pieces to the streaming parser, which
    applies ``parse_xml``'s refusals in its order to the part read and stops at the first end
    of ``tag``."""
    # Small first steps (see _first_step): a header is usually in the first kilobytes, and
    # everything fed is parsed whether it is needed or not.
    return parse_pieces_until(
        _growing_pieces(data, tag), tag, lambda: _head(data), limits=limits, what=what
    )


def _growing_pieces(data: bytes | bytearray | memoryview | IO[bytes], tag: str) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view, offset = memoryview(data), 0
        step = _first_step(view, tag)
        while offset < len(view):
            yield bytes(view[offset : offset + step])
            offset += step
            step = min(step * 2, _CHUNK)
        return
    # A file is cut as its bytes would be, however its reads return.
    data.seek(0)
    yield from _growing_pieces(read_up_to(data, _CHUNK), tag)  # the start, where the hint looks
    yield from whole_pieces(data, _CHUNK)


def end_tag_end(data: bytes | memoryview, tag: str, *, within: int = _CHUNK) -> int:
    """Where the first end tag with ``tag``'s local name (any prefix) ends in the first
    ``within`` bytes of ``data``, -1 without one: a hint of how far to read for
    :func:`parse_xml_until` (ASCII-compatible encodings; a comment may hold such text too)."""
    found = _end_tag_pattern(tag).search(data, 0, min(within, len(data)))
    return found.end() if found is not None else -1


@functools.lru_cache(maxsize=16)
def _end_tag_pattern(tag: str) -> re.Pattern[bytes]:
    local = re.escape(tag.rpartition("}")[2].encode())
    return re.compile(rb"</(?:[^\s<>/:]+:)?" + local + rb"\s*>")


def _first_step(view: memoryview, tag: str) -> int:
    # How much to feed first: up to just past the first end tag with ``tag``'s local name when
    # the first chunk holds one, so that what follows the header is neither parsed nor turned
    # into events. Only a chunk size: what is parsed, and so the result, never depends on it.
    end = end_tag_end(view, tag)
    return end + 16 if end >= 0 else _FIRST_CHUNK


def _head(data: bytes | bytearray | memoryview | IO[bytes]) -> bytes:
    """The prolog where a DOCTYPE would be, for naming a syntax error's real cause."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data[:PROLOG_SCAN])
    data.seek(0)
    return read_up_to(data, PROLOG_SCAN)
