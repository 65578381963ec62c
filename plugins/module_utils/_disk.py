# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Every byte on disk: writes completed in full (or failed with the OS's reason), the size on disk checked against the
bytes streamed, fsync of the file before its move and of its directory after, and a file-size limit that fails a write
instead of killing the process.
"""
from __future__ import annotations

import errno
import os
import signal
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError


class WriteFailed(Exception):
    """Writing the downloaded bytes failed (disk full, quota, I/O error): the file's problem, not the network's."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def write(fileobj: t.Any, chunk: bytes | memoryview) -> None:
    """Write all of chunk, or raise WriteFailed: an unbuffered file's write() may take only part of it (the disk filled up,
    a file-size limit was reached), and the rest is offered again until the OS refuses with its reason.

    A write() that returns None (a file-like object that does not count) is taken as complete; fetch_archive compares
    the size on disk with the bytes streamed all the same."""
    view = memoryview(chunk)
    try:
        while len(view):
            written = fileobj.write(view)
            if written is None:
                return
            if written <= 0:  # no progress and no error: never loop forever on it
                raise OSError(errno.EIO, 'the file took no more bytes (a write of 0 bytes)')
            view = view[written:]
    except OSError as exc:
        raise WriteFailed(exc) from exc


def flush_to_disk(handle: int, streamed: int) -> None:
    """The file behind handle holds every byte streamed, and they are on the disk (fsync: a full disk or an I/O error
    may only show here, on file systems that allocate late or over the network); else WriteFailed."""
    try:
        on_disk = os.fstat(handle).st_size
        if on_disk != streamed:
            raise OSError(errno.EIO, f'only {on_disk} of the {streamed} bytes received reached the disk')
        os.fsync(handle)
    except OSError as exc:
        raise WriteFailed(exc) from exc


def sync_directory(path: str) -> None:
    """fsync the directory that holds path, so that the rename which put path there survives a crash of the host.
    TaskError (path is in place by then) when the disk refuses; a directory this user cannot open, or a file system
    without directory fsync, is left to the file system."""
    try:
        handle = os.open(os.path.dirname(path) or '.', os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EACCES):
            raise TaskError(f'{path} is in place, but its directory could not be written to disk ({write_error_reason(exc)}), so it may '
                            'not survive a crash of this host. Check the disk, then run the task again with force: true.') from None
    finally:
        os.close(handle)


def write_error_reason(exc: OSError | WriteFailed) -> str:
    """Why writing failed, as an operator would say it."""
    error = exc.error if isinstance(exc, WriteFailed) else exc
    if error.errno == errno.ENOSPC:
        return 'the disk is full'
    if error.errno == errno.EDQUOT:
        return "the user's disk quota is exhausted"
    if error.errno == errno.EFBIG:
        return 'the file grew past the largest file this process may write (a file-size limit such as ulimit -f, or the file system\'s)'
    return error.strerror or str(error)


class size_limit_raises:  # pylint: disable=invalid-name
    """While active, a file-size limit (ulimit -f, RLIMIT_FSIZE) makes write() fail with EFBIG instead of killing the
    process with SIGXFSZ, whose default action ends it at once: no clean-up, no message, a .part file left behind."""

    def __enter__(self) -> None:
        self._previous: t.Any = None
        try:
            self._previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        except (AttributeError, ValueError):  # no SIGXFSZ on this platform, or not the main thread
            pass

    def __exit__(self, *_exc: t.Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGXFSZ, self._previous)
