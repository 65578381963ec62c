# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The archive on disk: where it goes (dest, a file or a directory), a file already there, file attributes before any byte,
the verified download into a temp file beside it (gzip and tar checked as the bytes stream past), and the atomic move.

Never touches the AnsibleModule: file attributes, clean-up registration and the move come through FileOps.
"""
from __future__ import annotations

import datetime
import hashlib
import importlib
import os
import signal
import tarfile
import tempfile
import time
import typing as t
import zlib

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._disk import WriteFailed, flush_to_disk, sync_directory, write_error_reason
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._transfer import download


def _optional_isal() -> t.Any:
    """ISA-L's inflate when installed (pip install isal): ~2.4x zlib's on compressed archives, same API and checks;
    else None, and the standard library's zlib does the same checks, slower."""
    try:
        return importlib.import_module('isal.isal_zlib')
    except ImportError:
        return None


GZIP_MAGIC = b'\x1f\x8b'
ARCHIVE_MODE = 0o600  # archives hold a whole database: private unless the task says otherwise


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


class DownloadFailed(Exception):
    """The archive could not be fetched or verified; dest was left as it was. link_refused: the download host refused the
    link itself (HTTP 403: used, expired or revoked), so only a new link can help."""

    def __init__(self, reason: str, link_refused: bool = False) -> None:
        super().__init__(reason)
        self.link_refused = link_refused


class Terminated(Exception):
    """The module was asked to stop (SIGTERM) during a download."""


