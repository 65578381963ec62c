# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The archive on disk: the streaming gzip and tar check, the verified temp file beside dest, and clean-up on failure.

fetch_archive runs with a real AtlasClient against `responses`: no stand-in for the client.
"""
from __future__ import annotations

import errno
import gzip
import io
import json
import os
import stat
import subprocess
import sys
import tarfile
import threading
import zlib

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _archive
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import ArchiveCheck, Destination, DownloadFailed, fetch_archive
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError

URL = 'https://storage.test/backup-downloads/j/s.tgz'
SIGNED = URL + '?X-Amz-Signature=abc123def'


try:
    from isal import isal_zlib
except ImportError:
    isal_zlib = None


@pytest.fixture(autouse=True, params=['zlib', 'isal'])
def inflater(request, monkeypatch):
    """Every test runs with the standard library's zlib and, where it is installed, with ISA-L's isal_zlib."""
    if request.param == 'isal':
        if isal_zlib is None:
            pytest.skip('isal is not installed (optional)')
        monkeypatch.setattr(ArchiveCheck, 'inflater', isal_zlib)
    else:
        monkeypatch.setattr(ArchiveCheck, 'inflater', zlib)
    return request.param


def tgz_bytes(level=6, size=5000):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', compresslevel=level, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            data = bytes(range(256)) * (size // 256)
            info = tarfile.TarInfo('dump/a.bson')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def run_check(payload, piece=7):
    check = ArchiveCheck()
    for start in range(0, len(payload), piece):
        check(payload[start:start + piece])
    check(None)
    return check


@pytest.mark.parametrize('level, piece', [(0, 7), (6, 1000), (9, 1 << 20)])
def test_archive_check_accepts_a_tgz_in_any_chunking(level, piece):
    check = run_check(tgz_bytes(level), piece)
    assert check.error is None and check.members == 1


def run_bounded(payload, piece):
    """run_check in a thread: a check that spins forever fails the test instead of hanging it."""
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(run_check(payload, piece)), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), 'ArchiveCheck did not terminate'
    return outcome[0]


def compressible_tgz(size):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', compresslevel=6, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            info = tarfile.TarInfo('dump/shop/orders.bson')
            info.size = size
            tar.addfile(info, io.BytesIO(b'A' * size))
    return buf.getvalue()


@pytest.mark.parametrize('trailer', [bytes(512), b'x' * 100, b'\x1f\x8b' + b'junk' * 10])
@pytest.mark.parametrize('piece', [1 << 20, 65536, 4096])
def test_archive_check_ends_at_the_end_of_the_gzip_stream_despite_trailing_bytes(trailer, piece):
    payload = compressible_tgz(5 * 1024 * 1024) + trailer  # 5 MiB of 'A' inflates past the 4 MiB piece in one go
    check = run_bounded(payload, piece)
    assert check.error is None and check.members == 1
    assert check.trailing == len(trailer)  # accepted, as gzip -t and tar tzf do, and counted for a warning


def test_archive_check_catches_a_flipped_byte_through_the_gzip_crc():
    payload = bytearray(tgz_bytes(level=0, size=20000))
    payload[len(payload) // 2] ^= 0xFF  # stored data: only the CRC can notice
    assert 'damaged' in run_check(bytes(payload)).error


def test_archive_check_catches_truncation_and_non_tar():
    assert 'ends before' in run_check(tgz_bytes()[:-20]).error
    assert run_check(gzip.compress(b'just text, not a tar' * 100)).error


def test_archive_check_bounds_memory_on_a_zip_bomb():
    bomb = gzip.compress(bytes(200 * 1024 * 1024))  # 200 MiB of zeros, ~200 KiB compressed
    check = ArchiveCheck()
    check(bomb)
    assert check.error is None or 'tar' in check.error  # decompressed piece by piece, never all at once


def serve(body, status=200):
    responses.add(responses.GET, URL, body=body, status=status, headers={'Content-Length': str(len(body))})
    return AtlasClient(base_url='https://atlas.test', retries=0)


@responses.activate
def test_fetch_archive_full_disk_leaves_nothing(tmp_path, monkeypatch):
    real_fdopen = os.fdopen

    class FullDisk(io.RawIOBase):
        def __init__(self, fd, *_args, **_kwargs):
            super().__init__()
            self.file = real_fdopen(fd, 'wb', buffering=0)

        def write(self, _data):
            raise OSError(errno.ENOSPC, 'No space left on device')

        def close(self):
            self.file.close()
            super().close()

    monkeypatch.setattr(_archive.os, 'fdopen', FullDisk)
    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(serve(tgz_bytes()), SIGNED, str(tmp_path / 'out.tgz'), True)
    assert 'disk is full' in str(caught.value)
    assert os.listdir(tmp_path) == []


@responses.activate
def test_fetch_archive_rejects_non_gzip(tmp_path):
    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(serve(b'<html>'), SIGNED, str(tmp_path / 'out.tgz'), True)
    assert 'not gzip' in str(caught.value)
    assert os.listdir(tmp_path) == []


@responses.activate
def test_fetch_archive_explains_an_expired_link_without_its_signature(tmp_path):
    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(serve(b'<Error><Message>Request has expired</Message><Sig>abc123def</Sig></Error>', status=403), SIGNED,
                      str(tmp_path / 'out.tgz'), True)
    assert 'expired' in str(caught.value) and 'abc123def' not in str(caught.value)
    assert os.listdir(tmp_path) == []


@responses.activate
def test_fetch_archive_keeps_a_verified_temp_beside_dest(tmp_path):
    payload = tgz_bytes()
    result = fetch_archive(serve(payload), SIGNED, str(tmp_path / 'out.tgz'), True)
    assert os.path.dirname(result['temp']) == str(tmp_path)
    with open(result['temp'], 'rb') as handle:
        assert handle.read() == payload


@responses.activate
def test_fetch_archive_rejects_a_damaged_archive_and_cleans_up(tmp_path):
    payload = bytearray(tgz_bytes(level=0, size=20000))
    payload[len(payload) // 2] ^= 0xFF
    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(serve(bytes(payload)), SIGNED, str(tmp_path / 'out.tgz'), True)
    assert 'damaged' in str(caught.value)
    assert os.listdir(tmp_path) == []


class RecordedFiles:
    """FileOps that records what the archive asked of Ansible's file handling, and moves with os.replace."""

    def __init__(self):
        self.calls = []

    def apply_attributes(self, path, default_mode):
        self.calls.append(('attributes', os.path.basename(path), default_mode))
        return False

    def register_temp(self, path):
        self.calls.append(('temp', os.path.basename(path), None))

    def move(self, src, dest):
        self.calls.append(('move', os.path.basename(dest), None))
        os.replace(src, dest)


