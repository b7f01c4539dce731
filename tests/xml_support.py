"""Test helpers for XML: what a parsed tree really holds, counted the slow way (for checking
the parser's limits, whose checks take shortcuts), and text full of what C14N escapes."""

from __future__ import annotations

from hypothesis import strategies as st
from lxml import etree

from peppol_dpi.xmltext import NOT_XML_CHAR

#: Runs of XML 1.0 (2.2) characters with the markup and white space C14N escapes put in often
#: (as strings: hypothesis merges character strategies offered together, and they come rarely).
MARKUP_TEXT = st.lists(
    st.sampled_from(list("&<>\"'\t\r\n ]#")) | st.text(st.characters(codec="utf-8"), max_size=3),
    max_size=6,
).map(lambda parts: "".join(c for c in "".join(parts) if not NOT_XML_CHAR.match(c)))


def elements_and_depth(root: etree._Element) -> tuple[int, int]:
    """How many elements the tree under ``root`` has, and how deep they nest."""
    count = depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end"), tag=etree.Element):
        depth += 1 if event == "start" else -1
        count += event == "start"
        deepest = max(deepest, depth)
    return count, deepest
