# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Shared-tier snapshot downloads: the tenant API and its Flex successor, download jobs, and the verified archive on disk."""
from __future__ import annotations

import datetime
import errno
import hashlib
import os
import tarfile
import tempfile
import time
import typing as t
import zlib

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._base import FLEX, TENANT, AtlasModule
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasAmbiguousWriteError, AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshot_ops import parse_time
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshots import SNAPSHOT_MISSING_CODES
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import WaitTimeout, wait_for

# A link must stay valid at least this long to be handed out again (a 1 GiB download takes minutes).
REUSE_MARGIN = datetime.timedelta(minutes=10)
IN_FLIGHT = ('PENDING', 'QUEUED', 'RUNNING')
GZIP_MAGIC = b'\x1f\x8b'
# Codes that mean "this thing is missing", as opposed to "this API is gone" (the tenant sunset answers 404/410).
REAL_NOT_FOUND = SNAPSHOT_MISSING_CODES | {'TENANT_RESTORE_NOT_FOUND', 'RESTORE_JOB_NOT_FOUND', 'CLUSTER_NOT_FOUND', 'GROUP_NOT_FOUND'}


class TenantApiGone(Exception):
    """The tenant endpoints answered like a removed API (410, or 404 without a "not found" code)."""


def is_sunset(err: AtlasApiError) -> bool:
    return err.status == 410 or (err.status == 404 and err.error_code not in REAL_NOT_FOUND)


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

    def call(self, method: str, path: str, body: dict | None = None) -> t.Any:
        """One API call; a tenant call that meets the sunset raises TenantApiGone."""
        try:
            if method == 'GET':
                return self.atlas.client.get(path, resource=self.resource)
            return self.atlas.client.post(path, body or {}, resource=self.resource)
        except AtlasApiError as err:
            if self.which == TENANT and is_sunset(err):
                raise TenantApiGone(str(err)) from None
            raise

    def list_all(self, path: str) -> list[dict[str, t.Any]]:
        try:
            return self.atlas.client.list_all(path, resource=self.resource)
        except AtlasApiError as err:
            if self.which == TENANT and is_sunset(err):
                raise TenantApiGone(str(err)) from None
            raise


