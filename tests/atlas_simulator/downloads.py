# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The storage-service side of downloads: pre-signed URLs, and the deterministic .tgz archives they serve.

Like S3, the download host refuses any request that carries an Authorization header (400), and a
link whose signature is wrong or whose time is up answers 403 with an XML body.
"""
from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import json
import os
import random
import tarfile
import tempfile
import threading
import urllib.parse

PATH_PREFIX = '/backup-downloads/'
BLOCK = 1024 * 1024
_EPOCH_MTIME = 1700000000  # fixed mtime inside the archive, so bytes never depend on when they were made


def s3_error(code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>\n').encode('utf-8')


class Signer:
    """Signs and checks download links with a per-process secret."""

    def __init__(self) -> None:
        self._secret = os.urandom(32)

    def sign(self, object_path: str, expires: int) -> str:
        return hmac.new(self._secret, f'{object_path}|{expires}'.encode('utf-8'), hashlib.sha256).hexdigest()

    def url(self, base: str, job_id: str, snapshot_id: str, expires: int, lifetime: int) -> str:
        object_path = f'{PATH_PREFIX}{job_id}/{snapshot_id}.tgz'
        query = urllib.parse.urlencode({'X-Amz-Expires': lifetime, 'X-Amz-Date': expires - lifetime, 'X-Amz-Signature': self.sign(object_path, expires)})
        return f'{base}{object_path}?{query}'

    def check(self, path: str, query: dict[str, list[str]]) -> int | None:
        """The link's expiry (epoch seconds) when its signature is right, else None."""
        try:
            expires = int(query['X-Amz-Date'][0]) + int(query['X-Amz-Expires'][0])
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


class Archives:
    """Builds each (snapshot, size) archive once into a cache directory and serves it from disk (never whole in memory)."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix='atlas-sim-archives-')
        self._lock = threading.Lock()

    def path(self, snapshot_id: str, size: int) -> str:
        target = os.path.join(self._dir, f'{snapshot_id}-{size}.tgz')
        with self._lock:
            if not os.path.exists(target):
                self._build(snapshot_id, size, target)
        return target

    @staticmethod
    def _build(snapshot_id: str, size: int, target: str) -> None:
        block = random.Random(snapshot_id).randbytes(BLOCK)  # deterministic, incompressible content
        data_size = max(size - 16 * 1024, 1024)
        partial = target + '.part'
        with open(partial, 'wb') as raw:
            with gzip.GzipFile(filename='', mode='wb', fileobj=raw, compresslevel=0, mtime=0) as gz:
                with tarfile.open(fileobj=gz, mode='w|', format=tarfile.USTAR_FORMAT) as tar:
                    for name, content in _mongodump_files(snapshot_id):
                        tar.addfile(_info(name, len(content)), io.BytesIO(content))
                    tar.addfile(_info('dump/shop/orders.bson', data_size), _Repeat(block, data_size))
        os.replace(partial, target)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = _EPOCH_MTIME
    info.mode = 0o644
    return info


class _Repeat(io.RawIOBase):
    """A file-like object yielding `total` bytes of a repeated block."""

    def __init__(self, block: bytes, total: int) -> None:
        super().__init__()
        self._block = block
        self._left = total
        self._offset = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b''
        size = self._left if size is None or size < 0 else min(size, self._left)
        out = bytearray()
        while len(out) < size:
            piece = self._block[self._offset:self._offset + size - len(out)]
            out += piece
            self._offset = (self._offset + len(piece)) % len(self._block)
        self._left -= len(out)
        return bytes(out)


def parse_object_path(path: str) -> tuple[str, str] | None:
    """(job id, snapshot id) from /backup-downloads/<job>/<snapshot>.tgz."""
    if not path.startswith(PATH_PREFIX) or not path.endswith('.tgz'):
        return None
    parts = path[len(PATH_PREFIX):-4].split('/')
    return (parts[0], parts[1]) if len(parts) == 2 else None


__all__ = ['Archives', 'Signer', 'parse_object_path', 's3_error', 'PATH_PREFIX']
