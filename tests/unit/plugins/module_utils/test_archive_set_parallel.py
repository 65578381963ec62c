# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The archives of one set fetched in parallel (parallel_downloads): a bounded number at once, each through the same
verified temp file; moves, file attributes and the manifest on the module's thread, in the set's order whatever order the
transfers end in; one part's failure stops the others at their next chunk and leaves no temp file.

A real AtlasClient fetches from a real HTTP server on 127.0.0.1 (one thread per connection). The order in which transfers
end, and whether they overlap, is forced by gates around fetch_archive (never by sleeping): deterministic on any load."""
from __future__ import annotations

import gzip
import http.server
import io
import json
import os
import random
import tarfile
import threading

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _archive_set
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive_set import ArchiveSet, LinkRefused
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError

from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import client

SNAP = '65a000000000000000000201'
NAMES = ['Sharded0-shard-0', 'Sharded0-shard-1', 'Sharded0-config-0']
GATE = 20  # seconds a gate waits at most: a bug shows as a failed assertion, never as a hang


def tgz(seed, size=3 * 1024 * 1024):
    """A valid archive of `size` incompressible bytes: several 1 MiB chunks on the wire."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0, compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            data = random.Random(seed).randbytes(size)
            info = tarfile.TarInfo(f'dump/{seed}.bson')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


BODIES = {index: tgz(index) for index in range(3)}


class Host(http.server.ThreadingHTTPServer):
    """The download host: /<index>.tar.gz is part <index>'s archive, or the status set in `statuses`; every GET is logged."""

    daemon_threads = True

    def __init__(self):
        super().__init__(('127.0.0.1', 0), _Handler)
        self.statuses = {}
        self.log = []
        self.lock = threading.Lock()
        self.url = f'http://127.0.0.1:{self.server_address[1]}'
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *_args):
        pass

    def do_GET(self):  # pylint: disable=invalid-name
        index = int(self.path.split('?')[0].strip('/').split('.')[0])
        with self.server.lock:
            self.server.log.append(index)
        status = self.server.statuses.get(index, 200)
        body = BODIES[index] if status == 200 else b'<Error><Code>AccessDenied</Code></Error>'
        self.send_response(status)
        self.send_header('Content-Type', 'application/gzip' if status == 200 else 'application/xml')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client stopped reading: a stopped transfer


@pytest.fixture
def host(monkeypatch):
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1,localhost')
    server = Host()
    yield server
    server.shutdown()
    server.server_close()


class Files:
    """FileOps without Ansible, remembering on which thread every call came (Ansible's helpers are not thread-safe)."""

    def __init__(self):
        self.threads = set()
        self.temps = []

    def apply_attributes(self, path, default_mode):
        self.threads.add(threading.current_thread().name)
        if default_mode is not None and (os.stat(path).st_mode & 0o777) != default_mode:
            os.chmod(path, default_mode)
            return True
        return False

    def register_temp(self, path):
        self.threads.add(threading.current_thread().name)
        self.temps.append(path)

    def move(self, src, dest):
        self.threads.add(threading.current_thread().name)
        os.replace(src, dest)


def sharded_job(url, job_id='6a0000000000000000000001'):
    components = [{'replicaSetName': name, 'downloadUrl': f'{url}/{index}.tar.gz?X-Amz-Signature=s{index}'} for index, name in enumerate(NAMES)]
    return {'id': job_id, 'deliveryType': 'download', 'snapshotId': SNAP, 'components': components,
            'deliveryUrl': [part['downloadUrl'] for part in components], 'expiresAt': '2099-01-01T00:00:00Z'}