def newest_completed(snapshots: list[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    done = [snap for snap in snapshots if str(snap.get('status', '')).upper() == 'COMPLETED']
    return max(done, key=lambda snap: snap.get('finishTime') or snap.get('startTime') or snap.get('scheduledTime') or '', default=None)


def reusable_job(jobs: list[dict[str, t.Any]], snapshot_id: str, now: datetime.datetime) -> dict[str, t.Any] | None:
    """A download job for this snapshot that is not failed and whose link stays valid long enough (or is still being made)."""
    for job in jobs:
        if job.get('snapshotId') != snapshot_id or job.get('deliveryType', 'DOWNLOAD') != 'DOWNLOAD':
            continue
        status = str(job.get('status', '')).upper()
        expires = parse_time(job.get('expirationDate'))
        if status == 'FAILED' or (expires is not None and expires - now < REUSE_MARGIN):
            continue
        if status in IN_FLIGHT or (status == 'COMPLETED' and job.get('snapshotUrl')):
            return job
    return None


def job_ready(job: dict[str, t.Any]) -> bool:
    status = str(job.get('status', '')).upper()
    return status == 'FAILED' or (status == 'COMPLETED' and bool(job.get('snapshotUrl')))


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
                self.atlas.fail(f'Cluster {name} has no completed snapshot to download yet.')
            return snap
        try:
            snap = self.api.call('GET', f'{self.api.snapshots}/{snapshot_id}')
        except AtlasApiError as err:
            if err.status == 404 and err.error_code in REAL_NOT_FOUND - {'CLUSTER_NOT_FOUND', 'GROUP_NOT_FOUND'}:
                self.atlas.fail(f'Snapshot {snapshot_id} does not exist in cluster {name} ({err.error_code}).', error_code=err.error_code)
            raise
        if str(snap.get('status', '')).upper() != 'COMPLETED':
            self.atlas.fail(f'Snapshot {snapshot_id} of cluster {name} is {snap.get("status")}, not completed; '
                            'only completed snapshots can be downloaded. Run again once it has completed.')
        return snap

    def find(self, snapshot_id: str) -> tuple[dict[str, t.Any] | None, set[str]]:
        jobs = self.api.list_all(self.api.jobs)
        return reusable_job(jobs, snapshot_id, self.atlas.client.now()), {job['id'] for job in jobs}

    def request(self, snapshot_id: str, known_ids: set[str]) -> dict[str, t.Any]:
        """POST a download request; after an ambiguous failure, re-read and adopt the job Atlas made instead of asking twice."""
        ambiguous_left = self.atlas.params['retries']
        while True:
            try:
                return self.api.call('POST', self.api.request_path, {'snapshotId': snapshot_id}) or {}
            except AtlasAmbiguousWriteError as err:
                adopted = self._adopt(snapshot_id, known_ids)
                if adopted is not None:
                    self.atlas.module.warn(f'Atlas did not answer the download request ({err.detail}) but had created job {adopted["id"]}; using it.')
                    return adopted
                if ambiguous_left <= 0:
                    raise
                ambiguous_left -= 1
                self.atlas.module.warn(f'The download request failed ({err.detail}) and Atlas shows no new job; asking again.')
            except AtlasApiError as err:
                if err.error_code != 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY':
                    raise
                adopted = self._adopt(snapshot_id, set())  # a job for this snapshot is running: use it
                if adopted is None:
                    raise
                return adopted

    def _adopt(self, snapshot_id: str, known_ids: set[str]) -> dict[str, t.Any] | None:
        for job in self.api.list_all(self.api.jobs):
            if job['id'] not in known_ids and job.get('snapshotId') == snapshot_id and str(job.get('status', '')).upper() != 'FAILED':
                return job
        return None

    def wait(self, job: dict[str, t.Any]) -> dict[str, t.Any]:
        """Poll the job until COMPLETED with a link (or FAILED); fail the task on FAILED or timeout."""
        if not job_ready(job):
            try:
                job = wait_for(lambda: self.api.call('GET', f'{self.api.jobs}/{job["id"]}'), job_ready,
                               timeout=float(self.atlas.params['wait_timeout']), description=f'download job {job["id"]}',
                               on_transient=self.atlas.module.warn)
            except WaitTimeout as timeout:
                last = timeout.last_value or job
                self.atlas.fail(f'Timed out (wait_timeout {self.atlas.params["wait_timeout"]} s) waiting for download job {job["id"]} of snapshot '
                                f'{job.get("snapshotId")}; its last status was {last.get("status")}.', job_id=job['id'], last_status=last.get('status'))
        if str(job.get('status', '')).upper() == 'FAILED':
            self.atlas.fail(f'Download job {job["id"]} for snapshot {job.get("snapshotId")} of cluster {self.atlas.cluster_name} FAILED on Atlas; '
                            'run the task again to request a new one.', job_id=job['id'])
        return job


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(chunk)
    return digest.hexdigest()


class DownloadFailed(Exception):
    """The archive could not be fetched or verified; dest was left as it was."""


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
        self.error: str | None = None

    def __call__(self, chunk: bytes | None) -> None:
        if self.error is not None:
            return
        try:
            if chunk is None:
                self._finish()
                return
            data = self._gunzip.decompress(chunk, self.PIECE)
            while True:
                self._tar(memoryview(data))
                if not self._gunzip.unconsumed_tail:
                    break
                data = self._gunzip.decompress(self._gunzip.unconsumed_tail, self.PIECE)
        except (zlib.error, tarfile.TarError) as exc:
            self.error = f'the archive is damaged ({exc})'

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


def fetch_archive(atlas: AtlasModule, url: str, dest: str, validate: bool) -> dict[str, t.Any]:
    """Stream url into a temp file beside dest, verify it, and return it; the caller moves it into place.

    On any failure the temp file is removed and DownloadFailed says what happened (never the URL's signed query).
    """
    directory = os.path.dirname(dest) or '.'
    handle, temp = tempfile.mkstemp(dir=directory, prefix=f'.{os.path.basename(dest)}.', suffix='.part')
    started = time.monotonic()
    check = ArchiveCheck() if validate else None
    try:
        with os.fdopen(handle, 'wb', buffering=0) as sink:
            result = atlas.client.download(url, sink, observers=[check] if check else [])
        if result['first_bytes'][:2] != GZIP_MAGIC:
            raise DownloadFailed('the file received is not gzip data')
        if check is not None and check.error:
            raise DownloadFailed(check.error)
    except AtlasApiError as err:
        os.unlink(temp)
        raise DownloadFailed(_describe_download_error(err)) from None
    except OSError as exc:
        os.unlink(temp)
        reason = 'the disk is full' if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
        raise DownloadFailed(f'could not write beside {dest}: {reason}') from None
    except DownloadFailed:
        os.unlink(temp)
        raise
    return dict(result, temp=temp, seconds=time.monotonic() - started)


def _describe_download_error(err: AtlasApiError) -> str:
    if err.error_code == 'DOWNLOAD_HTTP_403':
        return 'the download link was refused (HTTP 403): it has expired or its signature is no longer valid'
    if err.error_code == 'DOWNLOAD_TRUNCATED':
        return f'the download was cut short ({err.detail})'
    if err.error_code == 'DOWNLOAD_INTERRUPTED':
        return f'the connection broke during the download ({err.detail})'
    if err.error_code == 'TLS_ERROR':
        return err.detail
    return f'the download host answered HTTP {err.status} ({err.detail})'
