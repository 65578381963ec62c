# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP Digest authentication as Atlas does it (RFC 7616, MD5, qop=auth), roles and access lists of API keys and service accounts."""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
import threading
import typing as t

from atlas_simulator.errors import ApiError

REALM = 'MMS Public API'
UNAUTHORIZED_BODY_DETAIL = 'You are not authorized for this resource.'

# What each kind of call needs; Project Owner can do everything.
# Restore jobs (the sources x-rolesRequirements): list/get need Project Backup Manager; create/cancel Backup Export Operator or Backup
# Recovery Operator (docs add Backup Manager); the Flex restore Backup Recovery Operator; the tenant restore Project Owner.
PERMISSIONS = {
    'read': {'Project Owner', 'Project Read Only', 'Project Backup Manager', 'Project Backup Creator', 'Project Backup Export Operator',
             'Project Backup Recovery Operator'},
    'take': {'Project Owner', 'Project Backup Manager', 'Project Backup Creator'},
    'manage': {'Project Owner', 'Project Backup Manager'},
    'tenant_download': {'Project Owner'},
    'flex_download': {'Project Owner', 'Project Backup Export Operator'},
    'restore_read': {'Project Owner', 'Project Backup Manager'},
    'restore': {'Project Owner', 'Project Backup Manager', 'Project Backup Export Operator', 'Project Backup Recovery Operator'},
    'flex_restore': {'Project Owner', 'Project Backup Recovery Operator'},
    'compliance': {'Project Owner'},   # GET backupCompliancePolicy (the sources x-rolesRequirements)
}
for _allowed in PERMISSIONS.values():  # an Organization Owner (the fleet's org-wide service account) holds every project role
    _allowed.add('Organization Owner')

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def md5(text: str) -> str:
    return hashlib.md5(text.encode('utf-8')).hexdigest()  # nosec: MD5 is what Atlas's digest uses


class Unauthorized(ApiError):
    """401 with a fresh digest challenge; `stale` tells the client its nonce merely expired.

    `challenge=False` (a bad bearer token): the same body, but no WWW-Authenticate, so a bearer client is never invited into digest.
    """

    def __init__(self, stale: bool = False, challenge: bool = True) -> None:
        super().__init__(401, 'UNEXPECTED_ERROR', UNAUTHORIZED_BODY_DETAIL)
        self.stale = stale
        self.challenge = challenge

    def body(self) -> dict[str, t.Any]:
        """Exactly the body Atlas sends with a digest challenge (observed): no `parameters`."""
        return {'error': 401, 'reason': 'Unauthorized', 'detail': UNAUTHORIZED_BODY_DETAIL, 'errorCode': 'UNEXPECTED_ERROR'}


class DigestAuthenticator:
    """Issues nonces, checks digest responses, refuses expired nonces (stale) and replayed nonce counts."""

    def __init__(self, keys: dict[str, dict[str, t.Any]], nonce_lifetime: t.Callable[[], float], clock: t.Callable[[], float]) -> None:
        self.keys = keys
        self._lifetime = nonce_lifetime
        self._clock = clock  # simulator seconds, so tests can expire nonces by advancing the clock
        self._nonces: dict[str, dict[str, t.Any]] = {}
        self._lock = threading.Lock()

    def challenge(self, stale: bool = False) -> str:
        nonce = base64.b64encode(os.urandom(24)).decode('ascii')
        with self._lock:
            self._nonces[nonce] = {'issued': self._clock(), 'nc': 0}
            if len(self._nonces) > 10000:  # bound memory under load
                for old in list(self._nonces)[:5000]:
                    del self._nonces[old]
        return (f'Digest realm="{REALM}", domain="", nonce="{nonce}", algorithm=MD5, qop="auth", '
                f'stale={"true" if stale else "false"}')

    def authenticate(self, header: str | None, method: str, uri: str) -> str:
        """Return the public key of a valid request, or raise Unauthorized."""
        if not header or not header.lower().startswith('digest '):
            raise Unauthorized()
        params = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(header[7:])}
        key = self.keys.get(params.get('username', ''))
        if key is None or params.get('realm') != REALM or params.get('uri') != uri or params.get('qop') != 'auth':
            raise Unauthorized()
        nonce = params.get('nonce', '')
        expected = md5(':'.join((md5(f'{params["username"]}:{REALM}:{key["private"]}'), nonce, params.get('nc', ''),
                                 params.get('cnonce', ''), 'auth', md5(f'{method}:{uri}'))))
        if params.get('response') != expected:
            raise Unauthorized()
        try:
            count = int(params.get('nc', ''), 16)
        except ValueError:
            raise Unauthorized() from None
        with self._lock:
            state = self._nonces.get(nonce)
            if state is None:
                raise Unauthorized(stale=True)  # right key, but a nonce we no longer know (expired and forgotten, or reset)
            if self._clock() - state['issued'] > self._lifetime():
                del self._nonces[nonce]
                raise Unauthorized(stale=True)
            if count <= state['nc']:
                raise Unauthorized()  # replayed nonce count
            state['nc'] = count
        return params['username']

    def reset(self) -> None:
        with self._lock:
            self._nonces.clear()


def scheme_of(header: str | None) -> str | None:
    """Which Authorization scheme a request carried, for the request log."""
    if not header:
        return None
    return header.split(' ', 1)[0].capitalize()


def check_access_list(key: dict[str, t.Any], address: str) -> None:
    """403 IP_ADDRESS_NOT_ON_ACCESS_LIST unless the key's (or service account's) access list is empty or contains the address."""
    networks = key['access_list']
    if not networks:
        return
    ip = ipaddress.ip_address(address)
    if any(ip in ipaddress.ip_network(net, strict=False) for net in networks):
        return
    raise ApiError(403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', f'IP address {address} is not allowed to access this resource.', [address])


def check_group_access(key: dict[str, t.Any], group_id: str) -> None:
    """401 USER_CANNOT_ACCESS_GROUP when a project-scoped key or service account calls another project of the organization
    (the code and detail Atlas answers, as a Terraform provider test run and a user's report show it; the empty parameters too)."""
    groups = key.get('groups')
    if groups is not None and group_id not in groups:
        raise ApiError(401, 'USER_CANNOT_ACCESS_GROUP', 'User cannot access this group.')


def check_permission(key: dict[str, t.Any], permission: str) -> None:
    """401 USER_UNAUTHORIZED when none of the key's roles allows the call."""
    if not PERMISSIONS[permission] & set(key['roles']):
        raise ApiError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.')
