"""One operation once, in a fresh interpreter, reporting its memory (``peppol-dpi bench``).

``python -m peppol_dpi.bench.child OP INPUT_FILE PKI_DIR`` reads the operation's input (made
by the parent with :func:`~.ops.make_input`, so the child holds nothing else; for a streaming
operation INPUT_FILE is the SBD file, never read into memory), then resets the kernel's
peak-RSS mark (``/proc/self/clear_refs``, Linux) and runs the operation once. It prints
``{"baseline": RSS before the operation, "peak": peak RSS during it}`` in bytes:
``peak - baseline`` is what the operation needs beyond its input.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .ops import STREAM_OPERATIONS, from_input, load_keys, prepare_stream

__all__ = ["main"]


def _status(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def main(argv: list[str]) -> int:
    op, input_file, pki_dir = argv
    keys = load_keys(Path(pki_dir))
    with tempfile.TemporaryDirectory(dir=Path(input_file).parent) as work:
        run: Callable[[], object]
        if op in STREAM_OPERATIONS:
            run = prepare_stream(op, Path(input_file), keys, Path(work))
        else:
            run = from_input(op, Path(input_file).read_bytes(), keys)
        baseline, peak = _measure(run)
    print(json.dumps({"baseline": baseline, "peak": peak}))
    return 0


def _measure(run: Callable[[], object]) -> tuple[int, int]:
    gc.collect()
    baseline = _status("VmRSS")
    if baseline is None or not _reset_peak():
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    run()
    peak = _status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return baseline, max(peak, baseline)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
