# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The service-account token cache: one file per base URL + client id + secret hash, a lock, expiry.

A cache that cannot be used (no directory, a read-only home, NFS without locks, a lock path that is not a plain file,
any OS error) costs one warning and the task fetches its own token: it never ends the task. Knows nothing of Ansible
and never holds the secret.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
import time
import typing as t

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # not POSIX: the token cache works without a lock (one fetch per task at worst)
    HAS_FCNTL = False

RENEW_MARGIN = 600.0  # renew a cached token with less than 10 minutes left


class CacheUnusable(Exception):
    """Why the cache cannot serve this task (an OS error, or a directory that is not private), for the one warning."""


def describe(exc: BaseException) -> str:
    """'No locks available (ENOLCK)' for an OSError, the text of anything else."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return f'{exc.strerror or os.strerror(exc.errno)} ({errno.errorcode.get(exc.errno, exc.errno)})'
    return str(exc)


class TokenCache:
    """Service-account tokens shared by the tasks and forks of a job on the host where modules run.

    One file per base URL + client id + hash of the secret (so a rotated secret never reuses an old token), mode 0600
    in a 0700 directory owned by this user, holding the token and its expiry only, never the secret. A lock file (empty)
    makes parallel forks fetch one token between them. A file that is corrupt, foreign (another owner, loose modes, or
    keyed for something else) or expiring within 10 minutes is ignored and replaced, never trusted.

    warn(message) is called at most once per cache object, the first time the cache cannot be used; from then on this
    object hands every request straight to fetch().
    """

    def __init__(self, directory: str, clock: t.Callable[[], float] = time.time, warn: t.Callable[[str], None] | None = None) -> None:
        self.directory = directory
        self.clock = clock
        self.warn = warn
        self.problem: str | None = None  # why the cache was given up, once it was

    @staticmethod
    def key(base_url: str, client_id: str, secret: str) -> str:
        secret_hash = hashlib.sha256(secret.encode()).hexdigest()
        return hashlib.sha256(f'{base_url}\n{client_id}\n{secret_hash}'.encode()).hexdigest()

    def get(self, base_url: str, client_id: str, secret: str, fetch: t.Callable[[], dict[str, t.Any]], drop: str | None = None) -> str:
        """A token with at least 10 minutes left: the cached one, or a new one from fetch() (then cached). drop: a token
        Atlas refused, never handed out again. fetch() is called at most once, and its errors pass through untouched."""
        if self.problem is not None:
            return fetch()['access_token']
        key = self.key(base_url, client_id, secret)
        path = os.path.join(self.directory, f'{key}.json')
        try:
            self._check_directory()
            lock = self._lock(os.path.join(self.directory, f'{key}.lock'))
        except (OSError, ValueError, CacheUnusable) as exc:
            self._give_up(exc)
            return fetch()['access_token']
        try:
            cached = self._read(path, key)
            if cached is not None and cached['access_token'] != drop and cached['expires_at'] - self.clock() > RENEW_MARGIN:
                return cached['access_token']
            fresh = fetch()
            try:
                self._write(path, {'key': key, 'access_token': fresh['access_token'], 'expires_at': fresh['expires_at']})
            except OSError as exc:
                self._give_up(CacheUnusable(f'cannot write the token file: {describe(exc)}'))
            return fresh['access_token']
        finally:
            if lock is not None:
                os.close(lock)  # closing releases the lock

    def _give_up(self, exc: BaseException) -> None:
        self.problem = describe(exc)
        if self.warn is not None:
            self.warn(f'The service-account token cache in {self.directory} cannot be used ({self.problem}), so this task fetched '
                      'its own access token instead of sharing the job\'s. Atlas allows few token requests a minute per service '
                      'account: point token_cache_dir (or MONGODB_ATLAS_TOKEN_CACHE_DIR) at a local directory this user can write '
                      'and lock, or set token_cache false.')

    def _check_directory(self) -> None:
        """Create the directory 0700, or accept it only when this user owns it and nobody else can enter it."""
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            info = os.stat(self.directory)
        except OSError as exc:
            raise CacheUnusable(f'cannot create the directory: {describe(exc)}') from None
        if not stat.S_ISDIR(info.st_mode):
            raise CacheUnusable('it is not a directory')
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            raise CacheUnusable(f'the directory is not private to this user (owner uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}; '
                                'it must be owned by this user with mode 0700)')

    @staticmethod
    def _lock(lock_path: str) -> int | None:
        """An open, exclusively locked descriptor of the (plain, not linked) lock file; None without fcntl."""
        if not HAS_FCNTL:
            return None
        try:
            handle = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0), 0o600)
        except OSError as exc:
            raise CacheUnusable(f'cannot open its lock file: {describe(exc)}') from None
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                raise CacheUnusable('its lock file is not a plain file')
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(handle)
            raise CacheUnusable(f'cannot lock its lock file: {describe(exc)}') from None
        except CacheUnusable:
            os.close(handle)
            raise
        return handle

    def _read(self, path: str, key: str) -> dict[str, t.Any] | None:
        try:
            info = os.lstat(path)
            if info.st_uid != os.getuid() or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode):
                return None
            with open(path, encoding='utf-8') as handle:
                doc = json.load(handle)
        except (OSError, ValueError):
            return None  # missing (the first task), unreadable or corrupt: fetched and replaced
        if (not isinstance(doc, dict) or doc.get('key') != key or not isinstance(doc.get('access_token'), str)
                or not isinstance(doc.get('expires_at'), (int, float))):
            return None
        return doc

    def _write(self, path: str, doc: dict[str, t.Any]) -> None:
        """Replace the file atomically (an OSError means the cache cannot be written)."""
        handle, temp = tempfile.mkstemp(dir=self.directory, prefix='.token.', suffix='.tmp')  # created 0600
        try:
            with os.fdopen(handle, 'w', encoding='utf-8') as out:
                json.dump(doc, out)
            os.replace(temp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
