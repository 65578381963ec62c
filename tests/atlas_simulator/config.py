# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's tunables: defaults, validation of partial updates, and --config files."""
from __future__ import annotations

import copy
import json
import re
import typing as t

# Atlas's rate-limit endpoint sets (the docs' rate-limit table of April 2026): a token bucket per project and set, each with its
# own capacity, refilled by `refill` tokens every `period` seconds. The two shared-tier sets are the older table's; only the
# 2025 world serves the tenant endpoints they meter.
RATE_LIMIT_SETS: dict[str, dict[str, t.Any]] = {
    'cloud_backups': {'capacity': 1200, 'refill': 500, 'period': 60},
    'clusters': {'capacity': 10000, 'refill': 5000, 'period': 60},
    'flex_clusters': {'capacity': 1200, 'refill': 500, 'period': 60},
    'flex_snapshots': {'capacity': 1200, 'refill': 500, 'period': 60},
    'flex_restore_jobs': {'capacity': 1200, 'refill': 500, 'period': 60},
    'shared_tier_snapshots': {'capacity': 4000, 'refill': 2000, 'period': 60},
    'shared_tier_restore_jobs': {'capacity': 4000, 'refill': 2000, 'period': 60},
}
BUCKET_FIELDS: dict[str, tuple[float, bool]] = {'capacity': (1, True), 'refill': (1, True), 'period': (0.001, False)}
# The worlds: '2026' is Atlas as of December 2026 (no M2/M5 cluster: each was migrated to Flex and kept its name; the tenant
# backup endpoints answer as removed, with tenant_sunset's status); '2025' is Atlas before 2026-01-22 (M2/M5 clusters and
# their tenant endpoints alive).
WORLDS = ('2026', '2025')

