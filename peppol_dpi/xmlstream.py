"""Parsing XML in pieces, as a stream of checked events, with the refusals of ``parse_xml``.

libxml2 parses the pieces as a stream of events (lxml's parser-target interface: no libxml2
tree); :class:`_CheckedTarget` counts each against the limits and builds an ordinary element
tree. Two readers use it:

* :func:`parse_xml_from` reads a whole file whose one big text node (the base64 package in an
  Innbyggerpost SBD: 67 MiB of text for a 50 MiB package) must not be held in memory: the text
  of the element at ``divert`` goes to a callback piece by piece;
* :func:`parse_pieces_until` (for :func:`~peppol_dpi.xmlprefix.parse_xml_until`) stops at the
  end of the first element with a given tag: an SBDH before a 50 MB payload.

The refusals are those of ``parse_xml``, with the same rules *and the same precedence*, so
that a document gets the same answer whichever reader reads it: a syntax error (namespace
errors included, :func:`~peppol_dpi.xmlparse.refuse_logged_errors`) before a DOCTYPE, then
too many elements, too deep, too many namespace declarations in scope. A limit passed is
therefore remembered, not raised: from then on nothing more is built or handed out (memory
stays bounded), but the parse goes on to the end of what is read, where a syntax error would
still win. Comments are dropped while parsing, so the text on either side of one is one text
(the comment-truncation defence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, cast

from lxml import etree

from .errors import XmlSecurityError
from .limits import DEFAULT_LIMITS, Limits
from .spool import CHUNK_BYTES, read_up_to
from .xmlparse import (
    DECLARATION_HEAD,
    PARSER_OPTIONS,
    PROLOG_SCAN,
    Element,
    check_counts,
    check_declaration,
    check_file_size,
    check_namespaces,
    refuse_logged_errors,
    syntax_error,
)

__all__ = ["parse_pieces_until", "parse_xml_from", "whole_pieces"]


class _Stop(Exception):  # noqa: N818 (control flow, not an error)
    """Raised by the target at the end of the element wanted: libxml2 stops there."""


class _CheckedTarget:
    """The parser target: counts every event against the limits, diverts one text, stops at
    the end of one element, builds the rest (until a limit is passed)."""

    def __init__(
        self,
        limits: Limits,
        what: str,
        *,
        divert: tuple[str, ...] = (),
        sink: Callable[[str], None] | None = None,
        stop_at: str | None = None,
    ) -> None:
        self.limits, self.what = limits, what
        self.divert, self.sink, self.stop_at = divert, sink, stop_at
        self.builder: Any = etree.TreeBuilder()  # lxml-stubs lack start's nsmap
        self.path: list[str] = []
        self.elements = self.namespaces = self.deepest = self.most_namespaces = 0
        self.doctype_seen = False
        #: False once a limit is passed (or a DOCTYPE met): the document will be refused.
        self.building = True
        self.diverting = self.diverted = False
        self.found: Element | None = None
        #: An exception of ``sink``: lxml stops the parser but may report its own error.
        self.error: Exception | None = None

    def doctype(self, *_: object) -> None:
        self.doctype_seen = True
        self.building = False

    def start_ns(self, prefix: str, uri: str) -> None:
        self.namespaces += 1
        if self.namespaces > self.most_namespaces:
            self.most_namespaces = self.namespaces
            if self.namespaces > self.limits.max_xml_namespaces_in_scope:
                self.building = False

    def end_ns(self, prefix: str) -> None:
        self.namespaces -= 1

    def start(self, tag: str, attrib: Mapping[str, str], nsmap: Mapping[str, str]) -> None:
        self.elements += 1
        self.path.append(tag)
        limits = self.limits
        if len(self.path) > self.deepest:
            self.deepest = len(self.path)
            if self.deepest > limits.max_xml_depth:
                self.building = False
        if self.elements > limits.max_xml_elements:
            self.building = False
        if not self.building:
            self.diverting = False
            return
        # Only the leading text of the first element at ``divert``: once a child starts,
        # the rest stays in the tree (where the caller's shape checks see it).
        self.diverting = not self.diverted and tuple(self.path) == self.divert
        self.diverted = self.diverted or self.diverting
        declared = {prefix or None: uri for prefix, uri in nsmap.items()}
        self.builder.start(tag, dict(attrib), declared)

    def end(self, tag: str) -> None:
        self.diverting = False
        self.path.pop()
        if self.building:
            element = self.builder.end(tag)
            if tag == self.stop_at:
                self.found = element
        if tag == self.stop_at:
            raise _Stop()  # the part to read ends here, whether the element was built or not

    def data(self, text: str) -> None:
        if not self.path or not self.building:
            return  # whitespace around the root element; or nothing more is kept
        if not self.diverting:
            self.builder.data(text)
            return
        assert self.sink is not None
        try:
            self.sink(text)
        except Exception as exc:
            self.error = self.error or exc
            raise

    def pi(self, target: str, data: str | None = None) -> None:
        self.diverting = False
        if self.path and self.building:  # one outside the root element is no part of the tree
            self.builder.pi(target, data)

    def close(self) -> Element | None:
        if not self.building or self.path:
            return None
        root: Element = self.builder.close()
        return root

    def refuse_what_was_seen(self) -> None:
        """Raise what ``parse_xml`` would, in its order, for what was parsed (no syntax error)."""
        limits, what = self.limits, self.what
        if self.doctype_seen:
            raise XmlSecurityError(
                f"{what} contains a DOCTYPE, which is forbidden", rule="xml:dtd-forbidden"
            )
        if self.elements > limits.max_xml_elements:
            check_counts(0, self.elements, limits, what)
        check_counts(self.deepest, 0, limits, what)
        check_namespaces(self.most_namespaces, limits, what)


def _run(
    target: _CheckedTarget, pieces: Iterable[bytes], head: Callable[[], bytes]
) -> Element | None:
    """Feed ``pieces`` to a parser with ``target``; ``head``: the document's first
    :data:`PROLOG_SCAN` bytes, to name a syntax error's cause. The root built, or at a stop the
    element found; None for a stop in a document that is refused, or a root never closed."""
    limits, what = target.limits, target.what
    parser = etree.XMLParser(target=cast(Any, target), **PARSER_OPTIONS)
    first = True
    try:
        for piece in pieces:
            if first:  # before anything is parsed, as parse_xml does (a piece holds its start)
                check_declaration(bytes(piece[:DECLARATION_HEAD]), what)
                first = False
            parser.feed(piece)
            refuse_logged_errors(parser.feed_error_log, head, limits, what)
        result: Element | None = parser.close()
    except _Stop:
        result = target.found
    except XmlSecurityError:
        raise
    except Exception as exc:
        # An error libxml2 went on from explains what the builder refused (a name with two
        # colons, say); it is a syntax error, so it comes before the sink's.
        refuse_logged_errors(parser.feed_error_log, head, limits, what)
        if target.error is not None:
            raise target.error from None
        if isinstance(exc, etree.XMLSyntaxError):
            raise syntax_error(exc, head(), limits, what) from None
        raise
    # What libxml2 logged up to where it stopped (a stop ends the parse there).
    refuse_logged_errors(parser.feed_error_log, head, limits, what)
    target.refuse_what_was_seen()
    return result


def whole_pieces(source: IO[bytes], size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """``source`` from its position in pieces of ``size`` bytes (the last may be shorter),
    however its reads return: what is parsed must not depend on how a file cuts its reads."""
    while piece := read_up_to(source, size):
        yield piece


def parse_xml_from(
    source: IO[bytes],
    *,
    divert: tuple[str, ...],
    text_sink: Callable[[str], None],
    limits: Limits = DEFAULT_LIMITS,
    what: str = "XML",
) -> Element:
    """Parse the seekable file ``source`` from its start, refusing what ``parse_xml`` refuses.

    ``divert`` names an element by the tags from the root down (Clark notation); the text
    directly inside the first such element, before any child, is passed to ``text_sink`` in
    pieces and left out of the tree (its ``text`` is None there). An exception from
    ``text_sink`` stops the parse and is raised as it is.
    """
    size = check_file_size(source, limits, what)
    head = read_up_to(source, PROLOG_SCAN)
    source.seek(0)
    if not head.strip() and size <= len(head):
        raise XmlSecurityError(f"{what} is empty", rule="xml:not-well-formed")
    target = _CheckedTarget(limits, what, divert=divert, sink=text_sink)
    root = _run(target, whole_pieces(source), lambda: head)
    assert root is not None  # a document refused raised above
    return root


def parse_pieces_until(
    pieces: Iterable[bytes],
    tag: str,
    head: Callable[[], bytes],
    *,
    limits: Limits = DEFAULT_LIMITS,
    what: str = "XML",
) -> Element | None:
    """The first ``tag`` element of the document in ``pieces``, which are parsed only as far
    as its end; None when the document (well-formed, within the limits) has none. The
    element's ancestors are built as far as read; its tail is None."""
    target = _CheckedTarget(limits, what, stop_at=tag)
    _run(target, pieces, head)
    return target.found
