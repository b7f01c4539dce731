"""``peppol-dpi bench``: what building and opening messages costs on this machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..bench.ops import OPERATIONS
from ..bench.runner import parse_size
from ..bench.suite import run_suite
from ..bench.transport import measure_transport
from .common import print_json

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "bench",
        help="benchmark AS4, DPI, JWS and SBDH operations against the raw floor",
        description=(
            "Times the package's operations on generated invoices, beside the raw cost of the "
            "cryptography and compression they need (the floor), with peak memory measured in "
            "a child process, and optionally beside the PyPI as4 package."
        ),
    )
    parser.add_argument(
        "--sizes",
        default="10KB,1MB,50MB",
        help="payload sizes, comma-separated (default 10KB,1MB,50MB; add 500MB for the big run)",
    )
    parser.add_argument(
        "--ops",
        default=",".join(OPERATIONS),
        help=f"operations, comma-separated (default all: {','.join(OPERATIONS)})",
    )
    parser.add_argument(
        "--as4-python",
        type=Path,
        help="the python of a virtual environment with the PyPI as4 package, to compare with",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument(
        "--transport",
        type=int,
        metavar="LETTERS",
        help=(
            "also send LETTERS digital letters end to end through the demo's reference access "
            "points on 127.0.0.1 and report letters per second (--ops '' for this alone)"
        ),
    )
    parser.add_argument(
        "--transport-clients",
        type=int,
        default=4,
        metavar="N",
        help="sending threads for --transport (default 4)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 when a measured target of issue 8 is missed",
    )
    parser.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    operations = [o.strip() for o in args.ops.split(",") if o.strip()]
    report = run_suite(
        sizes,
        operations=operations,
        as4_python=args.as4_python,
        memory=not args.no_memory,
        progress=lambda text: print(f"  measuring {text}", file=sys.stderr),
    )
    if args.transport is not None:
        print("  measuring transport, end to end", file=sys.stderr)
        measured = measure_transport(letters=args.transport, clients=args.transport_clients)
        report["transport"] = measured.to_json()
    if args.json:
        print_json(report)
    else:
        _print_table(report)
        _print_targets(report["targets"])
        _print_transport(report.get("transport"))
    missed = [t for t in report["targets"] if t["met"] is False]
    return 1 if args.check and missed else 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:,.2f}"


def _offload_note(machine: dict[str, Any]) -> str:
    # Reports written before the key existed have no such note.
    if "offload" not in machine:
        return ""
    if machine["offload"]:
        return ", digests of large payloads on a second core (the floor on one)"
    return f", one usable core of {machine['cpu_count']} (nothing offloaded)"


def _print_table(report: dict[str, Any]) -> None:
    machine = report["machine"]
    print(
        f"{machine['platform']}, {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"{machine['openssl']}, deflate: {machine['deflate_engine']}{_offload_note(machine)}"
    )
    if not report["results"]:
        return
    header = (
        f"{'operation':<18} {'size':>12} {'median ms':>11} {'MB/s':>8} {'floor ms':>10} "
        f"{'x floor':>8} {'+peak MB':>9} {'as4 ms':>10} {'as4/ours':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in report["results"]:
        extra = row["peak_rss_above_baseline_bytes"]
        print(
            f"{row['op']:<18} {row['size_bytes']:>12,} {_ms(row['median_s']):>11} "
            f"{row['throughput_bytes_per_s'] / 1e6:>8,.1f} {_ms(row['floor_s']):>10} "
            f"{'-' if row['ratio_to_floor'] is None else format(row['ratio_to_floor'], '.2f'):>8} "
            f"{'-' if extra is None else format(extra / 1e6, '.1f'):>9} "
            f"{_ms(row['as4_median_s']):>10} "
            f"{'-' if row['ratio_as4'] is None else format(row['ratio_as4'], '.1f'):>9}"
        )


def _print_transport(transport: dict[str, Any] | None) -> None:
    if transport is None:
        return
    print()
    print(
        f"end to end through the reference access points on 127.0.0.1: "
        f"{transport['letters']} letters from {transport['clients']} clients, accepted by "
        f"corner 2 in {transport['posted_s']:.2f} s ({transport['posted_per_s']:.1f}/s), all "
        f"in their mailboxes in {transport['delivered_s']:.2f} s "
        f"({transport['delivered_per_s']:.1f}/s)"
    )


def _print_targets(targets: list[dict[str, Any]]) -> None:
    if not targets:
        return
    print()
    print("targets (issue 8):")
    for check in targets:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[check["met"]]
        measured = "-" if check["measured"] is None else f"{check['measured']:.2f}"
        bound = f"{'<=' if check['at_most'] else '>='} {check['bound']:g} {check['unit']}"
        spread = check.get("spread")
        blocks = "" if not spread else f", {spread[0]:.2f}-{spread[1]:.2f} over the blocks"
        print(
            f"  {verdict:<12} {check['op']:<16} {check['size_bytes']:>12,}  "
            f"{check['target']}: {measured} ({bound}{blocks})"
        )
