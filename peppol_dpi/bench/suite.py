"""The whole ``peppol-dpi bench`` run: every operation and size, floor, memory, ``as4``."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import deflate
from ..errors import UsageError
from ..limits import DEFAULT_LIMITS
from ..testing.pki import write as write_pki
from .as4_remote import As4Remote
from .floor import FloorContext, floor_operations
from .ops import (
    OPERATIONS,
    STREAM_OPERATIONS,
    Keys,
    floor_name,
    from_input,
    load_keys,
    make_input,
    prepare_stream,
    sbd_around,
    write_stream_input,
)
from .payload import invoice
from .runner import (
    Measurement,
    alternating_blocks,
    alternating_medians,
    block_ratios,
    machine_info,
    peak_rss_in_child,
    pooled_median,
    repeats_for,
    timed,
)
from .targets import check_targets

__all__ = ["run_suite"]


def run_suite(
    sizes: Sequence[int],
    *,
    operations: Sequence[str] = OPERATIONS,
    as4_python: Path | None = None,
    memory: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Measure every operation at every size; the JSON of docs/cli.md ``bench --json``."""
    unknown = sorted(set(operations) - set(OPERATIONS))
    if unknown:
        raise UsageError(f"unknown operations {unknown}; known: {', '.join(OPERATIONS)}")
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="peppol-dpi-bench-") as tmp:
        work = Path(tmp)
        pki_dir = work / "pki"
        write_pki(pki_dir)  # shared with the child processes
        keys = load_keys(pki_dir)
        for size in sizes if operations else ():
            payload = invoice(size)
            payload_file = work / f"payload-{size}.xml"
            payload_file.write_bytes(payload)
            run = _SizeRun(
                size=size,
                payload=payload,
                keys=keys,
                work=work,
                pki_dir=pki_dir,
                floors=floor_operations(
                    payload, FloorContext(key=keys.c2.key), sbd=sbd_around(payload)
                ),
                repeat=repeats_for(size),
                memory=memory,
            )
            with ExitStack() as stack:
                if as4_python is not None and {"as4_build", "as4_open"} & set(operations):
                    progress(f"as4 package, {size} bytes: started")
                    run.remote = stack.enter_context(As4Remote(as4_python, payload_file, pki_dir))
                for op in operations:
                    if op.startswith("jws_") and len(payload) > DEFAULT_LIMITS.max_jws_bytes:
                        # A business message is a few kilobytes; a JWS over the limit is
                        # refused by design (Limits.max_jws_bytes): nothing to measure.
                        progress(f"{op} {size} bytes: skipped (over Limits.max_jws_bytes)")
                        continue
                    progress(f"{op} {size} bytes")
                    results.append(run.measure(op))
    # "date" (machine_info) is when the run ended; a table is measured from "started" to it.
    machine = machine_info() | {"deflate_engine": deflate.ENGINE, "started": started}
    rows = [r.to_json() for r in results]
    return {
        "machine": machine,
        "results": rows,
        "targets": [check.to_json() for check in check_targets(rows)],
    }


@dataclass(kw_only=True)
class _SizeRun:
    """What measuring the operations at one payload size needs."""

    size: int
    payload: bytes
    keys: Keys
    work: Path
    pki_dir: Path
    floors: dict[str, Callable[[], object]]
    repeat: int
    memory: bool
    remote: As4Remote | None = None

    def measure(self, op: str) -> Measurement:
        """Ours and the floor taking turns; for AS4 build and open, ours and ``as4`` taking
        turns in a series of their own; then memory."""
        input_file = self.work / f"{op}-{self.size}.input"
        clean: Callable[[], object] | None = None
        ours: Callable[[], object]
        if op in STREAM_OPERATIONS:
            # Streaming: from a file to files; the operation never holds the payload.
            write_stream_input(op, input_file, self.size, self.keys)
            ours = stream = prepare_stream(op, input_file, self.keys, self.work)
            clean = stream.clean  # earlier runs' outputs, removed between blocks
            floor = self.floors[floor_name(op)]
        else:
            op_input = make_input(op, self.payload, self.keys)
            ours, floor = from_input(op, op_input, self.keys), self.floors[op]
            if self.memory:
                input_file.write_bytes(op_input)
            del op_input
        timed_ours = timed(ours)
        ours_blocks, floor_blocks = alternating_blocks(
            [timed_ours, timed(floor)], self.repeat, between_blocks=clean
        )
        if clean is not None:
            clean()
        median_s, floor_s = pooled_median(ours_blocks), pooled_median(floor_blocks)
        theirs = ratio_as4 = None
        remote = self.remote
        if remote is not None and op in ("as4_build", "as4_open"):
            # A second series for ``as4``, taking turns with ours alone, so that the ratio to
            # the floor is measured the same way with or without --as4-python (the as4 runs,
            # 40-60 ms of another process at 1 MB, would otherwise sit between ours and the
            # floor's).
            ours_again, theirs = alternating_medians(
                [timed_ours, lambda: remote.seconds(op)], self.repeat
            )
            ratio_as4 = theirs / ours_again
        rss = (
            peak_rss_in_child("peppol_dpi.bench.child", [op, str(input_file), str(self.pki_dir)])
            if self.memory
            else None
        )
        input_file.unlink(missing_ok=True)
        return Measurement(
            op=op,
            size_bytes=len(self.payload),
            median_s=median_s,
            throughput_bytes_per_s=len(self.payload) / median_s,
            floor_s=floor_s,
            ratio_to_floor=median_s / floor_s if floor_s else None,
            peak_rss_bytes=rss[0] if rss else None,
            peak_rss_above_baseline_bytes=rss[0] - rss[1] if rss else None,
            as4_median_s=theirs,
            ratio_as4=ratio_as4,
            ratio_to_floor_blocks=block_ratios(ours_blocks, floor_blocks),
        )
