# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The storage-service side of downloads: pre-signed URLs, and the deterministic .tgz archives they serve.

Like S3, the download host refuses any request that carries an Authorization header (400), and a
link whose signature is wrong or whose time is up answers 403 with an XML body.

An archive is a gzip'd tar of a mongodump-like tree whose one big file repeats a pseudo-random
block seeded by the snapshot id. The gzip uses stored (uncompressed) deflate blocks that this
module frames itself, so the exact Content-Length is arithmetic and the body is streamed from two
pre-framed 1 MiB buffers: serving 1 GiB needs neither 1 GiB of memory nor a file on disk.
With content "mongodump" the repeated block is BSON-like documents instead, deflated once at level 6
after a full flush (no history), so its deflate bytes repeat: about 4.6x compressible, like a real dump.
"""
from __future__ import annotations

import calendar
import collections
import hashlib
import hmac
import json
import os
import random
import struct
import tarfile
import threading
import time
import typing as t
import urllib.parse
import zlib

PATH_PREFIX = '/backup-downloads/'
STORED_MAX = 65535                 # largest stored deflate block
PERIOD = STORED_MAX * 16           # bytes of file content per repeated, pre-framed period (~1 MiB)
RECORD = 10240                     # tar record size: archives are padded to it, as tar does
_EPOCH_MTIME = 1700000000          # fixed mtime inside the archive, so bytes never depend on when they were made
_GZIP_HEADER = b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff'  # deflate, no name, mtime 0, unknown OS
_AMZ_DATE = '%Y%m%dT%H%M%SZ'


def s3_error(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>\n').encode('utf-8')


class Signer:
    """Signs and checks download links with a per-process secret (HMAC-SHA256, 64 hex characters)."""

    def __init__(self) -> None:
        self._secret = os.urandom(32)

    def sign(self, object_path: str, expires: int) -> str:
        return hmac.new(self._secret, f'{object_path}|{expires}'.encode('utf-8'), hashlib.sha256).hexdigest()

    def url(self, base: str, job_id: str, snapshot_id: str, expires: int, lifetime: int, name: str | None = None) -> str:
        """A pre-signed link to /backup-downloads/<job>/<name> (name defaults to <snapshot>.tgz; restore jobs use restore-<id>.tar.gz)."""
        object_path = f'{PATH_PREFIX}{job_id}/{name or snapshot_id + ".tgz"}'
        signed_at = time.strftime(_AMZ_DATE, time.gmtime(expires - lifetime))
        query = urllib.parse.urlencode({'X-Amz-Expires': lifetime, 'X-Amz-Date': signed_at, 'X-Amz-Signature': self.sign(object_path, expires)})
        return f'{base}{object_path}?{query}'

    def check(self, path: str, query: dict[str, list[str]]) -> int | None:
        """The link's expiry (epoch seconds) when its signature is right, else None."""
        try:
            signed_at = calendar.timegm(time.strptime(query['X-Amz-Date'][0], _AMZ_DATE))
            expires = signed_at + int(query['X-Amz-Expires'][0])
            signature = query['X-Amz-Signature'][0]
        except (KeyError, IndexError, ValueError):
            return None
        return expires if hmac.compare_digest(signature, self.sign(path, expires)) else None


def _mongodump_files(snapshot_id: str) -> list[tuple[str, bytes]]:
    """The small files of a mongodump-like tree."""
    metadata = json.dumps({'indexes': [{'v': 2, 'key': {'_id': 1}, 'name': '_id_'}], 'uuid': hashlib.md5(snapshot_id.encode()).hexdigest(),
                           'collectionName': 'orders', 'type': 'collection'}).encode('utf-8')
    prelude = json.dumps({'ServerVersion': '8.0.4', 'ToolVersion': '100.10.0', 'SnapshotId': snapshot_id}).encode('utf-8')
    return [('dump/prelude.json', prelude), ('dump/admin/system.version.bson', b'\x1a\x00\x00\x00\x02_id\x00\x0b\x00\x00\x00featureCompa\x00\x00'),
            ('dump/shop/orders.metadata.json', metadata)]


def _tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = _EPOCH_MTIME
    info.mode = 0o644
    return info.tobuf(tarfile.USTAR_FORMAT, 'utf-8', 'surrogateescape')


def _pad(length: int, unit: int) -> int:
    return -length % unit


