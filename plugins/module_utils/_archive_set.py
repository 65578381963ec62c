# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The archive set of one dedicated-cluster snapshot in dest: one archive per replica set (a replica set gives one, a
sharded cluster one per shard and config server), their names, and the manifest that says the set is whole.

Names: `<cluster>-<snapshot_id>.tar.gz` for a replica set, `<cluster>-<snapshot_id>-<replica set>.tar.gz` for each part of
a sharded cluster, and `<cluster>-<snapshot_id>.manifest.json` beside them. Nothing Atlas sends steers a path unchecked:
the snapshot id must be an id, a replica-set name is reduced to [A-Za-z0-9._-] (else part-N), and every path is checked
to lie inside dest.

The manifest (0600, written atomically, after each archive and finally with complete: true) records the job, the
snapshot and each part's file, size, sha256 and mtime. A set is trusted only when the manifest is complete and every
file agrees with it in size and mtime (no re-hashing of multi-GB files on every run); a part that is missing or does not
agree is fetched again. Never "the archives are in dest" for an incomplete set.

Up to `parallel` archives are fetched at once, each by a worker thread into its own temp file; everything Ansible does
(temp-file attributes, moves) and the manifest stay on the module's thread, in the set's order. One failure stops the
other transfers at their next chunk; no temp file survives it.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import (
    ARCHIVE_MODE, Destination, DownloadFailed, FileOps, Terminated, check_writable_directory, fetch_archive, new_temp, terminate_raises,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._disk import size_limit_raises
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import parts_of
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import expires_time
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._threads import BoundedThreads, Finished
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._transfer import Stopped

MANIFEST_FORMAT = 1
_ID = re.compile(r'^[a-f0-9]{24}$')
_UNSAFE = re.compile(r'[^A-Za-z0-9._-]')


class SetPart(t.NamedTuple):
    """One archive of the set: the replica set it holds ('' for a replica set's only archive), its path and link."""

    replica_set: str
    path: str
    url: str | None


class LinkRefused(Exception):
    """The download host refused a link (HTTP 403: used, expired or revoked); the parts fetched so far are recorded."""

    def __init__(self, part: SetPart, reason: str) -> None:
        super().__init__(reason)
        self.part = part
        self.reason = reason


def safe_name(name: str, index: int) -> str:
    """A replica-set name as a file-name piece: only [A-Za-z0-9._-], never empty, never starting with a dot."""
    reduced = _UNSAFE.sub('', name)
    return reduced if reduced and not reduced.startswith('.') else f'part-{index}'


def check_dest_directory(dest: str, check_mode: bool) -> str | None:
    """dest must be an existing, writable directory (the archives of a download go into one); in check mode a missing one
    is a warning (an earlier task of the play may create it)."""
    return check_writable_directory(dest, f'dest {dest}', check_mode)


class ArchiveSet:
    """The archives of one snapshot of one cluster in the directory dest, and their manifest."""

    def __init__(self, dest: str, cluster_name: str, snapshot_id: str, files: FileOps) -> None:
        if not _ID.match(str(snapshot_id or '')):
            raise TaskError(f'Atlas named the snapshot {snapshot_id!r}, which is not an Atlas id (24 hexadecimal characters); '
                            'no file was written.')
        self.dest = dest
        self.files = files
        self.snapshot_id = snapshot_id
        self.prefix = f'{cluster_name}-{snapshot_id}'
        self.manifest_path = self._inside(f'{self.prefix}.manifest.json')

    def _inside(self, name: str) -> str:
        path = os.path.join(self.dest, name)
        root = os.path.realpath(self.dest)
        if os.path.dirname(os.path.realpath(path)) != root:
            raise TaskError(f'The archive name {name!r} would leave dest {self.dest}; no file was written.')
        return path

    # ----------------------------------------------------------------------------------------------- names
    def parts(self, job: dict[str, t.Any]) -> list[SetPart]:
        """The set's archives for this job, in Atlas's order, with unique safe names."""
        found = parts_of(job)
        sharded = bool(job.get('components'))
        names: list[str] = []
        for index, part in enumerate(found):
            name = safe_name(part.replica_set, index) if sharded else ('' if len(found) == 1 else f'part-{index}')
            names.append(f'part-{index}' if name in names else name)
        return [SetPart(name, self._inside(f'{self.prefix}-{name}.tar.gz' if name else f'{self.prefix}.tar.gz'), part.url)
                for name, part in zip(names, found)]

    def predicted(self, job: dict[str, t.Any] | None, replica_sets: list[str]) -> list[dict[str, t.Any]]:
        """Check mode: the files a real run would write, from the job when there is one, else from the snapshot's
        replica sets ([] for a replica set); none is fetched."""
        if job is not None and parts_of(job):
            parts = self.parts(job)
        else:
            fake = {'components': [{'replicaSetName': name} for name in replica_sets]} if replica_sets else {'deliveryUrl': ['-']}
            parts = self.parts(fake)
        return [{'path': part.path, 'replica_set': part.replica_set or None, 'changed': True, 'downloaded': False} for part in parts]

    # ----------------------------------------------------------------------------------------------- the manifest
    def read_manifest(self) -> dict[str, t.Any] | None:
        try:
            with open(self.manifest_path, 'r', encoding='utf-8') as handle:
                manifest = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict) or manifest.get('snapshot_id') != self.snapshot_id or not isinstance(manifest.get('parts'), list):
            return None
        return manifest

    def agreeing(self, manifest: dict[str, t.Any] | None) -> dict[str, dict[str, t.Any]]:
        """The manifest's parts whose files are there with the recorded size and mtime, by path."""
        good = {}
        for entry in (manifest or {}).get('parts') or []:
            if not isinstance(entry, dict) or not isinstance(entry.get('file'), str):
                continue
            try:
                path = self._inside(entry['file'])
                stat = os.stat(path)
            except (OSError, TaskError):
                continue
            if stat.st_size == entry.get('size') and stat.st_mtime_ns == entry.get('mtime_ns'):
                good[path] = entry
        return good

    def whole(self) -> list[dict[str, t.Any]] | None:
        """The set as a task result when the manifest is complete and every file agrees with it (their attributes follow
        the task); else None."""
        manifest = self.read_manifest()
        if not manifest or manifest.get('complete') is not True:
            return None
        good = self.agreeing(manifest)
        if len(good) != len(manifest['parts']):
            return None
        return [dict(self.view(path, entry), changed=self.files.apply_attributes(path, None)) for path, entry in good.items()]

    @staticmethod
    def view(path: str, entry: dict[str, t.Any]) -> dict[str, t.Any]:
        return {'path': path, 'replica_set': entry.get('replica_set') or None, 'size': entry.get('size'), 'sha256': entry.get('sha256')}

    def write_manifest(self, job_id: str, entries: list[dict[str, t.Any]], complete: bool) -> None:
        """Replace the manifest atomically (temp file beside it, fsync, move); 0600 unless the task says otherwise."""
        doc = {'format': MANIFEST_FORMAT, 'snapshot_id': self.snapshot_id, 'restore_job_id': job_id, 'complete': complete, 'parts': entries}
        handle, temp = tempfile.mkstemp(dir=self.dest, prefix=f'.{self.prefix}.manifest.', suffix='.part')
        self.files.register_temp(temp)
        with os.fdopen(handle, 'w', encoding='utf-8') as out:
            json.dump(doc, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        self.files.apply_attributes(temp, ARCHIVE_MODE)
        self.files.move(temp, self.manifest_path)
        self.files.apply_attributes(self.manifest_path, ARCHIVE_MODE)  # a move may give it the umask's mode

    # ----------------------------------------------------------------------------------------------- fetching
    def fetch(self, client: AtlasClient, job: dict[str, t.Any], *, validate: bool, force: bool, parallel: int = 1) -> list[dict[str, t.Any]]:
        """Every archive of the job into dest; parts the manifest vouches for are kept unless force. Up to `parallel`
        archives are fetched at once, each in a worker thread into its own temp file (made and given the task's attributes
        here, on this thread); here too, in the set's order, each is moved into place and the manifest rewritten, and
        marked complete after the last. The first failure stops the other transfers at their next chunk and removes their
        temp files; archives already whole are kept and recorded (the manifest says incomplete). A refused link raises
        LinkRefused (the caller may get a new job); any other failure a TaskError naming the archive and what is on disk."""
        parts = self.parts(job)
        if not parts:
            raise TaskError(f'Restore job {job.get("id")} is ready but Atlas listed no download link for it; nothing was written.')
        kept = {} if force else self.agreeing(self.read_manifest())
        done: dict[int, tuple[dict[str, t.Any], dict[str, t.Any]]] = {}  # part index -> (manifest entry, result)
        todo = []
        for index, part in enumerate(parts):
            entry = kept.get(part.path)
            if entry is not None and entry.get('replica_set', '') == part.replica_set:
                done[index] = (entry, dict(self.view(part.path, entry), changed=self.files.apply_attributes(part.path, None)))
            else:
                todo.append(index)
        if todo:
            _SetFetch(self, client, job, parts, done, validate, parallel).run(todo)
        self.write_manifest(str(job.get('id')), [done[index][0] for index in sorted(done)], complete=True)
        return [done[index][1] for index in range(len(parts))]

    def progress(self, entries: list[dict[str, t.Any]], parts: list[SetPart]) -> str:
        if not entries:
            return 'No archive of the set is in dest; the files there were left as they were.'
        return (f'{len(entries)} of {len(parts)} archives are in dest; the manifest {os.path.basename(self.manifest_path)} marks the set '
                'incomplete, and a re-run fetches only the missing ones.')

    def progress_message(self, job: dict[str, t.Any]) -> str:
        """What a failed run leaves in dest, for the task's message."""
        manifest = self.read_manifest()
        return self.progress(list(self.agreeing(manifest).values()), self.parts(job))


class _SetFetch:
    """One fetch of a set's missing archives: workers download, this (the module's) thread decides and touches files."""

    GRACE = 30.0  # seconds the stopped transfers get to notice (at their next chunk) before their temp files are removed anyway

    def __init__(self, archives: ArchiveSet, client: AtlasClient, job: dict[str, t.Any], parts: list[SetPart],
                 done: dict[int, tuple[dict[str, t.Any], dict[str, t.Any]]], validate: bool, parallel: int) -> None:
        self.archives, self.client, self.job, self.parts, self.done, self.validate = archives, client, job, parts, done, validate
        self.threads = BoundedThreads(parallel)
        self.temps: dict[int, str] = {}                        # temp files not (yet) moved into place
        self.fetched: dict[int, dict[str, t.Any]] = {}         # whole and verified in their temp file, waiting for their turn
        self.failures: dict[int, DownloadFailed | LinkRefused] = {}

    def run(self, todo: list[int]) -> None:
        try:
            with terminate_raises(), size_limit_raises():  # signals are the main thread's: installed here, for every worker
                self._loop(todo)
                if self.failures and self.fetched:
                    for index in sorted(self.fetched):  # whole archives stay: a re-run fetches only the others
                        self._place(index)
                    self._write_incomplete()
        except Terminated:
            self._abandon()
            names = ', '.join(os.path.basename(self.parts[index].path) for index in sorted(self.threads.running)) or 'the archives'
            raise TaskError(f'Failed to download {names} (restore job {self.job.get("id")}): the task was stopped (SIGTERM) during the '
                            f'download. {self.progress()}', job_id=self.job.get('id')) from None
        except BaseException:
            self._abandon()
            raise
        if self.failures:
            self._abandon()
            raise self._failure()

    def _loop(self, todo: list[int]) -> None:
        """Start transfers while there is room, take each end as it comes, place what can be placed; after a failure,
        wait (at most GRACE seconds) for the transfers still running to stop."""
        waiting = list(todo)
        deadline = None
        while True:
            while waiting and self.threads.has_room:
                self._start(waiting.pop(0))
            if deadline is None and self.threads.stop.is_set():
                deadline = time.monotonic() + self.GRACE
            finished = self.threads.next_finished(deadline)
            if finished is None:
                return
            self._finished(finished)
            self._place_in_order(todo)

    def _write_incomplete(self) -> None:
        self.archives.write_manifest(str(self.job.get('id')), [self.done[index][0] for index in sorted(self.done)], complete=False)

    def _start(self, index: int) -> None:
        part = self.parts[index]
        if not part.url:
            self.failures[index] = LinkRefused(part, 'Atlas no longer lists a link for it (used or expired)')
            self.threads.stop.set()
            return
        handle, temp = new_temp(part.path)
        self.temps[index] = temp
        try:
            self.archives.files.register_temp(temp)
            self.archives.files.apply_attributes(temp, ARCHIVE_MODE)
        except BaseException:
            os.close(handle)
            raise
        url, expires, stop = part.url, expires_time(self.job), self.threads.stop
        self.threads.start(index, lambda: fetch_archive(self.client, url, part.path, self.validate, expires, temp_file=(handle, temp), stop=stop))

    def _finished(self, finished: Finished) -> None:
        index, error = finished.key, finished.error
        if error is None:
            self.fetched[index] = finished.value
            return
        self.temps.pop(index, None)  # fetch_archive removed it
        if isinstance(error, Stopped):
            return
        if not isinstance(error, DownloadFailed):
            raise error  # not a download's failure: a bug, shown as one
        part = self.parts[index]
        self.failures[index] = LinkRefused(part, str(error)) if error.link_refused else error
        self.threads.stop.set()

    def _place_in_order(self, todo: list[int]) -> None:
        """Move into place the fetched archives whose earlier parts are all in place (none while any failure stands)."""
        for index in todo:
            if self.failures or index in self.done:
                continue
            if index not in self.fetched:
                return
            self._place(index)
            self._write_incomplete()

    def _place(self, index: int) -> None:
        part, saved = self.parts[index], self.fetched.pop(index)
        Destination(part.path, self.archives.files).place(saved['temp'], part.path)
        self.temps.pop(index, None)
        entry = {'file': os.path.basename(part.path), 'replica_set': part.replica_set, 'size': saved['size'], 'sha256': saved['sha256'],
                 'mtime_ns': os.stat(part.path).st_mtime_ns, 'restore_job_id': self.job.get('id')}
        self.done[index] = (entry, dict(self.archives.view(part.path, entry), changed=True))

    def _abandon(self) -> None:
        """Stop every transfer and remove every temp file not moved into place (a stopped worker removes its own too)."""
        self.threads.stop.set()
        for temp in list(self.temps.values()):
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
        self.temps.clear()
        self.fetched.clear()

    def progress(self) -> str:
        return self.archives.progress([self.done[i][0] for i in sorted(self.done)], self.parts)

    def _failure(self) -> Exception:
        """The failure to report: the first (in the set's order) that a new download job cannot cure, else the first refusal."""
        ordered = [self.failures[index] for index in sorted(self.failures)]
        failure = next((item for item in ordered if not isinstance(item, LinkRefused)), ordered[0])
        if isinstance(failure, LinkRefused):
            return failure
        index = next(i for i in sorted(self.failures) if self.failures[i] is failure)
        return TaskError(f'Failed to download {os.path.basename(self.parts[index].path)} (restore job {self.job.get("id")}): {failure}. '
                         f'{self.progress()}', job_id=self.job.get('id'))
