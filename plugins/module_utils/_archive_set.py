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
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import (
    ARCHIVE_MODE, Destination, DownloadFailed, FileOps, check_writable_directory,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import parts_of
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import expires_time

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
        return [dict(self._view(path, entry), changed=self.files.apply_attributes(path, None)) for path, entry in good.items()]

    @staticmethod
    def _view(path: str, entry: dict[str, t.Any]) -> dict[str, t.Any]:
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
    def fetch(self, client: AtlasClient, job: dict[str, t.Any], *, validate: bool, force: bool) -> list[dict[str, t.Any]]:
        """Every archive of the job into dest; parts the manifest vouches for are kept unless force. The manifest is
        rewritten after each part, and marked complete after the last. A refused link raises LinkRefused (the caller may
        get a new job); any other failure a TaskError naming what is on disk."""
        parts = self.parts(job)
        if not parts:
            raise TaskError(f'Restore job {job.get("id")} is ready but Atlas listed no download link for it; nothing was written.')
        kept = {} if force else self.agreeing(self.read_manifest())
        entries: list[dict[str, t.Any]] = []
        results: list[dict[str, t.Any]] = []
        for part in parts:
            entry = kept.get(part.path)
            if entry is not None and entry.get('replica_set', '') == part.replica_set:
                entries.append(entry)
                results.append(dict(self._view(part.path, entry), changed=self.files.apply_attributes(part.path, None)))
                continue
            if not part.url:
                raise LinkRefused(part, 'Atlas no longer lists a link for it (used or expired)')
            try:
                saved = Destination(part.path, self.files).save(client, part.url, part.path, validate, expires_time(job))
            except DownloadFailed as failure:
                if failure.link_refused:
                    raise LinkRefused(part, str(failure)) from None
                raise TaskError(f'Failed to download {os.path.basename(part.path)} (restore job {job.get("id")}): {failure}. '
                                f'{self._progress(entries, parts)}', job_id=job.get('id')) from None
            entry = {'file': os.path.basename(part.path), 'replica_set': part.replica_set, 'size': saved['size'], 'sha256': saved['checksum'],
                     'mtime_ns': os.stat(part.path).st_mtime_ns, 'restore_job_id': job.get('id')}
            entries.append(entry)
            results.append(dict(self._view(part.path, entry), changed=True))
            self.write_manifest(str(job.get('id')), entries, complete=False)
        self.write_manifest(str(job.get('id')), entries, complete=True)
        return results

    def _progress(self, entries: list[dict[str, t.Any]], parts: list[SetPart]) -> str:
        if not entries:
            return 'No archive of the set is in dest; the files there were left as they were.'
        return (f'{len(entries)} of {len(parts)} archives are in dest; the manifest {os.path.basename(self.manifest_path)} marks the set '
                'incomplete, and a re-run fetches only the missing ones.')

    def progress_message(self, job: dict[str, t.Any]) -> str:
        """What a failed run leaves in dest, for the task's message."""
        manifest = self.read_manifest()
        return self._progress(list(self.agreeing(manifest).values()), self.parts(job))
