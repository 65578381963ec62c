# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: the archive check's inflate on a mongodump-like archive: zlib, isal, and rapidgzip (parallel decoding
of one gzip stream), on this machine's cores.

Run: .venv/bin/python tests/benchmarks/inflate_benchmark.py [--size-mib 256] [--rounds 3]
Not part of `make test`. Writes tests/benchmarks/results/inflate.md.

The archive is the simulator's `mongodump` content (BSON-like documents deflated at level 6, about 4.6x), written to
tmpfs. zlib and isal run as the module runs them: ArchiveCheck fed 1 MiB chunks, as they would arrive (gzip CRC and
length, tar headers). rapidgzip cannot be fed a stream: it needs the whole file (random access to find block starts),
so it would be a second pass after the download; it is timed reading the file to its end (no tar parsing, so its
figure is a lower bound). Also checked: does each one refuse a wrong CRC and a truncated stream, as the module must?
"""
from __future__ import annotations

import argparse
import datetime
import os
import resource
import statistics
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'tests'))
from atlas_simulator.downloads import Archive  # noqa: E402  pylint: disable=wrong-import-position
from bench import MIB, link_collection, machine  # noqa: E402  pylint: disable=wrong-import-position


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def archive_check(check_class: type, inflater: object, path: str) -> str | None:
    check_class.inflater = inflater
    check = check_class()
    with open(path, 'rb', buffering=0) as handle:
        while True:
            chunk = handle.read(MIB)
            if not chunk:
                break
            check(chunk)
    check(None)
    return check.error


def rapidgzip_read(path: str, parallelization: int) -> str | None:
    import rapidgzip  # pylint: disable=import-outside-toplevel
    try:
        with rapidgzip.open(path, parallelization=parallelization) as handle:
            while handle.read(4 * MIB):
                pass
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return f'{type(exc).__name__}: {exc}'
    return None


# The decision this benchmark informed (issue 22 item 3), kept with every run's table; its figures are that day's run.
DECISION = """
Decision (issue 22 item 3, taken on the run of 2026-12-05; the table above is this run): rapidgzip is **not adopted**.
On these 2 cores its parallel decoding of the one stream reached 183 MiB/s, about zlib's streamed check (170 MiB/s) and
half of isal's (359 MiB/s, one core); it needs the whole file (random access), so it could only run as a second pass
after the download, where the check now overlaps the transfer; it accepts a truncated gzip stream without an error (the
module must refuse one); and its wheels do not cover every platform where modules run (no ppc64le wheel; aarch64 only an
older release). zlib stays the fallback, isal the optional speed-up.

isal stays optional in `requirements.txt` and stays in the execution environment (`execution-environment.yml` already
installs it): it doubles the check on compressed archives (the limit of a validated mongodump download) and has wheels
for x86_64 and aarch64 (manylinux and musllinux), which the execution environment images use; but it has no wheels for
ppc64le or s390x, where a hard requirement would make `pip install -r requirements.txt` build ISA-L from source (a
compiler and nasm) or fail, and the module works without it (zlib, same checks).
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--size-mib', type=int, default=256, help='the archive as downloaded (compressed)')
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
    with tempfile.TemporaryDirectory(dir=shm, prefix='atlas-inflate-') as tmp:
        sys.path.insert(0, link_collection(ROOT, tmp, 'this'))
        from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import ArchiveCheck  # pylint: disable=import-outside-toplevel
        path = os.path.join(tmp, 'dump.tgz')
        archive = Archive('65a000000000000000000501', args.size_mib * MIB, 'mongodump')
        with open(path, 'wb') as out:
            for piece in archive.chunks():
                out.write(piece)
        data = bytearray(open(path, 'rb').read())  # pylint: disable=consider-using-with
        bad_crc, truncated = os.path.join(tmp, 'bad_crc.tgz'), os.path.join(tmp, 'truncated.tgz')
        data[-6] ^= 0xFF
        with open(bad_crc, 'wb') as out:
            out.write(data)
        with open(truncated, 'wb') as out:
            out.write(data[:len(data) // 2])
        del data
        size = os.path.getsize(path)
        ways: list[tuple[str, object]] = [('zlib: ArchiveCheck, streamed 1 MiB chunks (the module without isal)',
                                           lambda p: archive_check(ArchiveCheck, zlib, p))]
        try:
            import isal.isal_zlib  # pylint: disable=import-outside-toplevel
            ways.append(('isal: ArchiveCheck, streamed 1 MiB chunks (the module with isal installed)',
                         lambda p: archive_check(ArchiveCheck, isal.isal_zlib, p)))
        except ImportError:
            print('isal not installed: no isal row')
        try:
            import rapidgzip  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
            for threads in (1, 2):
                ways.append((f'rapidgzip {rapidgzip.__version__}, parallelization={threads}, the whole file after the download',
                             lambda p, n=threads: rapidgzip_read(p, n)))
        except ImportError:
            print('rapidgzip not installed: no rapidgzip rows')
        times: dict[str, list[tuple[float, float]]] = {label: [] for label, _way in ways}
        for number in range(args.rounds):
            for label, way in ways[number % len(ways):] + ways[:number % len(ways)]:
                start, cpu = time.perf_counter(), cpu_seconds()
                error = way(path)  # type: ignore[operator]
                if error:
                    raise RuntimeError(f'{label}: the good archive failed: {error}')
                times[label].append((time.perf_counter() - start, cpu_seconds() - cpu))
            print(f'round {number + 1}/{args.rounds}', flush=True)
        refusals = {label: (way(bad_crc), way(truncated)) for label, way in ways}  # type: ignore[operator]
    lines = [f'# Archive check: inflate on more than one core? ({datetime.date.today().isoformat()})', '',
             f'tests/benchmarks/inflate_benchmark.py --size-mib {args.size_mib} --rounds {args.rounds}: the simulator\'s mongodump-like '
             f'archive ({size / MIB:.0f} MiB compressed, {archive.periods * 1048560 / size:.1f}x), on tmpfs, on {machine()}, shared with '
             'other work. Median of the rounds (interleaved).', '',
             '| how | median s | MiB/s of archive | CPU-s | wrong CRC | truncated stream |', '|---|---|---|---|---|---|']
    for label, _way in ways:
        wall = statistics.median(run[0] for run in times[label])
        cpu = statistics.median(run[1] for run in times[label])
        crc, cut = refusals[label]
        lines.append(f'| {label} | {wall:.2f} | {size / MIB / wall:.0f} | {cpu:.2f} | {"refused" if crc else "**accepted**"} | '
                     f'{"refused" if cut else "**accepted**"} |')
    text = '\n'.join(lines) + '\n' + DECISION
    print(text)
    with open(os.path.join(HERE, 'results', 'inflate.md'), 'w', encoding='utf-8') as handle:
        handle.write(text)


if __name__ == '__main__':
    main()
