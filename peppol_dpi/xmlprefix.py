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
from typing import IO, Any

from lxml import etree

from .errors import XmlSecurityError
from .limits import DEFAULT_LIMITS, Limits
from .spool import read_up_to
from .xmlparse import (
    PARSER_OPTIONS,
    PROLOG_SCAN,
    Element,
    check_counts,
    check_file_size,
    check_input,
    check_namespaces,
    parse_xml,
    syntax_error,
)

__all__ = ["end_tag_end", "parse_xml_until"]

# Bytes fed at a time to the pull parser; the first piece is smaller (see _first_step).
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
    rest of the document is not looked at, so it may still be broken (and the element's tail,
    the text after it, is whatever was read beyond it). None when the document has no ``tag``.
    """
    head: bytes | memoryview
    if isinstance(data, bytes | bytearray | memoryview):
        check_input(data, limits, what, "parse_xml_until")
        head = memoryview(data)[:_CHUNK]
    else:
        check_file_size(data, limits, what)
        data.seek(0)
        head = data.read(_CHUNK)
    element = _parse_through(head, tag, limits, what)
    return element if element is not None else _pull_parse(data, tag, limits, what)


def _parse_through(head: bytes | memoryview, tag: str, limits: Limits, what: str) -> Element | None:
    """The usual case in one call of the tree parser: ``head`` up to the first end tag with
    ``tag``'s local name, closed with the root's end tag.

    Used only when that document is well-formed and its one ``tag`` element is the root's
    last child, ended there: then it is the element the pull parser stops at, the part read
    is the same, and :func:`~peppol_dpi.xmlparse.parse_xml` has applied the same refusals to
    it. None otherwise (a refusal included): the pull parser then decides, and words the error.
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


def _pull_parse(
    data: bytes | bytearray | memoryview | IO[bytes], tag: str, limits: Limits, what: str
) -> Element | None:
    """The general way: a pull parser fed growing pieces, every event counted against the
    limits, stopping at the first end of ``tag``."""
    parser = etree.XMLPullParser(events=("start", "end", "start-ns", "end-ns"), **PARSER_OPTIONS)
    counts = [0, 0, 0]  # depth, elements, namespace declarations in scope
    max_depth, max_elements = limits.max_xml_depth, limits.max_xml_elements
    max_namespaces = limits.max_xml_namespaces_in_scope

    def found() -> Element | None:
        # The events parsed so far, up to the end of the element wanted (one pass, the limits
        # compared inline: this loop runs for every element of the part read).
        depth, elements, namespaces = counts
        try:
            for event, node in parser.read_events():
                if event == "start-ns":
                    namespaces += 1
                    if namespaces > max_namespaces:
                        check_namespaces(namespaces, limits, what)
                elif event == "end-ns":
                    namespaces -= 1
                elif not isinstance(node, etree._Element):
                    continue  # only element events were asked for
                elif event == "end":
                    depth -= 1
                    if node.tag == tag:
                        return node
                else:
                    if elements == 0:
                        docinfo: Any = node.getroottree().docinfo
                        if docinfo.doctype or docinfo.internalDTD is not None:
                            raise XmlSecurityError(
                                f"{what} contains a DOCTYPE, which is forbidden",
                                rule="xml:dtd-forbidden",
                            )
                    depth += 1
                    elements += 1
                    if depth > max_depth or elements > max_elements:
                        check_counts(depth, elements, limits, what)
            return None
        finally:
            counts[:] = (depth, elements, namespaces)

    try:
        # Small first steps (see _first_step): a header is usually in the first kilobytes,
        # and everything fed is parsed (and queued as events) whether it is needed or not.
        for piece in _growing_pieces(data, tag):
            parser.feed(piece)
            element = found()
            if element is not None:
                return element
        parser.close()
    except etree.XMLSyntaxError as exc:
        # The error may lie after the element, in the same chunk: what came before counts.
        element = found()
        if element is not None:
            return element
        raise syntax_error(exc, _head(data), limits, what) from None
    return found()


def _growing_pieces(data: bytes | bytearray | memoryview | IO[bytes], tag: str) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        view, offset = memoryview(data), 0
        step = _first_step(view, tag)
        while offset < len(view):
            yield bytes(view[offset : offset + step])
            offset += step
            step = min(step * 2, _CHUNK)
        return
    data.seek(0)
    yield from _growing_pieces(data.read(_CHUNK), tag)  # the start, where the hint looks
    while piece := data.read(_CHUNK):
        yield piece


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