class Gates:
    """Wraps fetch_archive: a part may first wait for an event (another part done, the set's stop flag); records the
    order in which transfers end and how many ran at once."""

    def __init__(self, monkeypatch):
        self.real = _archive_set.fetch_archive
        self.before = {}            # part index -> callable(stop) run before the real transfer
        self.ended = []             # part indexes, in the order their transfers ended (whatever the outcome)
        self.done = {index: threading.Event() for index in range(3)}
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        monkeypatch.setattr(_archive_set, 'fetch_archive', self)

    def __call__(self, api, url, dest, validate, expires, temp_file=None, stop=None):
        index = int(url.split('?')[0].rsplit('/', 1)[1].split('.')[0])
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if index in self.before:
                self.before[index](stop)
            return self.real(api, url, dest, validate, expires, temp_file=temp_file, stop=stop)
        finally:
            with self.lock:
                self.running -= 1
                self.ended.append(index)
            self.done[index].set()

    def after(self, index, first):
        """Part index starts its transfer only once part `first` has ended."""
        self.before[index] = lambda _stop: self.done[first].wait(GATE)

    def until_stopped(self, index):
        """Part index starts its transfer only once the set's stop flag is set (another part failed)."""
        self.before[index] = lambda stop: stop.wait(GATE)


def leftovers(path):
    return sorted(name for name in os.listdir(path) if name.endswith('.part'))


def manifest(path):
    with open(path / f'Sharded0-{SNAP}.manifest.json', encoding='utf-8') as handle:
        return json.load(handle)


def test_results_and_manifest_keep_the_sets_order_whatever_order_the_transfers_end_in(tmp_path, host, monkeypatch):
    gates = Gates(monkeypatch)
    gates.after(1, 2)  # the config server's archive ends first, then shard 1, then shard 0
    gates.after(0, 1)
    files = Files()
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, files)
    result = archives.fetch(client(), sharded_job(host.url), validate=True, force=False, parallel=3)
    assert gates.ended == [2, 1, 0] and gates.most == 3
    expected = [str(tmp_path / f'Sharded0-{SNAP}-{name}.tar.gz') for name in NAMES]
    assert [item['path'] for item in result] == expected
    assert [item['replica_set'] for item in result] == NAMES
    written = manifest(tmp_path)
    assert written['complete'] is True and [part['replica_set'] for part in written['parts']] == NAMES
    for index, item in enumerate(result):
        with open(item['path'], 'rb') as handle:
            assert handle.read() == BODIES[index]
    assert files.threads == {'MainThread'}  # temp files, attributes and moves: never from a worker thread
    assert leftovers(tmp_path) == [] and sorted(host.log) == [0, 1, 2]  # each link requested exactly once
    assert archives.whole() is not None


def test_one_parts_failure_stops_the_others_and_leaves_no_temp_file(tmp_path, host, monkeypatch):
    gates = Gates(monkeypatch)
    gates.until_stopped(0)  # shards 0 and config are still to come when shard 1 fails: they must stop, not finish
    gates.until_stopped(2)
    host.statuses[1] = 500
    files = Files()
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, files)
    with pytest.raises(TaskError) as failure:
        archives.fetch(client(retries=0), sharded_job(host.url), validate=True, force=False, parallel=3)
    message = failure.value.msg
    assert message.startswith(f'Failed to download Sharded0-{SNAP}-Sharded0-shard-1.tar.gz (restore job 6a0000000000000000000001): ')
    assert 'HTTP 500' in message and 'No archive of the set is in dest' in message and 'X-Amz' not in message
    assert sorted(gates.ended) == [0, 1, 2]  # the stopped ones ended (at their first chunk) before the task did
    assert os.listdir(tmp_path) == []  # no temp file, no archive, no manifest
    assert host.log == [1]  # a stopped transfer does not even open its link
    assert len(files.temps) == 3 and files.threads == {'MainThread'}


