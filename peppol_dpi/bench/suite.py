"""The whole ``peppol-dpi bench`` run: every operation and size, floor, memory, ``as4``."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from .. import deflate
from ..errors import UsageError
from ..limits import DEFAULT_LIMITS
from ..testing.pki import write as write_pki
from .floor import FloorContext, floor_operations
from .ops import (
    BILLING,
    INVOICE_TYPE,
    OPERATIONS,
    RECEIVER,
    SENDER,
    STREAM_OPERATIONS,
    floor_name,
    from_input,
    load_keys,
    make_input,
    prepare_stream,
    write_stream_input,
)
from .payload import invoice
from .runner import Measurement, machine_info, median_pair, peak_rss_in_child, repeats_for
from .targets import check_targets

__all__ = ["run_suite"]

_AS4_DRIVER = Path(__file__).with_name("as4_driver.py")


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
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="peppol-dpi-bench-") as tmp:
        work = Path(tmp)
        pki_dir = work / "pki"
        write_pki(pki_dir)  # shared with the child processes
        keys = load_keys(pki_dir)
        for size in sizes:
            payload = invoice(size)
            payload_file = work / f"payload-{size}.xml"
            payload_file.write_bytes(payload)
            floors = floor_operations(payload, FloorContext(key=keys.c2.key))
            repeat = repeats_for(size)
            as4_times = (
                _time_as4(as4_python, payload_file, pki_dir, repeat, progress)
                if as4_python is not None and ({"as4_build", "as4_open"} & set(operations))
                else {}
            )
            for op in operations:
                if op.startswith("jws_") and len(payload) > DEFAULT_LIMITS.max_jws_bytes:
                    # A business message is a few kilobytes; a JWS over the limit is refused
                    # by design (Limits.max_jws_bytes), so there is nothing to measure.
                    progress(f"{op} {size} bytes: skipped (over Limits.max_jws_bytes)")
                    continue
                progress(f"{op} {size} bytes")
                if op in STREAM_OPERATIONS:
                    # Streaming: from a file to files; the operation never holds the payload.
                    stream_file = work / f"{op}-{size}.input"
                    write_stream_input(op, stream_file, size, keys)
                    ours, floor = median_pair(
                        prepare_stream(op, stream_file, keys, work), floors[floor_name(op)], repeat
                    )
                    rss = (
                        peak_rss_in_child(
                            "peppol_dpi.bench.child", [op, str(stream_file), str(pki_dir)]
                        )
                        if memory
                        else None
                    )
                    stream_file.unlink()
                else:
                    op_input = make_input(op, payload, keys)
                    ours, floor = median_pair(from_input(op, op_input, keys), floors[op], repeat)
                    rss = None
                    if memory:
                        input_file = work / f"{op}-{size}.input"
                        input_file.write_bytes(op_input)
                        rss = peak_rss_in_child(
                            "peppol_dpi.bench.child", [op, str(input_file), str(pki_dir)]
                        )
                        input_file.unlink()
                    del op_input
                theirs = as4_times.get(op)
                results.append(
                    Measurement(
                        op=op,
                        size_bytes=len(payload),
                        median_s=ours,
                        floor_s=floor,
                        ratio_to_floor=ours / floor if floor else None,
                        peak_rss_bytes=rss[0] if rss else None,
                        peak_rss_above_baseline_bytes=rss[0] - rss[1] if rss else None,
                        as4_median_s=theirs,
                        ratio_as4=theirs / ours if theirs else None,
                    )
                )
    machine = machine_info() | {"deflate_engine": deflate.ENGINE}
    rows = [r.to_json() for r in results]
    return {
        "machine": machine,
        "results": rows,
        "targets": [check.to_json() for check in check_targets(rows)],
    }


def _time_as4(
    python: Path,
    payload_file: Path,
    pki_dir: Path,
    repeat: int,
    progress: Callable[[str], None],
) -> dict[str, float]:
    progress(f"as4 package, {payload_file.stat().st_size} bytes")
    keys = load_keys(pki_dir)
    for name, key in (("c2", keys.c2), ("c3", keys.c3)):
        (pki_dir / f"bench-{name}.key.pem").write_bytes(
            key.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    request = {
        "payload": str(payload_file),
        "sender_party": "POP000001",
        "receiver_party": "POP000002",
        "sender_key": str(pki_dir / "bench-c2.key.pem"),
        "sender_cert": str(pki_dir / "ap-c2.cert.pem"),
        "receiver_key": str(pki_dir / "bench-c3.key.pem"),
        "receiver_cert": str(pki_dir / "ap-c3.cert.pem"),
        "root": str(pki_dir / "root-ca.cert.pem"),
        "ap_ca": str(pki_dir / "ap-ca.cert.pem"),
        "sender": SENDER.value,
        "recipient": RECEIVER.value,
        "document_type": INVOICE_TYPE.value,
        "process": BILLING.value,
        "repeat": repeat,
    }
    request_file = pki_dir / "as4-request.json"
    request_file.write_text(json.dumps(request))
    result = subprocess.run(
        [str(python), str(_AS4_DRIVER), str(request_file)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if result.returncode != 0:
        raise UsageError(
            f"the as4 package could not be timed with {python}: "
            + (result.stderr.strip().splitlines() or ["no output"])[-1]
        )
    data = json.loads(result.stdout)
    return {"as4_build": float(data["build_median_s"]), "as4_open": float(data["open_median_s"])}
