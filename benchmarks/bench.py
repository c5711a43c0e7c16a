"""Benchmarks: whole-process timings of smpolicy side by side with pandoc.

Run with `make bench` (or `python benchmarks/bench.py [--runs N] [--write-docs]`).
Needs pandoc on PATH for the ratios (apt-get install pandoc); without it, ratios are skipped.
Every figure is the median of N runs; commands run alternately (A B A B) so drift affects both.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "profiles" / "examples").glob("*.yaml"))
SMPOLICY = [sys.executable, "-m", "smpolicy"]
BIN = Path(sys.executable).parent / "smpolicy"
if BIN.exists():
    SMPOLICY = [str(BIN)]


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_pair(
    a: list[str], b: list[str] | None, cwd: Path, runs: int
) -> tuple[float, float | None]:
    timed(a, cwd)  # warm-up (also fills smpolicy's cache, as on any machine after the first run)
    if b:
        timed(b, cwd)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(timed(a, cwd))
        if b:
            times_b.append(timed(b, cwd))
    return statistics.median(times_a), (statistics.median(times_b) if b else None)


def peak_mib(cmd: list[str], cwd: Path) -> float:
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *cmd], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout
    return int(out.strip()) / 1024


def make_profiles(directory: Path, count: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        source = EXAMPLES[index % len(EXAMPLES)]
        text = source.read_text().replace("number: ", f"number: B{index:03d}-", 1)
        path = directory / f"p{index:03d}-{source.stem}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profiles", type=int, default=100)
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    pandoc = shutil.which("pandoc")
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="smpolicy-bench-") as tmp:
        work = Path(tmp)
        env_home = work / "home"
        env_home.mkdir()
        os.environ["XDG_CACHE_HOME"] = str(env_home / ".cache")

        for label, cmd in (("smpolicy --help", ["--help"]), ("smpolicy --version", ["--version"])):
            t, _ = median_pair([*SMPOLICY, *cmd], None, work, args.runs)
            rows.append((label, f"{t * 1000:.0f} ms", "", "target <= 120 ms"))

        hospital = ROOT / "profiles" / "examples" / "community-hospital.yaml"
        subprocess.run(
            [*SMPOLICY, "build", str(hospital), "--out", str(work / "one"), "--force"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        md = work / "one" / "community-hospital.md"
        words = len(md.read_text().split())
        build = [*SMPOLICY, "build", str(hospital), "--out", str(work / "one"), "--force"]
        ref = ["pandoc", md.name, "-o", str(work / "pandoc.docx")] if pandoc else None
        t_build, t_pandoc = median_pair(build, ref, work / "one", args.runs)
        ratio = f"{t_build / t_pandoc:.2f}x pandoc" if t_pandoc else "pandoc not installed"
        rows.append(
            (
                f"one build, docx+html+md ({words} words)",
                f"{t_build:.2f} s",
                f"pandoc md->docx {t_pandoc:.2f} s" if t_pandoc else "",
                f"{ratio} (target <= 1.5x)",
            )
        )
        rows.append(
            ("peak memory, one build", f"{peak_mib(build, work):.0f} MiB", "", "target < 200 MiB")
        )

        profiles = make_profiles(work / "ws" / "profiles", args.profiles)
        (work / "ws" / "smpolicy.yaml").write_text("output_dir: policies\n")
        batch = [*SMPOLICY, "build", *[str(p) for p in profiles], "--force"]
        t_batch = timed(batch, work / "ws")  # first issue of every policy
        t_batch = timed(batch, work / "ws")  # re-render, all current
        line = f"{args.profiles / t_batch:.1f} policies/s ({t_batch:.1f} s)"
        if pandoc:
            mds = sorted((work / "ws" / "policies").glob("*.md"))
            start = time.perf_counter()
            for item in mds:
                subprocess.run(
                    ["pandoc", item.name, "-o", str(work / "p.docx")], check=True, cwd=item.parent
                )
            t_pd = time.perf_counter() - start
            rows.append(
                (
                    f"batch of {args.profiles} profiles, one command",
                    line,
                    f"pandoc once per policy {args.profiles / t_pd:.1f} policies/s ({t_pd:.1f} s)",
                    f"{t_pd / t_batch:.1f}x pandoc's throughput (target >= 4x)",
                )
            )
        else:
            rows.append((f"batch of {args.profiles} profiles", line, "", "pandoc not installed"))

        t_check, _ = median_pair([*SMPOLICY, "check"], None, work / "ws", args.runs)
        rows.append(
            (
                f"check over {args.profiles} up-to-date policies",
                f"{t_check:.2f} s",
                "",
                "target < 0.5 s",
            )
        )

    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    table = ["| Measurement | smpolicy | Reference | Result |", "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    print(f"machine: {machine}; medians of {args.runs} runs after a warm-up")
    print("\n".join(table))
    if args.write_docs:
        doc = ROOT / "docs" / "performance.md"
        doc.write_text(
            "# Performance\n\n"
            "Measured with `make bench` (`benchmarks/bench.py`): whole processes, medians of "
            f"{args.runs} runs after one warm-up, smpolicy and pandoc run alternately.\n\n"
            f"Machine: {machine}.\n\n" + "\n".join(table) + "\n"
        )
        print(f"wrote {doc}")


if __name__ == "__main__":
    main()