def _frame(data: bytes, final: bool) -> bytes:
    """Deflate stored blocks (5-byte header each) carrying `data`; the last one is marked final when asked."""
    out = bytearray()
    view = memoryview(data)
    starts = range(0, len(data), STORED_MAX) if data else [0]
    for start in starts:
        piece = view[start:start + STORED_MAX]
        last = final and start + STORED_MAX >= len(data)
        out += struct.pack('<BHH', 1 if last else 0, len(piece), len(piece) ^ 0xFFFF)
        out += piece
    return bytes(out)


CONTENTS = ('random', 'mongodump')


def mongodump_block(seed: str, size: int) -> bytes:
    """BSON-like order documents (ids, customers, amounts, statuses, cities, dates): about 4.6x compressible at level 6."""
    rnd = random.Random(seed)
    statuses = [b'paid', b'shipped', b'open', b'refunded', b'cancelled']
    cities = [b'Lisbon', b'Austin', b'Osaka', b'Lagos', b'Dublin', b'Pune', b'Quito', b'Perth']
    process = rnd.randbytes(5)
    parts = []
    total = 0
    while total < size:
        oid = (1700000000 + total // 4096).to_bytes(4, 'big') + process + (total // 64).to_bytes(3, 'big')
        doc = (b'\x8a\x00\x00\x00\x07_id\x00%s\x02customer\x00\x0c\x00\x00\x00cust-%06d\x00\x01total\x00%s'
               b'\x02status\x00%s\x00\x02city\x00%s\x00\x09createdAt\x00%s\x10qty\x00%s\x00'
               % (oid, rnd.randrange(10 ** 6), rnd.randbytes(5) + b'\x40\x8f\x40', rnd.choice(statuses),
                  rnd.choice(cities), (1700000000000 + rnd.randrange(10 ** 9)).to_bytes(8, 'little'),
                  rnd.randrange(1, 40).to_bytes(4, 'little')))
        parts.append(doc)
        total += len(doc)
    return b''.join(parts)[:size]


class Archive:
    """The layout of one deterministic archive: head, N identical framed periods, tail, gzip trailer.

    content 'random' (stored blocks, incompressible; target_size is the length) or 'mongodump' (deflated, about 4.6x;
    target_size is the approximate length on the wire, the tar inside is about 4.6 times larger)."""

    def __init__(self, snapshot_id: str, target_size: int, content: str = 'random') -> None:
        if content == 'mongodump':
            self._deflated(snapshot_id, target_size)
            return
        raw_period = random.Random(snapshot_id).randbytes(PERIOD)  # deterministic, incompressible content
        prefix = b''.join(_tar_header(name, len(content)) + content + b'\0' * _pad(len(content), 512)
                          for name, content in _mongodump_files(snapshot_id))
        overhead = len(_GZIP_HEADER) + 8 + len(prefix) + 512 + 1024 + RECORD + 5 * (target_size // STORED_MAX + 2)
        data_size = max(target_size - overhead, 1024)
        prefix += _tar_header('dump/shop/orders.bson', data_size)
        periods, rest = divmod(data_size, PERIOD)
        tar_size = len(prefix) + data_size + _pad(data_size, 512) + 1024
        suffix = b'\0' * (_pad(data_size, 512) + 1024 + _pad(tar_size, RECORD))
        tail_raw = raw_period[:rest] + suffix
        crc = zlib.crc32(prefix)
        for _period in range(periods):
            crc = zlib.crc32(raw_period, crc)
        crc = zlib.crc32(tail_raw, crc)
        self.head = _GZIP_HEADER + _frame(prefix, False)
        self.period = _frame(raw_period, False)
        self.periods = periods
        self.tail = _frame(tail_raw, True) + struct.pack('<II', crc, (len(prefix) + data_size + len(suffix)) & 0xFFFFFFFF)
        self.length = len(self.head) + periods * len(self.period) + len(self.tail)
        self.etag = hashlib.md5(self.head + self.tail).hexdigest()

    def _deflated(self, snapshot_id: str, target_size: int) -> None:
        raw_period = mongodump_block(snapshot_id, PERIOD)
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        period = deflate.compress(raw_period) + deflate.flush(zlib.Z_FULL_FLUSH)  # after a full flush: no history, repeatable
        periods = max(1, (target_size - 4096) // len(period))
        data_size = periods * PERIOD
        prefix = b''.join(_tar_header(name, len(content)) + content + b'\0' * _pad(len(content), 512)
                          for name, content in _mongodump_files(snapshot_id))
        prefix += _tar_header('dump/shop/orders.bson', data_size)
        tar_size = len(prefix) + data_size + _pad(data_size, 512) + 1024
        suffix = b'\0' * (_pad(data_size, 512) + 1024 + _pad(tar_size, RECORD))
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.head = _GZIP_HEADER + deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
        self.period = deflate.compress(raw_period) + deflate.flush(zlib.Z_FULL_FLUSH)
        if self.period != period:
            raise AssertionError('deflate after a full flush did not repeat')
        crc = zlib.crc32(prefix)
        for _period in range(periods):
            crc = zlib.crc32(raw_period, crc)
        crc = zlib.crc32(suffix, crc)
        self.periods = periods
        self.tail = deflate.compress(suffix) + deflate.flush(zlib.Z_FINISH) + struct.pack('<II', crc, (len(prefix) + data_size + len(suffix)) & 0xFFFFFFFF)
        self.length = len(self.head) + periods * len(self.period) + len(self.tail)
        self.etag = hashlib.md5(self.head + self.tail).hexdigest()

    def chunks(self, limit: int | None = None, start: int = 0) -> t.Iterator[bytes]:
        """The archive's bytes in order from byte `start` on, stopping after `limit` bytes when given."""
        left = self.length - start if limit is None else limit
        skip = start
        for piece in _pieces(self.head, self.period, self.periods, self.tail):
            if left <= 0:
                return
            if skip >= len(piece):
                skip -= len(piece)
                continue
            if skip:
                piece = piece[skip:]
                skip = 0
            yield piece[:left] if len(piece) > left else piece
            left -= len(piece)


def _pieces(head: bytes, period: bytes, count: int, tail: bytes) -> t.Iterator[bytes]:
    yield head
    for _period in range(count):
        yield period
    yield tail


class Archives:
    """A small cache of archive layouts (each holds about 2 MiB whatever the archive size)."""

    def __init__(self, keep: int = 8) -> None:
        self._cache: collections.OrderedDict[tuple[str, int, str], Archive] = collections.OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def get(self, snapshot_id: str, size: int, content: str = 'random') -> Archive:
        key = (snapshot_id, size, content)
        with self._lock:
            archive = self._cache.get(key)
            if archive is None:
                archive = self._cache[key] = Archive(snapshot_id, size, content)
                while len(self._cache) > self._keep:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(key)
        return archive


class Throttle:
    """Paces one connection's body to `rate` bytes per second, as a storage service caps each connection (S3 serves one
    GET at some tens of MiB/s; parallel GETs are how clients go faster). Bytes go out in slices of at most SLICE; after
    each, the sender sleeps until the time the bytes so far are due at that rate. rate 0: no cap, no sleep.

    sleep and clock are the simulator's (time.sleep and time.monotonic): a test swaps them for a recorder and a fake clock,
    so it sees exactly the pauses asked for and never waits for them."""

    SLICE = 64 * 1024

    def __init__(self, rate: float, sleep: t.Callable[[float], None] = time.sleep, clock: t.Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.sleep = sleep
        self.clock = clock
        self.sent = 0
        self.started: float | None = None

    def slices(self, chunks: t.Iterable[bytes]) -> t.Iterator[bytes]:
        """The chunks' bytes, in slices, each one released only when it is due."""
        for chunk in chunks:
            if not self.rate:
                yield chunk
                continue
            for start in range(0, len(chunk), self.SLICE):
                piece = chunk[start:start + self.SLICE]
                if self.started is None:
                    self.started = self.clock()
                yield piece
                self.sent += len(piece)
                delay = self.started + self.sent / self.rate - self.clock()
                if delay > 0:
                    self.sleep(delay)


def restore_object_path(job_id: str, snapshot_id: str) -> str:
    """Where a dedicated restore job's archive lives: named like Atlas's restore-<snapshotId>.tar.gz."""
    return f'{PATH_PREFIX}{job_id}/restore-{snapshot_id}.tar.gz'


def parse_object_path(path: str) -> tuple[str, str] | None:
    """(job id, snapshot id) from /backup-downloads/<job>/<snapshot>.tgz or /backup-downloads/<job>/restore-<snapshot>.tar.gz."""
    if not path.startswith(PATH_PREFIX):
        return None
    rest = path[len(PATH_PREFIX):]
    if rest.endswith('.tgz'):
        parts = rest[:-4].split('/')
    elif rest.endswith('.tar.gz') and '/restore-' in rest:
        parts = rest[:-7].replace('/restore-', '/', 1).split('/')
    else:
        return None
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


__all__ = ['Archive', 'Archives', 'Signer', 'Throttle', 'parse_object_path', 'restore_object_path', 's3_error', 'PATH_PREFIX']
