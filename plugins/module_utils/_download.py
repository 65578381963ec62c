# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Shared-tier snapshot downloads: the tenant API and its Flex successor, download jobs, and the verified archive on disk."""
from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import os
import signal
import tarfile
import tempfile
import time
import typing as t
import zlib

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._base import FLEX, TENANT, AtlasModule, TaskError, is_missing
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasApiError, WriteFailed
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import (
    COMPLETED, FAILED, UNFINISHED, expires_of, expires_time, newest, newest_first, status_of,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import WaitTimeout, wait_for
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._writes import post_without_duplicates

# A link must stay valid at least this long to be handed out again (a 1 GiB download takes minutes).
REUSE_MARGIN = datetime.timedelta(minutes=10)
GZIP_MAGIC = b'\x1f\x8b'


class TenantApiGone(Exception):
    """The tenant endpoints answered like a removed API (410, or a 404 that is not about a missing resource)."""


def is_sunset(err: AtlasApiError) -> bool:
    """410, or a 404 that does not say which resource is missing (RESOURCE_NOT_FOUND, no code): the route is gone.

    FACTS marks the exact sunset answer as unverified, so both count; a 404 naming a missing snapshot, job, cluster or
    project is about that resource and never triggers the fallback.
    """
    if err.status == 410:
        return True
    return err.status == 404 and not any(is_missing(err, resource) for resource in ('snapshot', 'job', 'cluster', 'project'))


class DownloadApi:
    """Paths and resource version of one download API (tenant or flex) for one cluster."""

    def __init__(self, atlas: AtlasModule, which: str) -> None:
        self.atlas = atlas
        self.which = which
        if which == FLEX:
            self.resource = 'flex'
            self.snapshots = atlas.flex_path('/backup/snapshots')
            self.jobs = atlas.flex_path('/backup/restoreJobs')
            self.request_path = atlas.flex_path('/backup/download')
        else:
            self.resource = 'tenant'
            self.snapshots = atlas.cluster_path('/backup/tenant/snapshots')
            self.jobs = atlas.cluster_path('/backup/tenant/restores')
            self.request_path = atlas.cluster_path('/backup/tenant/download')

    def get(self, path: str) -> t.Any:
        """GET one document; a tenant call that meets the sunset raises TenantApiGone."""
        with self._sunset_is_gone():
            return self.atlas.client.get(path, resource=self.resource)

    def post(self, path: str, body: dict) -> t.Any:
        """POST a request; a tenant call that meets the sunset raises TenantApiGone."""
        with self._sunset_is_gone():
            return self.atlas.client.post(path, body, resource=self.resource)

    @contextlib.contextmanager
    def _sunset_is_gone(self) -> t.Iterator[None]:
        try:
            yield
        except AtlasApiError as err:
            if self.which == TENANT and is_sunset(err):
                raise TenantApiGone(str(err)) from None
            raise

    def list_all(self, path: str) -> list[dict[str, t.Any]]:
        """Every item, newest first by creation time (never by the API's order)."""
        with self._sunset_is_gone():
            return newest_first(self.atlas.client.list_all(path, resource=self.resource))


def newest_completed(snapshots: list[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    """The completed snapshot taken last, judged by its creation time, not by list position."""
    return newest(snap for snap in snapshots if status_of(snap) == COMPLETED and snap.get('id'))


def link_valid(job: dict[str, t.Any], now: datetime.datetime) -> bool:
    """The job's link stays valid for at least REUSE_MARGIN more (Atlas's clock); an unreadable expiry never does."""
    expires = expires_time(job)
    return expires is not None and expires - now >= REUSE_MARGIN


def usable_job(job: dict[str, t.Any], snapshot_id: str, now: datetime.datetime) -> bool:
    """A download job of this snapshot that is still being made, or completed with a link valid long enough."""
    if not job.get('id') or job.get('snapshotId') != snapshot_id or job.get('deliveryType', 'DOWNLOAD') != 'DOWNLOAD':
        return False
    status = status_of(job)
    if status in UNFINISHED:
        return expires_of(job) is None or link_valid(job, now)  # no link yet: its expiry is checked again when it has one
    return status == COMPLETED and bool(job.get('snapshotUrl')) and link_valid(job, now)


def reusable_job(jobs: list[dict[str, t.Any]], snapshot_id: str, now: datetime.datetime) -> dict[str, t.Any] | None:
    """The newest usable download job for this snapshot (by request time, whatever the list order)."""
    return next((job for job in newest_first(jobs) if usable_job(job, snapshot_id, now)), None)


def job_ready(job: dict[str, t.Any]) -> bool:
    status = status_of(job)
    return status == FAILED or (status == COMPLETED and bool(job.get('snapshotUrl')))


class DownloadJobs:
    """Find, request and wait for a download job on one API."""

    def __init__(self, atlas: AtlasModule, api: DownloadApi) -> None:
        self.atlas = atlas
        self.api = api

    def snapshot(self, snapshot_id: str | None) -> dict[str, t.Any]:
        """The snapshot asked for (which must be completed), or the newest completed one."""
        name = self.atlas.cluster_name
        if snapshot_id is None:
            snap = newest_completed(self.api.list_all(self.api.snapshots))
            if snap is None:
                raise TaskError(f'Cluster {name} has no completed snapshot to download yet.')
            return snap
        try:
            snap = self.api.get(f'{self.api.snapshots}/{snapshot_id}') or {}
        except AtlasApiError as err:
            if is_missing(err, 'snapshot'):
                raise TaskError(f'Snapshot {snapshot_id} does not exist in cluster {name} ({err.error_code}).', error_code=err.error_code) from None
            raise
        if status_of(snap) != COMPLETED:
            raise TaskError(f'Snapshot {snapshot_id} of cluster {name} is {snap.get("status")}, not completed; '
                            'only completed snapshots can be downloaded. Run again once it has completed.')
        return dict(snap, id=snap.get('id') or snapshot_id)

    def find(self, snapshot_id: str) -> tuple[dict[str, t.Any] | None, set[str]]:
        jobs = self.api.list_all(self.api.jobs)
        return reusable_job(jobs, snapshot_id, self.atlas.client.now()), {job['id'] for job in jobs if job.get('id')}

    def request(self, snapshot_id: str, known_ids: set[str]) -> dict[str, t.Any]:
        """POST a download request; after an ambiguous failure, re-read and adopt the job Atlas made instead of asking twice."""
        def refused(err: AtlasApiError) -> dict[str, t.Any]:
            if err.error_code != 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY':
                raise err
            return self._adopt_concurrent(snapshot_id, err)

        return post_without_duplicates(self.atlas, 'download job', lambda: self.api.post(self.api.request_path, {'snapshotId': snapshot_id}),
                                       lambda: self._adopt(snapshot_id, known_ids), refused)

    def _adopt(self, snapshot_id: str, known_ids: set[str]) -> dict[str, t.Any] | None:
        """The newest job for this snapshot that was not there before our request and has not failed."""
        for job in self.api.list_all(self.api.jobs):
            if job.get('id') and job['id'] not in known_ids and job.get('snapshotId') == snapshot_id and status_of(job) != FAILED:
                return job
        return None

    def _adopt_concurrent(self, snapshot_id: str, err: AtlasApiError) -> dict[str, t.Any]:
        """Atlas says a download of this snapshot is under way: use that job if it is in flight, or done with a link valid long
        enough (Atlas's clock), newest first; never an expired link."""
        now = self.atlas.client.now()
        for job in self.api.list_all(self.api.jobs):
            if usable_job(job, snapshot_id, now):
                return job
        raise TaskError(f'Atlas refused a new download of snapshot {snapshot_id} because another one is under way '
                        f'({err.error_code}), but no job for it is in flight or has a link valid for at least '
                        f'{int(REUSE_MARGIN.total_seconds() // 60)} more minutes. Run again in a few minutes.', error_code=err.error_code)

    def wait(self, job: dict[str, t.Any]) -> dict[str, t.Any]:
        """Poll the job until COMPLETED with a link (or FAILED); fail the task on FAILED or timeout."""
        job_id = job['id']
        if not job_ready(job):
            try:
                job = wait_for(lambda: self.api.get(f'{self.api.jobs}/{job_id}') or {}, job_ready,
                               timeout=float(self.atlas.params['wait_timeout']), description=f'download job {job_id}',
                               on_transient=self.atlas.client.count_transient)
            except WaitTimeout as timeout:
                last = timeout.last_value or job
                raise TaskError(f'Timed out (wait_timeout {self.atlas.params["wait_timeout"]} s) waiting for download job {job_id} of snapshot '
                                f'{job.get("snapshotId")}; its last status was {last.get("status")}.', job_id=job_id, last_status=last.get('status')) from None
        if status_of(job) == FAILED:
            raise TaskError(f'Download job {job_id} for snapshot {job.get("snapshotId")} of cluster {self.atlas.cluster_name} FAILED on Atlas; '
                            'run the task again to request a new one.', job_id=job_id)
        return dict(job, id=job.get('id') or job_id)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


class DownloadFailed(Exception):
    """The archive could not be fetched or verified; dest was left as it was."""


class Terminated(Exception):
    """The module was asked to stop (SIGTERM) during a download."""


class ArchiveCheck:
    """Checks a .tgz as it streams past, in the download's own worker thread: gzip integrity (CRC and length,
    which zlib verifies at the end of the stream) and a well-formed tar (every header's checksum, member sizes,
    the end-of-archive marker). Decompresses in bounded pieces, so a highly compressible archive costs no memory.
    """

    PIECE = 4 * 1024 * 1024

    def __init__(self) -> None:
        self._gunzip = zlib.decompressobj(wbits=31)
        self._header = bytearray()
        self._skip = 0
        self._ended = False
        self.members = 0
        self.trailing = 0  # bytes after the end of the gzip stream: ignored, as gzip -t and tar tzf do
        self.error: str | None = None

    def __call__(self, chunk: bytes | None) -> None:
        if self.error is not None:
            return
        try:
            if chunk is None:
                self._finish()
            elif self._gunzip.eof:
                self.trailing += len(chunk)
            else:
                self._inflate(chunk)
        except (zlib.error, tarfile.TarError) as exc:
            self.error = f'the archive is damaged ({exc})'

    def _inflate(self, chunk: bytes) -> None:
        """Inflate one chunk in pieces of at most PIECE bytes, stopping where the gzip stream ends (always terminates:
        every round either consumes input or ends the stream)."""
        data = self._gunzip.decompress(chunk, self.PIECE)
        while True:
            self._tar(memoryview(data))
            if self._gunzip.eof:
                self.trailing += len(self._gunzip.unused_data)  # (zlib leaves unconsumed_tail set after the end)
                return
            tail = self._gunzip.unconsumed_tail
            if not tail:
                return
            data = self._gunzip.decompress(tail, self.PIECE)

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


def fetch_archive(atlas: AtlasModule, url: str, dest: str, validate: bool, link_expires: datetime.datetime | None = None,
                  on_temp: t.Callable[[str], None] | None = None) -> dict[str, t.Any]:
    """Stream url into a temp file beside dest, verify it, and return it; the caller moves it into place.

    on_temp(temp) runs as soon as the (empty, 0600) temp file exists and before any byte is fetched: the module registers
    it for clean-up and applies the file attributes there, so bad attributes fail before the download. On any failure,
    SIGTERM included, the temp file is removed and DownloadFailed says what happened (never the URL's signed query).
    """
    directory = os.path.dirname(dest) or '.'
    handle, temp = tempfile.mkstemp(dir=directory, prefix=f'.{os.path.basename(dest)}.', suffix='.part')
    started = time.monotonic()
    check = ArchiveCheck() if validate else None
    try:
        with os.fdopen(handle, 'wb', buffering=0) as sink, _terminate_raises():
            if on_temp is not None:
                on_temp(temp)
            result = atlas.client.download(url, sink, observers=[check] if check else [], link_expires=link_expires)
        if result['first_bytes'][:2] != GZIP_MAGIC:
            raise DownloadFailed('the file received is not gzip data')
        if check is not None and check.error:
            raise DownloadFailed(check.error)
    except AtlasApiError as err:
        _remove(temp)
        raise DownloadFailed(_describe_download_error(err)) from None
    except (OSError, WriteFailed) as exc:
        _remove(temp)
        error = exc.error if isinstance(exc, WriteFailed) else exc
        reason = 'the disk is full' if error.errno == errno.ENOSPC else error.strerror or str(error)
        raise DownloadFailed(f'could not write beside {dest}: {reason}') from None
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


class _terminate_raises:  # pylint: disable=invalid-name
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
