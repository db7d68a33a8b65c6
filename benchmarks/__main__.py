"""Run every benchmark and print one table: measure, ours, baseline, ratio, target, pass/fail.

    python -m benchmarks            # the full run (a few minutes)
    python -m benchmarks --quick    # small sizes: proves the benchmarks run (CI)

Targets are reported, not enforced: the exit status is non-zero only when a benchmark
could not run at all, so a noisy machine never fails CI.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
import traceback

from benchmarks._report import Row, print_table

BENCHMARKS = ("client_overhead", "fanout", "webhook_throughput", "memory")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the callsavvy-async benchmarks.")
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="which to run")
    args = parser.parse_args()
    rows: list[Row] = []
    broken: list[str] = []
    started = time.perf_counter()
    for name in args.names or BENCHMARKS:
        print(f"running {name}...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            rows.extend(module.run(quick=args.quick))
        except Exception:
            traceback.print_exc()
            broken.append(name)
    machine = (
        f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    )
    print_table(
        rows, f"callsavvy-async benchmarks ({'quick' if args.quick else 'full'}; {machine})"
    )
    targets = [r for r in rows if r["passed"] is not None]
    met = sum(r["passed"] for r in targets)
    print(f"\n{met}/{len(targets)} targets met in {time.perf_counter() - started:.0f} s")
    if broken:
        print(f"could not run: {', '.join(broken)}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