def test_destination_names_a_file_or_a_directory(tmp_path):
    files = RecordedFiles()
    assert Destination(str(tmp_path), files).path_for('s1') == str(tmp_path / 's1.tgz')
    assert Destination(str(tmp_path / 'new') + os.sep, files).path_for('s1') == str(tmp_path / 'new' / 's1.tgz')
    assert Destination(str(tmp_path), files).path_for(None) is None  # not known until the snapshot is
    assert Destination(str(tmp_path / 'a.tgz'), files).path_for('s1') == str(tmp_path / 'a.tgz')


def test_destination_checks_its_directory_and_only_warns_in_check_mode(tmp_path):
    missing = Destination(str(tmp_path / 'nope' / 'a.tgz'), RecordedFiles())
    with pytest.raises(TaskError, match='does not exist'):
        missing.check_directory(check_mode=False)
    assert 'does not exist yet' in missing.check_directory(check_mode=True)
    assert Destination(str(tmp_path / 'a.tgz'), RecordedFiles()).check_directory(check_mode=False) is None


def test_destination_leaves_an_existing_file_alone_unless_forced(tmp_path):
    (tmp_path / 's1.tgz').write_bytes(b'old')
    files = RecordedFiles()
    where = Destination(str(tmp_path), files)
    result = where.existing('s1', force=False)
    assert result['dest'] == str(tmp_path / 's1.tgz') and result['size'] == 3 and result['changed'] is False
    assert files.calls == [('attributes', 's1.tgz', None)]  # the task's attributes only, no 0600 forced on a file it did not write
    assert where.existing('s1', force=True) is None
    assert where.existing('s2', force=False) is None