class ArchiveCheck:
    """Checks a .tgz as it streams past, in the download's own worker thread: gzip integrity (CRC and length,
    which zlib verifies at the end of the stream) and a well-formed tar (every header's checksum, member sizes,
    the end-of-archive marker). Decompresses in bounded pieces, so a highly compressible archive costs no memory.

    Chunks may be views of reused buffers (bytes-like, read only during the call). They are fed to zlib in slices of
    at most FEED bytes with at most PIECE bytes out per call: a PIECE-sized result is one allocation that malloc serves
    from (and returns to) the same small free block every time, where multi-MiB results were freed back to the kernel
    and page-faulted in afresh on every call (about 500,000 minor faults per GiB), and zlib's unconsumed tail (a copy
    of the input left over) never exceeds FEED bytes.
    """

    FEED = 64 * 1024
    PIECE = 64 * 1024  # below glibc's mmap threshold (128 KiB): never an mmap/munmap per piece

    # The inflater: isal_zlib when importable, else zlib (both verify the gzip CRC and length at the end of the stream).
    inflater: t.Any = _optional_isal() or zlib

    def __init__(self) -> None:
        self._gunzip = self.inflater.decompressobj(wbits=31)
        self._header = bytearray()
        self._skip = 0
        self._ended = False
        self.members = 0
        self.trailing = 0  # bytes after the end of the gzip stream: ignored, as gzip -t and tar tzf do
        self.error: str | None = None

    def __call__(self, chunk: bytes | memoryview | None) -> None:
        if self.error is not None:
            return
        try:
            if chunk is None:
                self._finish()
            else:
                view = memoryview(chunk)
                for start in range(0, len(view), self.FEED):
                    if self._gunzip.eof:
                        self.trailing += len(view) - start
                        return
                    self._inflate(view[start:start + self.FEED])
        except (zlib.error, self.inflater.error, tarfile.TarError) as exc:
            self.error = f'the archive is damaged ({exc})'

    def _inflate(self, data: memoryview) -> None:
        """Inflate one slice in pieces of at most PIECE bytes, stopping where the gzip stream ends (always terminates:
        every round either consumes input or ends the stream)."""
        gunzip = self._gunzip
        piece = gunzip.decompress(data, self.PIECE)
        while True:
            if self._skip >= len(piece):  # inside a member's data: nothing to parse (the common case)
                self._skip -= len(piece)
            else:
                self._tar(memoryview(piece))
            if gunzip.eof:
                self.trailing += len(gunzip.unused_data)  # (zlib leaves unconsumed_tail set after the end)
                return
            tail = gunzip.unconsumed_tail
            if not tail:
                return
            piece = gunzip.decompress(tail, self.PIECE)

    def _tar(self, data: memoryview) -> None:
        pos = 0
        while pos < len(data) and not self._ended:
            if self._skip:
                step = min(self._skip, len(data) - pos)
                self._skip -= step
                pos += step
                continue
            take = min(512 - len(self._header), len(data) - pos)
            self._header += data[pos:pos + take]
            pos += take
            if len(self._header) < 512:
                return
            block = bytes(self._header)
            self._header.clear()
            if block == bytes(512):
                self._ended = True  # end-of-archive marker
                return
            info = tarfile.TarInfo.frombuf(block, 'utf-8', 'surrogateescape')  # raises on a bad header checksum
            self.members += 1
            self._skip = -(-info.size // 512) * 512

    def _finish(self) -> None:
        if not self._gunzip.eof:
            self.error = 'the archive ends before its gzip stream does'
        elif not self._ended or self.members == 0:
            self.error = 'the archive is not a complete tar (no end-of-archive marker)' if self.members else 'the archive holds no files'


def new_temp(dest: str) -> tuple[int, str]:
    """An empty 0600 temp file beside dest: (open descriptor, path)."""
    return tempfile.mkstemp(dir=os.path.dirname(dest) or '.', prefix=f'.{os.path.basename(dest)}.', suffix='.part')


def fetch_archive(client: AtlasClient, url: str, dest: str, validate: bool, link_expires: datetime.datetime | None = None,
                  on_temp: t.Callable[[str], None] | None = None, temp_file: tuple[int, str] | None = None,
                  stop: t.Any = None) -> dict[str, t.Any]:
    """Stream url into a temp file beside dest, verify it, and return it; the caller moves it into place.

    on_temp(temp) runs as soon as the (empty, 0600) temp file exists and before any byte is fetched: Destination.save
    registers it for clean-up and applies the file attributes there. temp_file: one the caller made (new_temp) and
    prepared itself, as the archive set does on its main thread before a worker thread fetches into it. On any failure,
    SIGTERM included, the temp file is removed and DownloadFailed says what happened (never the URL's signed query);
    when stop (a threading.Event) is set, the transfer ends at its next chunk with Stopped, the temp file removed.
    """
    handle, temp = temp_file or new_temp(dest)
    started = time.monotonic()
    check = ArchiveCheck() if validate else None
    try:
        with os.fdopen(handle, 'wb', buffering=0) as sink, terminate_raises():
            if on_temp is not None:
                on_temp(temp)
            result = download(client, url, sink, observers=[check] if check else [], link_expires=link_expires, stop=stop)
            if result['first_bytes'][:2] != GZIP_MAGIC:
                raise DownloadFailed('the file received is not gzip data')
            if check is not None and check.error:
                raise DownloadFailed(check.error)
            flush_to_disk(handle, result['size'])  # every byte streamed is in the file and on the disk before the move
    except AtlasApiError as err:
        _remove(temp)
        raise DownloadFailed(_describe_download_error(err), link_refused=err.error_code == 'DOWNLOAD_HTTP_403') from None
    except (OSError, WriteFailed) as exc:
        _remove(temp)
        raise DownloadFailed(f'could not write beside {dest}: {write_error_reason(exc)}') from None
    except Terminated:
        _remove(temp)
        raise DownloadFailed('the task was stopped (SIGTERM) during the download') from None
    except BaseException:
        _remove(temp)
        raise
    return dict(result, temp=temp, seconds=time.monotonic() - started, trailing_bytes=check.trailing if check else 0)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class terminate_raises:  # pylint: disable=invalid-name
    """While active, SIGTERM raises Terminated in the main thread, so the download unwinds and cleans up."""

    def __enter__(self) -> None:
        self._installed = False
        try:
            self._previous = signal.signal(signal.SIGTERM, self._raise)
            self._installed = True
        except ValueError:  # not the main thread: leave signals alone
            pass

    @staticmethod
    def _raise(signum: int, _frame: t.Any) -> None:
        raise Terminated(signum)

    def __exit__(self, *_exc: t.Any) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)


def _describe_download_error(err: AtlasApiError) -> str:
    if err.error_code == 'DOWNLOAD_HTTP_403':
        return 'the download link was refused (HTTP 403): it has expired or its signature is no longer valid'
    if err.error_code == 'DOWNLOAD_TRUNCATED':
        return f'the download was cut short: the host closed the connection early ({err.detail})'
    if err.error_code == 'DOWNLOAD_INTERRUPTED':
        return f'the connection broke during the download ({err.detail})'
    if err.error_code in ('DOWNLOAD_CHANGED', 'REQUEST_ERROR'):
        return err.detail
    if err.error_code == 'TLS_ERROR':
        return err.detail
    return f'the download host answered HTTP {err.status} ({err.detail})'


