"""Ingest throughput: Graph JSON Lines of SP sign-ins → normalized, enriched, stored in SQLite.

Prints records/s for `vigil ingest --no-detect` (worker processes, the default, and in-process;
into a new database, so with deferred indexes, and once with `--defer-indexes off`) and
with the detectors inline, the ratio to a plain msgspec decode of the same file measured in the same
run (the machine's own yardstick), and the peak memory of the ingest at two file sizes (it must not
grow with the size).

Each timed run starts once earlier runs' writes have reached the disk (``settle``).

For each ingest it also prints the CPU time per record of the ingest and its workers, how
many cores were busy on average, and the rate that CPU cost would allow with every core busy:
whatever the scheduling, no ingest on this machine beats cores / CPU per record.

A second yardstick is SQLite itself: the rows the ingest stored are read back and inserted again,
already built, into a new database with Vigil's schema and settings (batches of 5,000, one
``executemany`` each, committed every 100,000 rows or 0.5 s, as the writer does), with every
index kept up row by row and again with deferred indexes, and once more with deferred indexes
and each batch moved by one ``INSERT ... SELECT`` from the first database, attached: no Python
runs per row, so that rate is SQLite's own. SQLite takes one writer at a time, so those rates
are the ceilings of any ingest into this schema on this machine, whatever the parsing costs and
however many cores parse.

The two yardsticks together bound any ingest: decoding every line (the plain decode) and storing
every built row (the faster deferred ceiling), spread over all cores with nothing else done, is
the ``bound`` line.

With ``--postgres URL`` the same file is also ingested into PostgreSQL (a new schema on that
server, dropped afterwards), with the ratio to the SQLite ingest of the same run.

    .venv/bin/python bench/ingest.py [--records 1000000] [--workdir /tmp/vigil-bench]
                                     [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.corpus import write_signins


def corpus(workdir: Path, records: int) -> Path:
    path = workdir / f"signins-{records}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        write_signins(path.with_suffix(".tmp"), records, seed=42, principals=5000)
        path.with_suffix(".tmp").rename(path)
        print(f"generated {path} ({path.stat().st_size / 1e6:,.0f} MB) "
              f"in {time.perf_counter() - started:.0f}s", flush=True)
    return path


def decode_rate(path: Path) -> float:
    decode = msgspec.json.Decoder().decode
    started = time.perf_counter()
    n = 0
    with path.open("rb") as handle:
        for line in handle:
            decode(line)
            n += 1
    return n / (time.perf_counter() - started)


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, their own children
    included (the ingest's parser workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ingest(path: Path, db: Path | str, workers: int, detect: bool = False,
           *extra: str) -> tuple[float, dict]:
    """Run `vigil ingest` in a child process into a new SQLite file (or an empty database at a
    URL); returns (seconds, summary). ``LAST_CPU[0]`` is left holding the CPU seconds it took,
    its workers' included."""
    if isinstance(db, Path):
        for old in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            old.unlink(missing_ok=True)
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    cmd = [sys.executable, "-m", "vigil.cli.main", "--db", url]
    subprocess.run([*cmd, "migrate"], check=True, capture_output=True)
    settle()
    started, cpu = time.perf_counter(), children_cpu()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(
            [*cmd, "ingest", "--format", "json", "--workers", str(workers),
             *([] if detect else ["--no-detect"]), *extra, str(path)],
            stdout=out, stderr=subprocess.DEVNULL,
        )
        # wait4: this ingest's own peak, its workers' included. RUSAGE_CHILDREN's peak is not
        # this process's alone: run as a shell's last command it is exec'ed and inherits the
        # shell's, e.g. bench/detect.py's 1.3 GB before it.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            raise subprocess.CalledProcessError(child.returncode, child.args)
        out.seek(0)
        summary = json.loads(out.read())
    LAST_CPU[0] = children_cpu() - cpu
    PEAK_RSS_MB[0] = max(PEAK_RSS_MB[0], usage.ru_maxrss / 1024)
    return seconds, summary


LAST_CPU = [0.0]
PEAK_RSS_MB = [0.0]


