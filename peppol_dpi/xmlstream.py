"""Parsing an XML file in pieces, with one large text node handed out instead of kept.

:func:`parse_xml_from` is :func:`~peppol_dpi.xmlparse.parse_xml` for a document in a file
whose one big text node (the base64 package in an Innbyggerpost SBD: 67 MiB of text for a
50 MiB package) must not be held in memory: libxml2 parses the file in 1 MiB pieces as a
stream of events (lxml's parser-target interface; no libxml2 tree), the text of the element
at ``divert`` goes to a callback piece by piece, and everything else is built into an
ordinary element tree, which the caller checks as it would the tree of ``parse_xml``.

The refusals are those of ``parse_xml``, with the same rules: the size limit before anything
is read, any DOCTYPE, entities (libxml2 refuses an undeclared one), depth, element count and
namespace declarations in scope, checked on each element as it starts; comments are dropped
while parsing, so the text on either side of one is one text (the comment-truncation defence).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import IO, Any, cast

from lxml import etree

from .errors import XmlSecurityError
from .limits import DEFAULT_LIMITS, Limits
from .spool import copy_chunks, read_up_to
from .xmlparse import (
    PARSER_OPTIONS,
    PROLOG_SCAN,
    Element,
    check_counts,
    check_file_size,
    check_namespaces,
    syntax_error,
)

__all__ = ["parse_xml_from"]


class _Builder:
    """The parser target: checks each event, diverts one text, builds the rest."""

    def __init__(
        self, divert: tuple[str, ...], sink: Callable[[str], None], limits: Limits, what: str
    ) -> None:
        self.divert, self.sink, self.limits, self.what = divert, sink, limits, what
        self.builder: Any = etree.TreeBuilder()  # lxml-stubs lack start's nsmap
        self.path: list[str] = []
        self.elements = self.namespaces = 0
        self.diverting = self.diverted = False
        #: The first error raised here: lxml stops the parser but reports its own error.
        self.error: Exception | None = None

    def _guard(self, check: Callable[[], None]) -> None:
        try:
            check()
        except Exception as exc:
            self.error = self.error or exc
            raise

    def doctype(self, *_: object) -> None:
        def refuse() -> None:
            raise XmlSecurityError(
                f"{self.what} contains a DOCTYPE, which is forbidden", rule="xml:dtd-forbidden"
            )

        self._guard(refuse)

    def start_ns(self, prefix: str, uri: str) -> None:
        self.namespaces += 1
        self._guard(lambda: check_namespaces(self.namespaces, self.limits, self.what))

    def end_ns(self, prefix: str) -> None:
        self.namespaces -= 1

    def start(self, tag: str, attrib: Mapping[str, str], nsmap: Mapping[str, str]) -> None:
        self.elements += 1
        self.path.append(tag)
        self._guard(lambda: check_counts(len(self.path), self.elements, self.limits, self.what))
        # Only the leading text of the first element at ``divert``: once a child starts,
        # the rest stays in the tree (where the caller's shape checks see it).
        self.diverting = not self.diverted and tuple(self.path) == self.divert
        self.diverted = self.diverted or self.diverting
        declared = {prefix or None: uri for prefix, uri in nsmap.items()}
        self.builder.start(tag, dict(attrib), declared)

    def end(self, tag: str) -> None:
        self.diverting = False
        self.path.pop()
        self.builder.end(tag)

    def data(self, text: str) -> None:
        if not self.path:
            return  # whitespace around the root element
        if self.diverting:
            self._guard(lambda: self.sink(text))
        else:
            self.builder.data(text)

    def pi(self, target: str, data: str | None = None) -> None:
        self.diverting = False
        if self.path:  # one before or after the root element is no part of the tree
            self.builder.pi(target, data)

    def close(self) -> Element:
        root: Element = self.builder.close()
        return root


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
    target = _Builder(divert, text_sink, limits, what)
    parser = etree.XMLParser(target=cast(Any, target), **PARSER_OPTIONS)
    try:
        for piece in copy_chunks(source):
            parser.feed(piece)
        root: Element = parser.close()
    except Exception as exc:
        if target.error is not None:
            raise target.error from None
        if isinstance(exc, etree.XMLSyntaxError):
            raise syntax_error(exc, head, limits, what) from None
        raise
    return root
