#!/usr/bin/env python3
"""Benchmarks mailprep check against its peers on the same files, in the same run.

    python3 scripts/bench.py                 # release build, generate inputs if missing, 5 runs each
    python3 scripts/bench.py --runs 3 --python-runs 1
    python3 scripts/bench.py --no-python     # mailprep and wc -l only (Python takes minutes on 1 GB)

Inputs (bench-out/, never committed) come from scripts/generate-large.py: a message of about 1 GB with one
base64 attachment, and 10,000 drafts of 2-200 kB (about 700 MB). The page cache is warmed first. Each job is
the same work: parse, list every leaf part with its decoded size. Reported: median wall time, throughput,
peak RSS of the process (GNU time), CPU use (user+system over wall: 200% is both cores), and the ratio to
Python's email package.

The fix jobs: mailprep fix of a 200 MB CSV attachment at level 6 against zip -6 of the same decoded file (same
zlib), two 100 MB attachments (compressed in parallel: CPU above 100%), --plan on the 1 GB message, and base64
encoding of new parts (mailprep-bench) against coreutils base64 -w 76.
"""
import argparse
import os
import tempfile
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "bench-out")
BIG = os.path.join(OUT, "one-gigabyte.eml")
DRAFTS = os.path.join(OUT, "drafts")
MAILPREP = os.path.join(ROOT, ".build", "release", "mailprep")
BENCH = os.path.join(ROOT, ".build", "release", "mailprep-bench")
ONE = os.path.join(OUT, "compressible-200MB.eml")
TWO = os.path.join(OUT, "compressible-2x100MB.eml")


def measure(command, runs):
    """Runs `command` `runs` times; returns (median seconds, max peak RSS in MB or None, median CPU percent).

    Peak RSS comes from GNU time (a small forking process), since wait4 on a child spawned from Python reports
    the Python parent's pages it shared before exec.
    """
    walls, rss, cpu = [], [], []
    gnu_time = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r") as report:
            wrapped = ([gnu_time, "-f", "%M %U %S", "-o", report.name] if gnu_time else []) + command
            start = time.perf_counter()
            with open(os.devnull, "wb") as null:
                code = subprocess.call(wrapped, stdout=null, stderr=null)
            wall = time.perf_counter() - start
            if code not in (0, 1):
                sys.exit(f"bench: {' '.join(command)} exited {code}")
            walls.append(wall)
            if gnu_time:
                fields = report.read().split()[-3:]
                rss.append(int(fields[0]) / 1024)
                cpu.append(100 * (float(fields[1]) + float(fields[2])) / wall)
    return statistics.median(walls), (max(rss) if rss else None), (statistics.median(cpu) if cpu else None)


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder))


def warm(paths):
    for path in paths:
        if os.path.isdir(path):
            for name in os.listdir(path):
                with open(os.path.join(path, name), "rb") as f:
                    while f.read(1 << 20):
                        pass
        else:
            with open(path, "rb") as f:
                while f.read(1 << 24):
                    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python-runs", type=int, default=3)
    parser.add_argument("--no-python", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--only", choices=["check", "fix"], help="run one group of jobs")
    args = parser.parse_args()

    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["swift", "build", "-c", "release", "--product", "mailprep-bench"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(BIG):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "message", BIG, "--decoded", "730MB"], check=True)
    if not os.path.isdir(DRAFTS):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "drafts", DRAFTS], check=True)
    if not os.path.exists(ONE):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "compressible", ONE, "--sizes", "200MB"], check=True)
    if not os.path.exists(TWO):
        subprocess.run([sys.executable, os.path.join(HERE, "generate-large.py"), "compressible", TWO, "--sizes", "100MB,100MB"], check=True)
    warm([BIG, DRAFTS, ONE, ONE + ".0.csv", TWO])
    big_bytes = os.path.getsize(BIG)
    drafts_bytes = folder_bytes(DRAFTS)
    draft_files = [os.path.join(DRAFTS, name) for name in sorted(os.listdir(DRAFTS))]
    python_job = [sys.executable, os.path.join(HERE, "bench_python.py")]

    jobs = [
        ("1 GB message", "wc -l (reading limit)", ["wc", "-l", BIG], big_bytes, args.runs),
        ("1 GB message", "mailprep check --json", [MAILPREP, "check", "--json", BIG], big_bytes, args.runs),
        ("10,000 drafts", "cat (reading limit, 1 core)", ["sh", "-c", f"cat {DRAFTS}/*"], drafts_bytes, args.runs),
        ("10,000 drafts", "mailprep check --json", [MAILPREP, "check", "--json", DRAFTS], drafts_bytes, args.runs),
    ]
    if not args.no_python:
        jobs.insert(2, ("1 GB message", "Python email (compat32)", python_job + [BIG], big_bytes, args.python_runs))
        jobs.append(("10,000 drafts", "Python email (compat32)", python_job + draft_files, drafts_bytes, args.python_runs))

    scratch = os.path.join(OUT, "fixed.eml")
    fix = [MAILPREP, "fix", "--force", "--limit", "100MB", "-o", scratch]
    zip_out = os.path.join(OUT, "zip-6.zip")
    fix_jobs = [
        ("200 MB CSV", "zip -6 (same decoded file)", ["sh", "-c", f"rm -f {zip_out}; zip -q -6 {zip_out} {ONE}.0.csv"], 200_000_000, args.runs),
        ("200 MB CSV", "mailprep fix --level 6", fix + ["--level", "6", ONE], 200_000_000, args.runs),
        ("2 x 100 MB CSV", "mailprep fix --level 6", fix + ["--level", "6", TWO], 200_000_000, args.runs),
        ("1 GB message", "mailprep fix --plan", [MAILPREP, "fix", "--plan", "--limit", "100MB", BIG], big_bytes, args.runs),
        ("200 MB base64", "base64 -w 76 (coreutils)", ["base64", "-w", "76", ONE + ".0.csv"], 200_000_000, args.runs),
        ("200 MB base64", "Base64EncodingSink", [BENCH, "base64", ONE + ".0.csv"], 200_000_000, args.runs),
    ]
    if args.only == "fix":
        jobs = fix_jobs
    elif args.only != "check":
        jobs += fix_jobs
    print(f"inputs: {big_bytes:,} bytes; {len(draft_files):,} drafts, {drafts_bytes:,} bytes; {os.cpu_count()} cores")
    print(f"{'input':<14} {'job':<28} {'runs':>4} {'median s':>9} {'GB/s':>6} {'peak RSS MB':>11} {'CPU %':>6} {'vs peer':>9}")
    print("(vs peer: Nx = N times faster than Python's email; N t = time as a multiple of zip -6 or coreutils base64)")
    results = {}
    for group, name, command, size, runs in jobs:
        if runs <= 0:
            continue
        wall, rss, cpu = measure(command, runs)
        results[(group, name)] = wall
        python = results.get((group, "Python email (compat32)"))
        peer = results.get((group, "zip -6 (same decoded file)")) or results.get((group, "base64 -w 76 (coreutils)"))
        if python and "mailprep" in name:
            ratio = f"{python / wall:.0f}x"
        elif peer and ("mailprep" in name or "Sink" in name):
            ratio = f"{wall / peer:.2f} t"
        else:
            ratio = ""
        rss_text = f"{rss:.1f}" if rss is not None else "?"
        cpu_text = f"{cpu:.0f}" if cpu is not None else "?"
        print(f"{group:<14} {name:<28} {runs:>4} {wall:>9.3f} {size / wall / 1e9:>6.2f} {rss_text:>11} {cpu_text:>6} {ratio:>9}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