def settle() -> None:
    """Write back what earlier runs left dirty in the page cache before a run is timed: a run
    that started while the previous ones' gigabytes were still going to disk paid for them (the
    1M ingest gave 52,000-54,000 records/s in two full runs of this bench without it, 68,000 in
    the same function run alone and in the full bench with it)."""
    os.sync()


def chunks(cursor: sqlite3.Cursor, size: int) -> Iterator[list[Any]]:
    while chunk := cursor.fetchmany(size):
        yield chunk


def store_ceiling(src: Path, dst: Path, batch: int = 5000, commit_rows: int = 100_000,
                  commit_seconds: float = 0.5, defer: bool = False, in_sql: bool = False) -> float:
    """Rows/s of inserting ``src``'s stored sign-ins (and raw blocks) into a fresh ``dst``;
    with ``defer``, its indexes dropped first and built at the end (time included), the unique id
    index too, as a first load into a new store without detectors does (``vigil.store.unique_ids``).

    ``in_sql``: each batch is one ``INSERT ... SELECT`` from ``src`` attached (``ON CONFLICT (id)
    DO NOTHING`` while the unique index is kept, as the writer's), so no Python runs per row:
    SQLite's own cost (reading the rows back included)."""
    from vigil.store.database import connect
    from vigil.store.deferred_indexes import defer_indexes, restore_indexes

    for old in (dst, Path(f"{dst}-wal"), Path(f"{dst}-shm")):
        old.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "vigil.cli.main", "--db", f"sqlite:///{dst}", "migrate"]
    subprocess.run(cmd, check=True, capture_output=True)
    settle()
    engine = connect(f"sqlite:///{dst}")  # Vigil's own connection settings
    pooled = engine.raw_connection()
    out = pooled.driver_connection
    read = sqlite3.connect(src)
    spent, rows = 0.0, 0
    started = time.perf_counter()
    deferred = defer_indexes(engine, unique=True) if defer else []
    spent += time.perf_counter() - started
    if in_sql:
        out.execute("ATTACH DATABASE ? AS src", (str(src),))
    for table in ("raw_blocks", "sign_ins"):
        cols = [r[1] for r in read.execute(f"PRAGMA table_info({table})") if r[1] != "pk"]
        names = ", ".join(cols)
        if in_sql:  # batches are pk ranges: (after, up to)
            conflict = " ON CONFLICT (id) DO NOTHING" if table == "sign_ins" and not defer else ""
            sql = (f"INSERT INTO main.{table} ({names}) SELECT {names} FROM src.{table}"
                   f" WHERE pk > ? AND pk <= ? ORDER BY pk{conflict}")
            low, high = read.execute(f"SELECT min(pk) - 1, max(pk) FROM {table}").fetchone()
            batches: Iterator[Any] = ((start, min(start + batch, high))
                                      for start in range(low or 0, high or 0, batch))
        else:  # batches are the rows
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(cols))})"
            batches = chunks(read.execute(f"SELECT {names} FROM {table} ORDER BY pk"), batch)
        opened, pending = 0.0, 0
        for chunk in batches:
            started = time.perf_counter()
            if not pending:
                out.execute("BEGIN IMMEDIATE")
                opened = started
            if in_sql:
                added = out.execute(sql, chunk).rowcount
            else:
                out.executemany(sql, chunk)
                added = len(chunk)
            pending += added
            if pending >= commit_rows or time.perf_counter() - opened >= commit_seconds:
                out.execute("COMMIT")
                pending = 0
            spent += time.perf_counter() - started
            rows += added if table == "sign_ins" else 0
        if pending:
            started = time.perf_counter()
            out.execute("COMMIT")
            spent += time.perf_counter() - started
    if in_sql:
        out.execute("DETACH DATABASE src")
    pooled.close()
    started = time.perf_counter()
    restore_indexes(engine, deferred)
    spent += time.perf_counter() - started
    engine.dispose()
    return rows / spent


