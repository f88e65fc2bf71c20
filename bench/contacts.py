"""Import and segment-count benchmark: a generated N-row CSV into a fresh SQLite workspace.

Run: .venv/bin/python -m bench.contacts [--rows 1000000]
Prints import rows/s, the importer's peak memory (RSS of the child process that ran it),
and the time to count each segment of config.example.toml over the imported contacts.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from prospector.config import load_settings
from prospector.store import segments
from prospector.store.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
INDUSTRIES = ["software", "saas", "fintech", "logistics", "retail", "healthcare", "education"]
TITLES = [
    "CEO",
    "Chief Technology Officer",
    "VP Sales",
    "Vice President of Marketing",
    "Director of Engineering",
    "Head of Operations",
    "Sales Manager",
    "Account Executive",
    "Software Engineer",
    "Geschäftsführer",
    "Directeur commercial",
    "Director de Ventas",
    "总经理",
    "Marketing Coordinator",
    "Founder",
]
COUNTRIES = [
    ("US", "CA"),
    ("US", "NY"),
    ("US", "TX"),
    ("GB", ""),
    ("DE", ""),
    ("FR", ""),
    ("ES", ""),
    ("NL", ""),
    ("CA", "ON"),
    ("AU", "NSW"),
]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Realistic shape: ~5 contacts per account, a few duplicates and bad rows."""
    rng = random.Random(seed)
    header = (
        "email,first_name,last_name,title,company,website,industry,employees,revenue,"
        "country,region,business_model,tags\n"
    )
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        for i in range(rows):
            account = i // 5
            country, region = COUNTRIES[account % len(COUNTRIES)]
            domain = f"company{account}.com"
            email = f"person{i}@{domain}" if rng.random() > 0.001 else f"broken{i}-at-{domain}"
            out.write(
                f"{email},First{i},Last{i},{rng.choice(TITLES)},Company {account},{domain},"
                f"{INDUSTRIES[account % len(INDUSTRIES)]},{(account % 50) * 100 + 10},"
                f"{(account % 40) * 1_000_000},{country},{region},"
                f"{'b2b' if account % 4 else 'b2c'},{'vip' if i % 17 == 0 else ''}\n"
            )


def tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and all its descendants (Linux /proc), in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(
                next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS"))
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def run_import(workdir: Path, csv_path: Path) -> tuple[float, int, int]:
    """Import in a child process; returns seconds, the largest process's peak RSS and the
    peak of the whole process tree (the importer and its workers) sampled every 0.1 s."""
    code = (
        "import sys, time; from datetime import UTC, datetime; from pathlib import Path\n"
        "from prospector.config import load_settings\n"
        "from prospector.store.db import make_engine, upgrade\n"
        "from prospector.engine.importing import import_contacts\n"
        "s = load_settings(Path(sys.argv[1])); e = make_engine(s.database_url); upgrade(e)\n"
        "t = time.perf_counter()\n"
        "r = import_contacts(e, s.config, Path(sys.argv[2]), now=datetime.now(UTC))\n"
        "print(time.perf_counter() - t, r.created, r.rejected, flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(workdir / "config.toml"), str(csv_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    tree_peak = 0
    while child.poll() is None:
        tree_peak = max(tree_peak, tree_rss_kb(child.pid))
        time.sleep(0.1)
    assert child.stdout is not None and child.returncode == 0, "the import failed"
    seconds, created, rejected = child.stdout.read().split()
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"  created {created}, rejected {rejected}")
    return float(seconds), peak_kb, tree_peak


def time_segments(workdir: Path, repeats: int = 5) -> None:
    settings = load_settings(workdir / "config.toml")
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        for name, segment in settings.config.segments.items():
            times, members = [], 0
            for _ in range(repeats):
                start = time.perf_counter()
                members = segments.count(session, segment)
                times.append(time.perf_counter() - start)
            median_ms = statistics.median(times) * 1000
            print(
                f"segment count {name}: {members} members, median {median_ms:.0f} ms "
                f"(min {min(times) * 1000:.0f} ms, {repeats} runs)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="prospector-bench-"))
    shutil.copy(ROOT / "config.example.toml", workdir / "config.toml")
    csv_path = workdir / "contacts.csv"
    generate(csv_path, args.rows)
    print(f"import of {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB):")
    seconds, peak_kb, tree_kb = run_import(workdir, csv_path)
    rate = args.rows / seconds
    print(f"  {rate:,.0f} rows/s ({seconds:.1f} s)")
    print(
        f"  peak memory: largest process {peak_kb / 1024:.0f} MB, "
        f"importer and workers together {tree_kb / 1024:.0f} MB"
    )
    time_segments(workdir)
    if args.keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
