"""Benchmarks: whole-process timings of smpolicy side by side with pandoc, in the same run.

Run with `make bench` (or `python benchmarks/bench.py [--runs N] [--fleet N] [--write-docs]`).
Needs pandoc on PATH for the ratios (apt-get install pandoc). Every figure is a median of N
runs after a warm-up; smpolicy and pandoc run alternately (A B A B) so drift affects both, and
pandoc runs as parallel as smpolicy does. Each target of issue 16 is printed with its ratio
and whether it is met. These are benchmarks, not tests: nothing here runs in `make test`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "profiles" / "examples").glob("*.yaml"))
SMPOLICY = [sys.executable, "-m", "smpolicy"]
BIN = Path(sys.executable).parent / "smpolicy"
if BIN.exists():
    SMPOLICY = [str(BIN)]
JOBS = os.cpu_count() or 1
# Measure the code of this checkout, whichever smpolicy the interpreter has installed.
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
)


@dataclass
class Row:
    label: str
    measured: str
    reference: str
    ratio: float | None
    target: str
    met: bool | None


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    run(cmd, cwd, env)
    return time.perf_counter() - start


def pandoc_many(files: list[Path], out: Path, jobs: int) -> float:
    """pandoc on every file, ``jobs`` at a time (as parallel as smpolicy's batch)."""

    def one(item: Path) -> None:
        run(["pandoc", item.name, "-o", str(out / (item.stem + ".docx"))], item.parent)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - start


def pair(a: list[str], b: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    timed(a, cwd)
    timed(b, cwd)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(timed(a, cwd))
        times_b.append(timed(b, cwd))
    return statistics.median(times_a), statistics.median(times_b)


def make_profiles(directory: Path, count: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        source = EXAMPLES[index % len(EXAMPLES)]
        text = source.read_text().replace("number: ", f"number: B{index:04d}-", 1)
        path = directory / f"p{index:04d}-{source.stem}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def workspace(root: Path, count: int) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "smpolicy.yaml").write_text("output_dir: policies\n")
    return make_profiles(root / "profiles", count)


def snapshot(root: Path) -> dict[Path, tuple[int, int]]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file() and "policies" not in path.relative_to(root).parts:
            stat = path.stat()
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def ratio_row(label: str, mine: float, theirs: float, name: str, limit: float) -> Row:
    value = mine / theirs
    return Row(
        label,
        f"{mine:.3f} s",
        f"{name} {theirs:.3f} s",
        value,
        f"<= {limit}x pandoc",
        value <= limit,
    )


def bench(args: argparse.Namespace, work: Path) -> list[Row]:
    rows: list[Row] = []
    cache = work / "cache"
    os.environ["XDG_CACHE_HOME"] = str(cache)

    t_help = statistics.median(timed([*SMPOLICY, "--help"], work) for _ in range(args.runs + 1))
    rows.append(
        Row("smpolicy --help", f"{t_help * 1000:.0f} ms", "", None, "<= 60 ms", t_help <= 0.060)
    )

    hospital = ROOT / "profiles" / "examples" / "community-hospital.yaml"
    one = work / "one"
    build = [*SMPOLICY, "build", str(hospital), "--out", str(one), "--format", "docx", "--force"]
    # First build on a fresh install: every cache empty, against pandoc on the same Markdown.
    run([*SMPOLICY, "build", str(hospital), "--out", str(work / "md"), "--format", "md"], work)
    md = work / "md" / "community-hospital.md"
    words = len(md.read_text().split())
    # The same outputs: a build writes the policy and its three audience documents, so pandoc
    # converts those four Markdown files.
    ref = [
        "sh",
        "-c",
        'for f in community-hospital*.md; do pandoc "$f" -o "${f%.md}.pandoc.docx"; done',
    ]
    fresh: list[float] = []
    for index in range(args.runs):
        env = {**os.environ, "XDG_CACHE_HOME": str(work / f"fresh-cache-{index}")}
        fresh.append(timed(build, work, env))
    t_fresh = statistics.median(fresh)
    t_ref = statistics.median(timed(ref, md.parent) for _ in range(args.runs))
    rows.append(
        ratio_row(
            f"first build on a fresh install, DOCX: policy ({words} words) and 3 documents",
            t_fresh,
            t_ref,
            "pandoc",
            1.0,
        )
    )
    t_build, t_pandoc = pair(build, ref, md.parent, args.runs)
    rows.append(
        ratio_row("one build, DOCX (policy and 3 documents)", t_build, t_pandoc, "pandoc", 0.5)
    )

    # A batch of 24 profiles to DOCX against pandoc run as parallel on the same Markdown.
    batch_dir = work / "batch"
    profiles = make_profiles(batch_dir / "profiles", 24)
    names = [str(p) for p in profiles]
    run([*SMPOLICY, "build", *names, "--out", str(batch_dir / "md"), "--format", "md"], work)
    mds = sorted((batch_dir / "md").glob("*.md"))  # every policy and its documents
    pd_out = batch_dir / "pandoc"
    pd_out.mkdir()
    batch = [*SMPOLICY, "build", *names, "--out", str(batch_dir / "docx"), "--format", "docx"]
    batch = [*batch, "--force"]
    run(batch, work)
    pandoc_many(mds, pd_out, JOBS)
    mine, theirs = [], []
    for _ in range(args.runs):
        mine.append(timed(batch, work))
        theirs.append(pandoc_many(mds, pd_out, JOBS))
    rows.append(
        ratio_row(
            "batch of 24 profiles to DOCX (96 documents)",
            statistics.median(mine),
            statistics.median(theirs),
            f"pandoc x{len(mds)}, {JOBS} at a time",
            0.2,
        )
    )

    # A fleet: building everything is linear in N; check is fast; a build writes its own records.
    # A process has a fixed start-up cost, so the raw time per profile falls as N grows; that
    # is not what "linear" asks about. Linear means no super-linear growth: the marginal cost
    # of one more profile, (T(N2) - T(N1)) / (N2 - N1), stays the same from 10 to 1,000.
    totals: dict[int, float] = {}
    sizes = sorted({10, min(100, args.fleet), args.fleet})
    for size in sizes:
        root = work / f"fleet-{size}"
        fleet = workspace(root, size)
        t = timed([*SMPOLICY, "build", *[str(p) for p in fleet], "--format", "docx"], root)
        totals[size] = t
        rows.append(
            Row(
                f"workspace of {size}: build all",
                f"{t:.1f} s ({t / size * 1000:.0f} ms a profile, start-up included)",
                "",
                None,
                "",
                None,
            )
        )
    marginal = [(totals[b] - totals[a]) / (b - a) for a, b in itertools.pairwise(sizes)]
    n_mean = statistics.mean(sizes)
    t_mean = statistics.mean(totals.values())
    slope = sum((n - n_mean) * (totals[n] - t_mean) for n in sizes) / sum(
        (n - n_mean) ** 2 for n in sizes
    )
    fixed = t_mean - slope * n_mean
    spread = max(marginal) / min(marginal) - 1 if len(marginal) > 1 else 0.0
    steps = ", ".join(
        f"{a} to {b}: {m * 1000:.1f} ms"
        for (a, b), m in zip(itertools.pairwise(sizes), marginal, strict=True)
    )
    rows.append(
        Row(
            f"marginal cost of one more profile, {sizes[0]} to {sizes[-1]}",
            f"{steps} (spread {spread:.0%}); fit T = {fixed:.2f} s + {slope * 1000:.1f} ms x N",
            "",
            None,
            "linear in N: marginal cost within 10% across sizes",
            spread <= 0.10,
        )
    )
    largest = work / f"fleet-{sizes[-1]}"
    t_check = statistics.median(timed([*SMPOLICY, "check"], largest) for _ in range(args.runs))
    rows.append(
        Row(
            f"check, {sizes[-1]} policies", f"{t_check:.2f} s", "", None, "<= 0.5 s", t_check <= 0.5
        )
    )
    victim = sorted((largest / "profiles").glob("*.yaml"))[0]
    victim.write_text(
        re.sub(
            r"workforce_size: (\d+)",
            lambda m: f"workforce_size: {int(m.group(1)) + 1}",
            victim.read_text(),
            count=1,
        )
    )
    before = snapshot(largest)
    run([*SMPOLICY, "build", str(victim), "--format", "docx", "--force"], largest)
    after = snapshot(largest)
    changed = sorted(str(p.relative_to(largest)) for p in after if before.get(p) != after[p])
    rows.append(
        Row(
            f"records one build rewrites, {sizes[-1]} policies",
            f"{len(changed)} file(s): {', '.join(changed) or 'none'}",
            "",
            None,
            "only its own",
            all(victim.stem in c or c.endswith(victim.name) for c in changed),
        )
    )
    return rows


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| Measurement | smpolicy | Reference | Ratio | Target | Met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.label} | {r.measured} | {r.reference} | {ratio} | {r.target} | {met} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fleet", type=int, default=1000, help="largest workspace size")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    if not shutil.which("pandoc"):
        sys.exit("bench: pandoc is needed for the ratios (apt-get install pandoc)")
    with tempfile.TemporaryDirectory(prefix="smpolicy-bench-") as tmp:
        rows = bench(args, Path(tmp))
    machine = (
        f"{platform.system()} {platform.machine()}, {JOBS} cores, "
        f"Python {platform.python_version()}, {shutil.which('pandoc')}"
    )
    lines = table(rows)
    print(f"machine: {machine}; medians of {args.runs} runs after a warm-up")
    print("\n".join(lines))
    missed = [r.label for r in rows if r.met is False]
    print("all targets met" if not missed else f"targets missed: {'; '.join(missed)}")
    if args.write_docs:
        doc = ROOT / "docs" / "performance.md"
        doc.write_text(
            "# Performance\n\n"
            "Generated by `make bench` (`benchmarks/bench.py --write-docs`): whole processes, "
            f"medians of {args.runs} runs after a warm-up, smpolicy and pandoc measured in the "
            "same run, pandoc run as parallel as smpolicy. The workspace builds are single runs. "
            "Linearity is judged on the marginal cost of one more profile between consecutive "
            "sizes (the raw time per profile also carries the fixed start-up cost of a process, "
            "so it is higher for small workspaces; both are shown, with a least-squares fit "
            "T = a + b x N).\n\n"
            f"Machine: {machine}.\n\n" + "\n".join(lines) + "\n"
        )
        print(f"wrote {doc}")


if __name__ == "__main__":
    main()