def postgres_rate(url: str, path: Path, records: int, workers: int) -> float:
    """Records/s of ``vigil ingest --no-detect`` into a new schema on the server at ``url``."""
    import sqlalchemy as sa

    from vigil.store.database import normalize_url

    base = normalize_url(url)
    schema = f"vigil_bench_{os.getpid()}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        seconds, summary = ingest(path, f"{base}{sep}options=-csearch_path%3D{schema}", workers)
        assert summary["total"]["stored"] == records, summary
        return records / seconds
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def peak_rss_mb() -> float:
    """Largest resident set of any ingest so far, its workers' included (Linux reports KB)."""
    return PEAK_RSS_MB[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/vigil-bench"))
    ap.add_argument("--postgres", metavar="URL",
                    help="also ingest into PostgreSQL at URL (a new schema, dropped afterwards)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    big = corpus(args.workdir, args.records)
    small = corpus(args.workdir, max(args.records // 4, 1000))
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.2f}", flush=True)

    workers = os.cpu_count() or 2
    ingest(small, args.workdir / "bench.db", workers)
    rss_small = peak_rss_mb()
    base = decode_rate(big)
    print(f"baseline  msgspec decode only             {base:>10,.0f} records/s", flush=True)
    for n in (workers, 0):
        seconds, summary = ingest(big, args.workdir / "bench.db", n)
        assert summary["total"]["stored"] == args.records, summary
        rate = args.records / seconds
        print(f"ingest    --workers {n:<2} {args.records:,} records {rate:>10,.0f} records/s  "
              f"ratio to decode {rate / base:.2f}", flush=True)
        per_record = LAST_CPU[0] / args.records
        print(f"          CPU {per_record * 1e6:.1f} us per record (writer and workers), "
              f"{LAST_CPU[0] / seconds:.2f} of {cores} cores busy; at that cost {cores} fully "
              f"busy cores would ingest {cores / per_record:,.0f} records/s", flush=True)
        if n == workers:
            rss_big = peak_rss_mb()
            sqlite_rate = rate
    seconds, _ = ingest(big, args.workdir / "bench.db", workers, False, "--defer-indexes", "off")
    print(f"ingest    --workers {workers} --defer-indexes off (every index kept up row by row) "
          f"{args.records / seconds:>10,.0f} records/s; deferred indexes gave "
          f"{sqlite_rate / (args.records / seconds):.2f}x", flush=True)
    ceiling = store_ceiling(args.workdir / "bench.db", args.workdir / "ceiling.db")
    print(f"ceiling   SQLite inserting the same rows, already built {ceiling:>10,.0f} records/s",
          flush=True)
    ceiling = store_ceiling(args.workdir / "bench.db", args.workdir / "ceiling.db", defer=True)
    print(f"ceiling   the same with deferred indexes (builds included) {ceiling:>10,.0f} records/s",
          flush=True)
    in_sql = store_ceiling(args.workdir / "bench.db", args.workdir / "ceiling.db", defer=True,
                           in_sql=True)
    print(f"ceiling   the same, each batch one INSERT ... SELECT (no Python per row) "
          f"{in_sql:>10,.0f} records/s", flush=True)
    # Seconds of one core per record: decode it, store its row (the faster way).
    floor = 1 / base + 1 / max(ceiling, in_sql)
    print(f"bound     decoding each line and storing its built row alone, with all {cores} cores "
          f"busy: {cores / floor:,.0f} records/s (no normalizing, enriching, raw records or "
          f"hand-off counted)", flush=True)
    print(f"memory    peak RSS of any ingest process: {rss_small:,.0f} MB for "
          f"{small.stat().st_size / 1e6:,.0f} MB of input, {rss_big:,.0f} MB for "
          f"{big.stat().st_size / 1e6:,.0f} MB", flush=True)
    if args.postgres:
        pg = postgres_rate(args.postgres, big, args.records, workers)
        print(f"ingest    PostgreSQL --workers {workers} {pg:>10,.0f} records/s  ratio to decode "
              f"{pg / base:.2f}, to the SQLite ingest {pg / sqlite_rate:.2f}", flush=True)
    seconds, _ = ingest(big, args.workdir / "bench.db", workers, detect=True)
    print(f"ingest    with every detector inline ({workers} workers) "
          f"{args.records / seconds:>10,.0f} records/s", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