def check_writable_directory(directory: str, named: str, check_mode: bool) -> str | None:
    """Raise unless directory exists and is writable; return a warning instead of failing, in check mode, for a directory
    that does not exist yet (an earlier task of the same play may create it). named: how messages name it."""
    if not os.path.isdir(directory):
        if check_mode and not os.path.exists(directory):
            return f'{named} does not exist yet. Check mode assumes an earlier task creates it; a real run fails if it still does not exist.'
        raise TaskError(f'{named} does not exist (or is not a directory). Create it first.')
    if not os.access(directory, os.W_OK | os.X_OK):
        raise TaskError(f'{named} is not writable by this user.')
    return None


class FileOps(t.Protocol):
    """What the archive needs from Ansible's file handling (the module base provides it)."""

    def apply_attributes(self, path: str, default_mode: int | None) -> bool:
        """Give path the task's mode, owner, group and SELinux context (default_mode when the task gives no mode); True if changed."""

    def register_temp(self, path: str) -> None:
        """Remove path if the task ends before it is moved into place."""

    def move(self, src: str, dest: str) -> None:
        """Atomically replace dest with src."""


class Destination:
    """dest of atlas_tenant_download: a file, or an existing directory (or a path ending in /) that receives
    <snapshot_id>.tgz; and everything done to the file there."""

    def __init__(self, dest: str, files: FileOps) -> None:
        self.dest = dest
        self.files = files

    @property
    def names_directory(self) -> bool:
        """dest is an existing directory, or a path ending in / (a directory an earlier task may still create)."""
        return os.path.isdir(self.dest) or self.dest.endswith(os.sep)

    @property
    def directory(self) -> str:
        return self.dest if self.names_directory else (os.path.dirname(self.dest) or '.')

    def path_for(self, snapshot_id: str | None) -> str | None:
        """The file to write: dest itself, or <snapshot_id>.tgz inside a directory (None until the snapshot is known)."""
        if self.names_directory:
            return os.path.join(self.dest, f'{snapshot_id}.tgz') if snapshot_id else None
        return self.dest

    def check_directory(self, check_mode: bool) -> str | None:
        """Raise unless the directory exists and is writable; in check mode, a warning for one that does not exist yet."""
        return check_writable_directory(self.directory, f'The directory for dest, {self.directory},', check_mode)

    def existing(self, snapshot_id: str | None, force: bool) -> dict[str, t.Any] | None:
        """With force off and the file already there: the task's result, leaving the file alone (only its attributes
        follow the task); else None."""
        path = self.path_for(snapshot_id)
        if force or not path or not os.path.exists(path):
            return None
        changed = self.files.apply_attributes(path, None)
        return dict(changed=changed, dest=path, size=os.path.getsize(path), checksum=sha256_of(path), restore_job={}, download_api=None,
                    msg='dest exists; set force: true to download again')

    def probe_attributes(self, wanted: bool) -> None:
        """Apply the task's file attributes to a scratch file beside dest, so that bad values fail before Atlas is asked anything."""
        if not wanted:
            return
        handle, probe = tempfile.mkstemp(dir=self.directory, prefix='.atlas-attributes.', suffix='.part')
        os.close(handle)
        self.files.register_temp(probe)
        self.files.apply_attributes(probe, ARCHIVE_MODE)
        os.unlink(probe)

    def save(self, client: AtlasClient, url: str, path: str, validate: bool, link_expires: datetime.datetime | None) -> dict[str, t.Any]:
        """Download and verify into a temp file that already has the file attributes, then move it into place; return
        size, checksum and trailing_bytes. path is untouched on any failure (raised as DownloadFailed), and no temp file
        survives one, SIGTERM included."""
        def prepare(temp: str) -> None:
            self.files.register_temp(temp)
            self.files.apply_attributes(temp, ARCHIVE_MODE)

        fetched = fetch_archive(client, url, path, validate, link_expires=link_expires, on_temp=prepare)
        self.place(fetched['temp'], path)
        return dict(size=fetched['size'], checksum=fetched['sha256'], trailing_bytes=fetched['trailing_bytes'])

    def place(self, temp: str, path: str) -> None:
        """Move a verified, synced temp file into place as path, with the task's attributes, and sync the rename."""
        self.files.move(temp, path)
        # a move gives a replaced file's attributes to the new one; the task's (or 0600) win.
        self.files.apply_attributes(path, ARCHIVE_MODE)
        sync_directory(path)  # the file's bytes were synced before the move, the rename now
