"""The performance targets of issue 8, checked against a ``peppol-dpi bench`` report.

* AS4 build and open, DPI pack and unpack: at most 1.5x the raw floor at 1 MB and above;
* at 10 KB the fixed cost per message: AS4 build and open each under 2 ms;
* at least 3x faster than the PyPI ``as4`` package, AS4 build and open, at every size;
* a 500 MB payload built and opened (the streaming pair) with peak memory under 100 MB above
  the interpreter's baseline.

Each target is checked where the report measured it and reported as not measured otherwise;
a benchmark on a loaded machine can miss a target that a quiet one meets, so the verdict is
information for the reader (and for ``bench --check``), never a test that fails by the clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["TargetCheck", "check_targets"]

_FLOOR_BOUND_OPS = ("as4_build", "as4_open", "dpi_pack", "dpi_unpack")
_AS4_OPS = ("as4_build", "as4_open")
_STREAM_OPS = ("as4_build_stream", "as4_open_stream")
_LARGE = 1_000_000
_SMALL = 100_000
_HUGE = 500_000_000


@dataclass(frozen=True, kw_only=True)
class TargetCheck:
    """One target for one operation and payload size, and whether the run met it."""

    target: str
    op: str
    size_bytes: int
    measured: float | None
    bound: float
    at_most: bool  # the measured value must be <= bound (else >= bound)
    unit: str
    #: The lowest and highest value in the run's blocks (the ratio to the floor only): when
    #: the bound lies between them, the run's own spread decides the verdict.
    spread: tuple[float, float] | None = None

    @property
    def met(self) -> bool | None:
        """None when the run did not measure it (no ``as4``, no memory run)."""
        if self.measured is None:
            return None
        return self.measured <= self.bound if self.at_most else self.measured >= self.bound

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"met": self.met}


def _checks(row: Mapping[str, Any]) -> Iterator[TargetCheck]:
    op, size = str(row["op"]), int(row["size_bytes"])
    if op in _FLOOR_BOUND_OPS and size >= _LARGE:
        blocks = row.get("ratio_to_floor_blocks")
        yield TargetCheck(
            target="time at most 1.5x the raw floor",
            measured=row.get("ratio_to_floor"),
            bound=1.5,
            at_most=True,
            unit="x floor",
            op=op,
            size_bytes=size,
            spread=(min(blocks), max(blocks)) if blocks else None,
        )
    if op in _AS4_OPS and size < _SMALL:
        yield TargetCheck(
            target="fixed cost per message under 2 ms",
            measured=row["median_s"] * 1000,
            bound=2.0,
            at_most=True,
            unit="ms",
            op=op,
            size_bytes=size,
        )
    if op in _AS4_OPS:
        yield TargetCheck(
            target="at least 3x faster than the as4 package",
            measured=row.get("ratio_as4"),
            bound=3.0,
            at_most=False,
            unit="x",
            op=op,
            size_bytes=size,
        )
    if op in _STREAM_OPS and size >= _HUGE:
        extra = row.get("peak_rss_above_baseline_bytes")
        yield TargetCheck(
            target="peak memory under 100 MB above the baseline",
            measured=None if extra is None else extra / 1e6,
            bound=100.0,
            at_most=True,
            unit="MB",
            op=op,
            size_bytes=size,
        )


def check_targets(results: Sequence[Mapping[str, Any]]) -> list[TargetCheck]:
    """Every target that applies to a row of the report's ``results``, in report order."""
    return [check for row in results for check in _checks(row)]