def test_whole_parts_stay_recorded_as_incomplete_and_the_rerun_fetches_only_the_others_once(tmp_path, host, monkeypatch):
    gates = Gates(monkeypatch)
    gates.after(1, 0)        # shard 0 ends first, whole; then shard 1 is refused (403)
    gates.until_stopped(2)   # and the config server's transfer is stopped
    host.statuses[1] = 403
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    with pytest.raises(LinkRefused) as refused:
        archives.fetch(client(), sharded_job(host.url), validate=True, force=False, parallel=3)
    assert refused.value.part.replica_set == 'Sharded0-shard-1' and '403' in refused.value.reason
    assert sorted(os.listdir(tmp_path)) == [f'Sharded0-{SNAP}-Sharded0-shard-0.tar.gz', f'Sharded0-{SNAP}.manifest.json']
    written = manifest(tmp_path)
    assert written['complete'] is False and [part['replica_set'] for part in written['parts']] == ['Sharded0-shard-0']
    assert archives.whole() is None
    assert '1 of 3 archives are in dest' in archives.progress_message(sharded_job(host.url))
    # the re-run (a new job, as _restore_plan asks for after a refused link) fetches the two missing parts, each once
    monkeypatch.setattr(_archive_set, 'fetch_archive', gates.real)
    host.statuses.clear()
    host.log.clear()
    result = archives.fetch(client(), sharded_job(host.url, job_id='6a0000000000000000000002'), validate=True, force=False, parallel=3)
    assert sorted(host.log) == [1, 2]
    assert [item['changed'] for item in result] == [False, True, True]
    assert archives.whole() is not None and leftovers(tmp_path) == []
    assert [part['replica_set'] for part in manifest(tmp_path)['parts']] == NAMES


def test_never_more_transfers_at_once_than_asked(tmp_path, host, monkeypatch):
    gates = Gates(monkeypatch)
    both = threading.Barrier(2, timeout=GATE)
    gates.before[0] = gates.before[1] = lambda _stop: both.wait()  # the first two overlap for certain
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    archives.fetch(client(), sharded_job(host.url), validate=True, force=False, parallel=2)
    assert gates.most == 2 and gates.ended[-1] == 2  # the third started only once one of the first two had ended
    assert archives.whole() is not None


def test_parallel_downloads_1_fetches_one_after_another_in_the_sets_order(tmp_path, host, monkeypatch):
    gates = Gates(monkeypatch)
    files = Files()
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, files)
    written = []
    real_write = archives.write_manifest
    monkeypatch.setattr(archives, 'write_manifest', lambda job_id, entries, complete: (
        written.append(([entry['replica_set'] for entry in entries], complete)), real_write(job_id, entries, complete))[1])
    archives.fetch(client(), sharded_job(host.url), validate=True, force=False, parallel=1)
    assert gates.most == 1 and gates.ended == [0, 1, 2] and host.log == [0, 1, 2]
    # as before: the manifest after each archive, then complete
    assert written == [(NAMES[:1], False), (NAMES[:2], False), (NAMES, False), (NAMES, True)]
    assert files.threads == {'MainThread'}


def test_parallel_downloads_1_stops_at_the_failing_part_as_before(tmp_path, host, monkeypatch):
    gates = Gates(monkeypatch)
    host.statuses[1] = 500
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    with pytest.raises(TaskError) as failure:
        archives.fetch(client(retries=0), sharded_job(host.url), validate=True, force=False, parallel=1)
    assert '1 of 3 archives are in dest' in failure.value.msg and 'Sharded0-shard-1.tar.gz' in failure.value.msg
    assert gates.ended == [0, 1] and host.log == [0, 1]  # the third never started
    assert manifest(tmp_path)['complete'] is False and leftovers(tmp_path) == []


def test_a_missing_link_stops_the_set_before_its_transfer(tmp_path, host, monkeypatch):
    gates = Gates(monkeypatch)
    gates.until_stopped(0)
    job = sharded_job(host.url)
    job['components'][1].pop('downloadUrl')
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    with pytest.raises(LinkRefused, match='no longer lists a link'):
        archives.fetch(client(), job, validate=True, force=False, parallel=3)
    assert host.log == [] and os.listdir(tmp_path) == []
