# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A token cache that cannot be used (no directory, read-only, no locks on NFS, a lock path that is not a plain file, any
OS error) costs one warning and the task goes on with a token of its own: never a failure, never a network error."""
from __future__ import annotations

import errno
import os

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _token_cache
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._auth import ServiceAccountAuth, TokenCache
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient

BASE = 'https://atlas.test'
CLIENT_ID = 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01'
SECRET = 'mdb_sa_sk_owner-secret-0001'
TOKEN_URL = BASE + '/api/oauth/token'
API = BASE + '/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
PATH = '/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
KEY = TokenCache.key(BASE, CLIENT_ID, SECRET)


def raiser(code, only=None):
    """A replacement that raises OSError(code), for every call or only for paths ending in `only`."""
    def replacement(path, *args, **kwargs):
        if only is None or str(path).endswith(only):
            raise OSError(code, os.strerror(code))
        return real(path, *args, **kwargs)
    return replacement


real = os.open


def breakers(tmp_path, monkeypatch):
    """Each way a cache can be unusable, set up on tmp_path/'tokens' (works as root too: nothing relies on chmod)."""
    directory = tmp_path / 'tokens'

    def no_locks():  # NFS without a lock manager
        monkeypatch.setattr(_token_cache.fcntl, 'flock', lambda *_args: (_never for _never in ()).throw(OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))))

    def lock_is_a_directory():
        directory.mkdir(mode=0o700)
        (directory / f'{KEY}.lock').mkdir()

    def lock_is_a_symlink():
        directory.mkdir(mode=0o700)
        os.symlink(tmp_path / 'elsewhere', directory / f'{KEY}.lock')

    def lock_is_a_fifo():
        directory.mkdir(mode=0o700)
        os.mkfifo(directory / f'{KEY}.lock', 0o600)

    def directory_under_a_file():  # cannot create the directory
        (tmp_path / 'file').write_text('')
        return tmp_path / 'file' / 'tokens'

    def read_only_home():  # makedirs on a read-only file system
        monkeypatch.setattr(_token_cache.os, 'makedirs', raiser(errno.EROFS))

    def open_denied():
        directory.mkdir(mode=0o700)
        monkeypatch.setattr(_token_cache.os, 'open', raiser(errno.EACCES, '.lock'))

    def read_only_directory():  # the lock opens (it exists), the token file cannot be written
        directory.mkdir(mode=0o700)
        (directory / f'{KEY}.lock').touch(mode=0o600)
        monkeypatch.setattr(_token_cache.tempfile, 'mkstemp', lambda **_kwargs: (_never for _never in ()).throw(OSError(errno.EROFS, 'Read-only file system')))

    def replace_fails():
        monkeypatch.setattr(_token_cache.os, 'replace', lambda *_args: (_never for _never in ()).throw(OSError(errno.EIO, os.strerror(errno.EIO))))

    def directory_is_a_file():
        directory.write_text('')

    def others_can_enter():
        directory.mkdir()
        os.chmod(directory, 0o755)

    return {'ENOLCK': (no_locks, 'ENOLCK'), 'lock directory': (lock_is_a_directory, 'EISDIR'), 'lock symlink': (lock_is_a_symlink, 'ELOOP'),
            'lock fifo': (lock_is_a_fifo, 'not a plain file'), 'no directory': (directory_under_a_file, 'ENOTDIR'),
            'read-only home': (read_only_home, 'EROFS'), 'EACCES': (open_denied, 'EACCES'), 'read-only dir': (read_only_directory, 'EROFS'),
            'replace fails': (replace_fails, 'EIO'), 'directory is a file': (directory_is_a_file, 'EEXIST'),
            'others can enter': (others_can_enter, 'not private')}


KINDS = ['ENOLCK', 'lock directory', 'lock symlink', 'lock fifo', 'no directory', 'read-only home', 'EACCES', 'read-only dir',
         'replace fails', 'directory is a file', 'others can enter']


@pytest.mark.parametrize('kind', KINDS)
@responses.activate
def test_an_unusable_cache_costs_one_warning_and_the_task_goes_on(tmp_path, monkeypatch, kind):
    setup, says = breakers(tmp_path, monkeypatch)[kind]
    directory = setup() or tmp_path / 'tokens'
    warnings = []
    responses.post(TOKEN_URL, json={'access_token': 'tok-1', 'expires_in': 3600, 'token_type': 'Bearer'})
    responses.get(API, json={'results': []})
    client = AtlasClient(base_url=BASE, auth=ServiceAccountAuth(CLIENT_ID, SECRET, TokenCache(str(directory), warn=warnings.append)))
    for _call in range(3):
        assert client.get(PATH) == {'results': []}
    assert len(warnings) == 1, warnings
    assert says in warnings[0] and str(directory) in warnings[0] and 'token_cache_dir' in warnings[0]
    assert 'could not send the request' not in warnings[0] and SECRET not in warnings[0] and 'tok-1' not in warnings[0]
    assert [call.request.url for call in responses.calls] == [TOKEN_URL, API, API, API]  # one token for the task all the same


@responses.activate
def test_a_renewal_after_the_cache_broke_does_not_warn_again(tmp_path, monkeypatch):
    monkeypatch.setattr(_token_cache.fcntl, 'flock', lambda *_args: (_never for _never in ()).throw(OSError(errno.ENOLCK, 'No locks available')))
    warnings = []
    responses.post(TOKEN_URL, json={'access_token': 'old', 'expires_in': 3600})
    responses.post(TOKEN_URL, json={'access_token': 'new', 'expires_in': 3600})
    responses.get(API, status=401, json={'error': 401, 'errorCode': 'UNAUTHORIZED', 'detail': 'expired'})
    responses.get(API, json={'results': []})
    client = AtlasClient(base_url=BASE, auth=ServiceAccountAuth(CLIENT_ID, SECRET, TokenCache(str(tmp_path / 't'), warn=warnings.append)))
    assert client.get(PATH) == {'results': []}
    assert len(warnings) == 1


def test_a_failed_fetch_is_not_mistaken_for_a_cache_problem(tmp_path):
    warnings = []
    cache = TokenCache(str(tmp_path / 't'), warn=warnings.append)

    def fetch():
        raise OSError(errno.ECONNRESET, 'reset')  # whatever fetch raises passes through, and fetch runs once

    with pytest.raises(OSError):
        cache.get(BASE, CLIENT_ID, SECRET, fetch)
    assert warnings == [] and cache.problem is None


def test_a_usable_cache_never_warns(tmp_path):
    warnings = []
    cache = TokenCache(str(tmp_path / 't'), warn=warnings.append)
    for _call in range(2):
        assert cache.get(BASE, CLIENT_ID, SECRET, lambda: {'access_token': 'tok', 'expires_at': 4e9}) == 'tok'
    assert warnings == [] and cache.problem is None
