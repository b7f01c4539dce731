"""Timing, peak memory and the report of ``peppol-dpi bench``.

Times are medians over several runs in this process (the first run is a warm-up); peak memory
is measured in a fresh child interpreter per operation and size, so that one measurement does
not inherit another's high-water mark.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import offload
from ..errors import UsageError

__all__ = [
    "Measurement",
    "alternating_blocks",
    "alternating_medians",
    "block_ratios",
    "machine_info",
    "parse_size",
    "peak_rss_in_child",
    "pooled_median",
    "timed",
]

_UNITS = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
}


def parse_size(text: str) -> int:
    """``10KB`` -> 10000, ``1MB`` -> 1000000, ``64KiB`` -> 65536, ``123`` -> 123."""
    cleaned = text.strip().upper()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if cleaned.endswith(unit):
            number = cleaned[: -len(unit)].strip()
            break
    else:
        unit, number = "B", cleaned
    try:
        value = float(number)
    except ValueError:
        raise UsageError(f"not a size: {text!r} (use e.g. 10KB, 1MB, 50MB)") from None
    if value <= 0:
        raise UsageError(f"a size must be positive: {text!r}")
    return int(value * _UNITS[unit])


def repeats_for(size: int) -> int:
    """Enough runs for a stable median without taking minutes on large payloads (a 1 MB
    message takes a few milliseconds: 51 runs cost well under a second, and a median of 15
    moved by several percent from one run of the command to the next)."""
    if size <= 100_000:
        return 101
    if size <= 5_000_000:
        return 51
    if size <= 100_000_000:
        return 5
    return 3


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    """``fn`` as a timer: running it returns the seconds it took."""

    def run() -> float:
        started = time.perf_counter()
        fn()
        return time.perf_counter() - started

    return run


def alternating_blocks(
    timers: Sequence[Callable[[], float]],
    repeat: int,
    *,
    rounds: int = 5,
    between_blocks: Callable[[], object] | None = None,
) -> list[list[list[float]]]:
    """At least ``repeat`` runs of each timer, the timers taking turns in ``rounds`` blocks:
    for each timer, the seconds of each run, block by block.

    On a shared machine a burst of other work can slow a whole series of runs; timing one
    series after the other would put the burst in one of them and skew their ratio. Taking
    turns in blocks puts every series in the same minutes, and the blocks show how much the
    ratio moved within the run. Each block starts with one unrecorded run, so that what the
    previous block did to the caches (the other implementation runs in another process) is
    not counted: the figures are warm, as for a server handling messages one after the other.
    ``between_blocks`` runs before every block, untimed (e.g. :meth:`.ops.StreamRun.clean`).
    """
    block = max(1, -(-repeat // rounds))
    samples: list[list[list[float]]] = [[] for _ in timers]
    for _ in range(rounds):
        for timer, series in zip(timers, samples, strict=True):
            if between_blocks is not None:
                between_blocks()
            timer()  # warm-up of the block: caches, lazy imports, schema loads
            series.append([timer() for _ in range(block)])
    return samples


def alternating_medians(
    timers: Sequence[Callable[[], float]], repeat: int, *, rounds: int = 5
) -> list[float]:
    """The median of every run of each timer, timed by :func:`alternating_blocks`."""
    return [pooled_median(series) for series in alternating_blocks(timers, repeat, rounds=rounds)]


def pooled_median(blocks: Sequence[Sequence[float]]) -> float:
    """The median of the runs of all ``blocks`` together."""
    return statistics.median(run for block in blocks for run in block)


def block_ratios(
    ours: Sequence[Sequence[float]], floor: Sequence[Sequence[float]]
) -> tuple[float, ...] | None:
    """Our median over the floor's, block by block (the blocks of :func:`alternating_blocks`);
    None if a floor block took no measurable time."""
    floors = [statistics.median(block) for block in floor]
    if not all(floors):
        return None
    return tuple(
        statistics.median(mine) / theirs for mine, theirs in zip(ours, floors, strict=True)
    )


@dataclass(frozen=True, kw_only=True)
class Measurement:
    op: str
    size_bytes: int
    median_s: float
    #: Payload bytes per second: ``size_bytes / median_s``.
    throughput_bytes_per_s: float
    floor_s: float | None
    ratio_to_floor: float | None
    peak_rss_bytes: int | None
    peak_rss_above_baseline_bytes: int | None
    as4_median_s: float | None = None
    ratio_as4: float | None = None
    #: The ratio to the floor in each block of the run (:func:`block_ratios`): how far it
    #: moved while the machine's load changed.
    ratio_to_floor_blocks: tuple[float, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def peak_rss_in_child(
    module: str, args: Sequence[str], timeout: float = 1800
) -> tuple[int, int] | None:
    """Run ``python -m module args...`` which prints ``{"baseline": n, "peak": n}`` (bytes)."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        return None
    try:
        data = json.loads(result.stdout.strip().splitlines()[-1])
        return int(data["peak"]), int(data["baseline"])
    except (ValueError, KeyError, IndexError):
        return None


def payload_file(payload: bytes) -> Path:
    with tempfile.NamedTemporaryFile(
        prefix="peppol-dpi-bench-", suffix=".xml", delete=False
    ) as handle:
        handle.write(payload)
    return Path(handle.name)


def machine_info() -> dict[str, Any]:
    import cryptography
    import lxml.etree

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "usable_cores": offload.usable_cores(),
        # Opening a large message uses a second core when the process may use one (the AS4
        # checks beside the gunzip, a package's document digests: peppol_dpi/offload.py); the
        # floor is timed on one core.
        "offload": offload.active(),
        "cryptography": cryptography.__version__,
        "openssl": _openssl_version(),
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "libxml2": ".".join(map(str, lxml.etree.LIBXML_VERSION)),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _openssl_version() -> str:
    from cryptography.hazmat.backends.openssl import backend

    return str(backend.openssl_version_text())