@responses.activate
def test_destination_save_gives_the_temp_its_attributes_before_any_byte_then_moves_it(tmp_path):
    payload = tgz_bytes()
    (tmp_path / 'a.tgz').write_bytes(b'old')
    files = RecordedFiles()
    saved = Destination(str(tmp_path / 'a.tgz'), files).save(serve(payload), SIGNED, str(tmp_path / 'a.tgz'), True, None)
    assert (tmp_path / 'a.tgz').read_bytes() == payload and saved['size'] == len(payload) and saved['trailing_bytes'] == 0
    kinds = [(kind, mode) for kind, _name, mode in files.calls]
    assert kinds == [('temp', None), ('attributes', 0o600), ('move', None), ('attributes', 0o600)]
    assert sorted(os.listdir(tmp_path)) == ['a.tgz']


# ------------------------------------------------------------------ every byte on disk before the move (issue 17 item 7)
def random_tgz(size):
    """A .tgz of incompressible bytes: about `size` bytes on the wire, so several 1 MiB chunks."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', compresslevel=1, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            data = os.urandom(size)
            info = tarfile.TarInfo('dump/random.bson')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def disk_that_fills(monkeypatch, room, per_call=None, error=errno.ENOSPC, lies=False):
    """os.fdopen in _archive gives a real unbuffered file whose write() takes at most per_call bytes a call and, once
    `room` bytes are in it, refuses with `error` after a short write (as a full disk or RLIMIT_FSIZE does). lies=True:
    it says it wrote everything but keeps only what fits (bytes lost on the way, which only the size on disk shows)."""
    real_fdopen = os.fdopen

    class Filling(io.RawIOBase):
        def __init__(self, fd, *_args, **_kwargs):
            super().__init__()
            self.file = real_fdopen(fd, 'wb', buffering=0)
            self.written = 0

        def writable(self):
            return True

        def write(self, data):
            take = min(len(data), per_call or len(data), room - self.written)
            if take <= 0 and not lies:
                raise OSError(error, os.strerror(error))
            take = max(take, 0)
            self.file.write(bytes(data[:take]))
            self.written += take
            return len(data) if lies else take

        def close(self):
            self.file.close()
            super().close()

    monkeypatch.setattr(_archive.os, 'fdopen', Filling)


PREVIOUS = b'the previous good archive\n'


def save_over_previous(tmp_path, payload):
    (tmp_path / 'a.tgz').write_bytes(PREVIOUS)
    files = RecordedFiles()
    return files, lambda: Destination(str(tmp_path / 'a.tgz'), files).save(serve(payload), SIGNED, str(tmp_path / 'a.tgz'), True, None)


@pytest.mark.parametrize('error, says', [(errno.ENOSPC, 'the disk is full'), (errno.EFBIG, 'file-size limit'), (errno.EIO, 'Input/output error')])
@responses.activate
def test_a_disk_that_fills_inside_the_last_chunk_fails_and_leaves_the_previous_archive(tmp_path, monkeypatch, error, says):
    payload = random_tgz(2 * 1024 * 1024 + 300000)  # three chunks; the disk fills 1000 bytes before the end
    disk_that_fills(monkeypatch, room=len(payload) - 1000, error=error)
    files, save = save_over_previous(tmp_path, payload)
    with pytest.raises(DownloadFailed) as caught:
        save()
    assert says in str(caught.value) and 'could not write beside' in str(caught.value)
    assert (tmp_path / 'a.tgz').read_bytes() == PREVIOUS  # untouched: never moved over
    assert sorted(os.listdir(tmp_path)) == ['a.tgz']  # no .part left
    assert 'move' not in [kind for kind, _name, _mode in files.calls]


@responses.activate
def test_short_writes_are_completed_before_the_move(tmp_path, monkeypatch):
    payload = random_tgz(2 * 1024 * 1024 + 300000)
    disk_that_fills(monkeypatch, room=len(payload) * 2, per_call=300000)  # every write short, the last chunk's too
    _files, save = save_over_previous(tmp_path, payload)
    saved = save()
    assert (tmp_path / 'a.tgz').read_bytes() == payload and saved['size'] == len(payload)


@responses.activate
def test_bytes_lost_on_the_way_to_the_disk_fail_the_download(tmp_path, monkeypatch):
    payload = random_tgz(2 * 1024 * 1024 + 300000)
    disk_that_fills(monkeypatch, room=len(payload) - 1000, lies=True)  # the file system says yes to every byte, keeps fewer
    files, save = save_over_previous(tmp_path, payload)
    with pytest.raises(DownloadFailed) as caught:
        save()
    assert f'only {len(payload) - 1000} of the {len(payload)} bytes received reached the disk' in str(caught.value)
    assert (tmp_path / 'a.tgz').read_bytes() == PREVIOUS and sorted(os.listdir(tmp_path)) == ['a.tgz']


@responses.activate
def test_the_file_is_synced_before_the_move_and_the_directory_after(tmp_path, monkeypatch):
    real_fsync = os.fsync
    files, save = save_over_previous(tmp_path, tgz_bytes())

    def recording_fsync(fd):
        kind = 'directory' if stat.S_ISDIR(os.fstat(fd).st_mode) else 'file'
        files.calls.append(('fsync', kind, None))
        real_fsync(fd)

    monkeypatch.setattr(os, 'fsync', recording_fsync)
    save()
    assert [(kind, name) for kind, name, _mode in files.calls] == [
        ('temp', files.calls[0][1]), ('attributes', files.calls[0][1]), ('fsync', 'file'), ('move', 'a.tgz'), ('attributes', 'a.tgz'),
        ('fsync', 'directory')]


@responses.activate
def test_a_failed_fsync_fails_the_download_and_leaves_the_previous_archive(tmp_path, monkeypatch):
    def failing_fsync(_fd):
        raise OSError(errno.ENOSPC, 'No space left on device')  # late allocation (NFS, XFS delalloc): the disk fills at fsync

    monkeypatch.setattr(os, 'fsync', failing_fsync)
    files, save = save_over_previous(tmp_path, tgz_bytes())
    with pytest.raises(DownloadFailed, match='the disk is full'):
        save()
    assert (tmp_path / 'a.tgz').read_bytes() == PREVIOUS and sorted(os.listdir(tmp_path)) == ['a.tgz']
    assert 'move' not in [kind for kind, _name, _mode in files.calls]


RLIMIT_SCRIPT = r'''
import http.server, json, os, resource, signal, sys, threading
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import Destination, DownloadFailed
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient

payload_path, dest, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(payload_path, 'rb') as handle:
    payload = handle.read()

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args):
        pass

server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

class Files:
    def apply_attributes(self, path, default_mode):
        return False
    def register_temp(self, path):
        pass
    def move(self, src, dest):
        os.replace(src, dest)

signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # as a host that does not ignore it: the default action kills the process
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
url = f'http://127.0.0.1:{server.server_address[1]}/backup-downloads/a.tgz?X-Amz-Signature=abc123def'
try:
    saved = Destination(dest, Files()).save(AtlasClient(base_url='https://atlas.test', retries=0), url, dest, True, None)
    print(json.dumps({'saved': saved}))
except DownloadFailed as failure:
    print(json.dumps({'failed': str(failure)}))
'''


@pytest.mark.parametrize('where', ['last chunk', 'first chunk'])
def test_a_real_file_size_limit_fails_cleanly_and_leaves_the_previous_archive(tmp_path, where):
    payload = random_tgz(2 * 1024 * 1024 + 300000)
    payload_path = tmp_path / 'payload.bin'
    payload_path.write_bytes(payload)
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'a.tgz').write_bytes(PREVIOUS)
    limit = len(payload) - 1000 if where == 'last chunk' else 500000
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    proc = subprocess.run([sys.executable, '-c', RLIMIT_SCRIPT, str(payload_path), str(out / 'a.tgz'), str(limit)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-3000:])  # not killed by SIGXFSZ
    outcome = json.loads(proc.stdout)
    assert 'file-size limit' in outcome.get('failed', ''), outcome
    assert (out / 'a.tgz').read_bytes() == PREVIOUS and sorted(os.listdir(out)) == ['a.tgz']
