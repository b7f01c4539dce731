"""What a parsed XML tree really holds, counted the slow way (for checking the parser's
limits, whose checks take shortcuts)."""

from __future__ import annotations

from lxml import etree


def elements_and_depth(root: etree._Element) -> tuple[int, int]:
    """How many elements the tree under ``root`` has, and how deep they nest."""
    count = depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end"), tag=etree.Element):
        depth += 1 if event == "start" else -1
        count += event == "start"
        deepest = max(deepest, depth)
    return count, deepest