DEFAULTS: dict[str, t.Any] = {
    'world': '2026',
    'nonce_lifetime': 300,
    'tenant_sunset': 410,
    'rate_limit': RATE_LIMIT_SETS,
    'snapshot_durations': {'queued': 1, 'in_progress': 2},
    'download_duration': 1,
    'archive_size': 1048576,
    # Bytes per second that the download host sends on each connection (a storage service's per-connection cap); 0: no cap.
    'download_bandwidth_per_connection': 0,
    'archive_content': 'random',
    'link_lifetime': 14400,
    'failing_clusters': [],
    'failing_downloads': [],
    'list_order': 'newest_first',
    # Restore jobs, in simulator seconds: automated/pointInTime/Flex/tenant restores run for restore_duration;
    # a dedicated download job gets its URLs after restore_download_duration, valid restore_link_lifetime (1 h on Atlas);
    # the next fail_next_restores restore jobs created (any kind) fail.
    'restore_duration': 3,
    'restore_download_duration': 2,
    'restore_link_lifetime': 3600,
    'fail_next_restores': 0,
    # Eventual consistency (Terraform provider issues #1160, #2345): new restore jobs (dedicated, Flex, tenant) and
    # new on-demand snapshots stay out of LIST answers for list_lag_seconds simulator seconds (a GET by id finds them at once).
    'list_lag_seconds': 0,
    # Point-in-time restore jobs answered with the legacy reference's minimal field set: no targetClusterName, targetGroupId,
    # targetDeploymentItemName or snapshotId (automated jobs keep them).
    'pit_legacy_fields': False,
    # Service-account tokens: lifetime in simulator seconds, active tokens per account,
    # token (and revoke) requests per minute per (client address, client id): 10, the stricter of the docs' two numbers
    # (the Terraform guide's quoted 429 says 10, its troubleshooting page 50).
    'oauth': {'token_lifetime': 3600, 'max_active_tokens': 100, 'requests_per_minute': 10},
    # The project's Backup Compliance Policy: null (none, the default) or DataProtectionSettings20231001 fields,
    # e.g. {"scheduledPolicyItems": [{"frequencyType": "daily", "frequencyInterval": 1, "retentionUnit": "days", "retentionValue": 7}]}.
    'compliance_policy': None,
}
SEED_KEYS = ('api_keys', 'service_accounts', 'clusters', 'project_id', 'flex_restore_jobs', 'fleet')
MAX_SEEDED_JOBS = 100000
FLEET_LIMITS = {'projects': 100, 'clusters_per_project': 50}  # the `fleet` seed key (fleet.py): N projects of M clusters each


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message says which and why."""


def _number(name: str, value: t.Any, minimum: float = 0, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        kind = 'an integer' if integer else 'a number'
        raise ConfigError(f'{name} must be {kind} >= {minimum}, got {value!r}')


def _names(name: str, value: t.Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{name} must be a list of cluster names, got {value!r}')


def _section(name: str, value: t.Any, fields: dict[str, tuple[float, bool]]) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f'{name} must be an object with keys {sorted(fields)}')
    for key, item in value.items():
        if key not in fields:
            raise ConfigError(f'{name}.{key} is not a known setting; known: {sorted(fields)}')
        _number(f'{name}.{key}', item, *fields[key])


def _rate_limit(value: t.Any) -> None:
    """rate_limit: per endpoint set ({"flex_snapshots": {"capacity": 2}}), and/or capacity/refill/period for every set at once."""
    if not isinstance(value, dict):
        raise ConfigError(f'rate_limit must be an object with keys among {sorted(RATE_LIMIT_SETS) + sorted(BUCKET_FIELDS)}')
    for key, item in value.items():
        if key in BUCKET_FIELDS:
            _number(f'rate_limit.{key}', item, *BUCKET_FIELDS[key])
        elif key in RATE_LIMIT_SETS:
            _section(f'rate_limit.{key}', item, BUCKET_FIELDS)
        else:
            raise ConfigError(f'rate_limit.{key} is not a known endpoint set or setting; known: {sorted(RATE_LIMIT_SETS) + sorted(BUCKET_FIELDS)}')


def _fleet(value: t.Any) -> None:
    """fleet: {"projects": 1-100, "clusters_per_project": 1-50}."""
    if not isinstance(value, dict) or set(value) != set(FLEET_LIMITS):
        raise ConfigError(f'fleet must be {{"projects": N, "clusters_per_project": M}}, got {value!r}')
    for key, most in FLEET_LIMITS.items():
        item = value[key]
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= most:
            raise ConfigError(f'fleet.{key} must be an integer from 1 to {most}, got {item!r}')


def tenant_gone(config: dict[str, t.Any]) -> bool:
    """True in the 2026 world: M2/M5 clusters are Flex clusters and the tenant backup endpoints are removed."""
    return config.get('world', DEFAULTS['world']) != '2025'


def validate(partial: t.Any, allow_seed: bool = False) -> dict[str, t.Any]:
    """Check a partial configuration; return it unchanged or raise ConfigError."""
    if not isinstance(partial, dict):
        raise ConfigError('the configuration must be a JSON object')
    for key, value in partial.items():
        if key in SEED_KEYS and allow_seed:
            if key == 'project_id':
                if not isinstance(value, str) or not re.fullmatch(r'[a-f0-9]{24}', value):
                    raise ConfigError(f'project_id must be 24 lowercase hexadecimal characters, got {value!r}')
            elif key == 'flex_restore_jobs':
                _number(key, value, 0, integer=True)
                if value > MAX_SEEDED_JOBS:
                    raise ConfigError(f'flex_restore_jobs must be at most {MAX_SEEDED_JOBS}, got {value!r}')
            elif key == 'fleet':
                _fleet(value)
            elif not isinstance(value, list) or not value:
                raise ConfigError(f'{key} must be a non-empty list')
            continue  # the entries are checked when the seed is built (seed.py)
        if key not in DEFAULTS:
            raise ConfigError(f'{key!r} is not a known setting; known: {sorted(DEFAULTS)}')
        if key == 'list_order':
            if value not in ('newest_first', 'oldest_first'):
                raise ConfigError(f'list_order must be newest_first or oldest_first, got {value!r}')
        elif key == 'world':
            if value not in WORLDS:
                raise ConfigError(f'world must be one of {list(WORLDS)} (Atlas as of December 2026, or before the 2026-01-22 tenant sunset), '
                                  f'got {value!r}')
        elif key == 'tenant_sunset':
            if isinstance(value, bool) or value not in (404, 410):
                raise ConfigError(f'tenant_sunset must be 404 or 410 (how the removed tenant endpoints answer in the 2026 world; '
                                  f'{{"world": "2025"}} keeps them alive), got {value!r}')
        elif key == 'rate_limit':
            _rate_limit(value)
        elif key == 'oauth':
            _section(key, value, {'token_lifetime': (1, False), 'max_active_tokens': (1, True), 'requests_per_minute': (1, True)})
        elif key == 'snapshot_durations':
            _section(key, value, {'queued': (0, False), 'in_progress': (0, False)})
        elif key == 'compliance_policy':
            if value is not None and not isinstance(value, dict):
                raise ConfigError(f'compliance_policy must be null or an object of DataProtectionSettings fields, got {value!r}')
        elif key in ('failing_clusters', 'failing_downloads'):
            _names(key, value)
        elif key == 'archive_size':
            _number(key, value, 1024, integer=True)
        elif key == 'archive_content':
            if value not in ('random', 'mongodump'):
                raise ConfigError(f'archive_content must be random or mongodump, got {value!r}')
        elif key == 'fail_next_restores':
            _number(key, value, 0, integer=True)
        elif key == 'pit_legacy_fields':
            if not isinstance(value, bool):
                raise ConfigError(f'pit_legacy_fields must be true or false, got {value!r}')
        else:
            _number(key, value, 0 if key in ('download_duration', 'restore_duration', 'restore_download_duration', 'list_lag_seconds',
                                             'download_bandwidth_per_connection') else 0.001)
    return partial


def merge(base: dict[str, t.Any], partial: dict[str, t.Any]) -> dict[str, t.Any]:
    """A copy of base with a validated partial applied (sections merge key by key, rate_limit's sets too).

    rate_limit's capacity/refill/period given at its top level apply to every endpoint set.
    """
    result = copy.deepcopy(base)
    for key, value in partial.items():
        if key == 'rate_limit' and isinstance(value, dict):
            limits = result.setdefault(key, {})
            for name in RATE_LIMIT_SETS:
                limits.setdefault(name, dict(RATE_LIMIT_SETS[name]))
                limits[name].update({field: item for field, item in value.items() if field in BUCKET_FIELDS})
                limits[name].update(value.get(name, {}))
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key].update(value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def load_file(path: str) -> dict[str, t.Any]:
    """Read a --config JSON file; raise ConfigError with a one-line reason."""
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ConfigError(f'cannot read config file {path}: {exc.strerror}') from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f'config file {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}') from None
    return validate(data, allow_seed=True)
