# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the simulator's answers against the official spec's schemas (a vendored excerpt: spec_restore_schemas.json).

A small validator (no third-party package): $ref, type, required, enum, pattern, date-time, minimum, items. Stricter than
the spec in one way: a field the schema does not list is an error, unless it is one of the documented, observed extras below.
"""
from __future__ import annotations

import json
import os
import re
import typing as t

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'spec_restore_schemas.json'), encoding='utf-8') as _handle:
    SCHEMAS: dict[str, t.Any] = json.load(_handle)['schemas']

# Observed on Atlas but not in the spec: automated jobs carry targetDeploymentItemName; desiredTimestamp has a `time`
# key, comes back as nulls on non-PIT jobs, and its `increment` minimum (1199145600) is nonsense.
EXTRA_FIELDS = {('DiskBackupSnapshotRestoreJob', 'targetDeploymentItemName'), ('ApiBSONTimestampView', 'time')}
LENIENT = {'ApiBSONTimestampView'}
DATE_TIME = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$')
TYPES: dict[str, tuple[type, ...]] = {'object': (dict,), 'array': (list,), 'string': (str,), 'integer': (int,), 'number': (int, float),
                                      'boolean': (bool,)}


def errors(doc: t.Any, name: str) -> list[str]:
    """Every way `doc` breaks schema `name` (empty when it conforms)."""
    found: list[str] = []
    _check(doc, {'$ref': f'#/components/schemas/{name}'}, name, '$', found)
    return found


def assert_conforms(doc: t.Any, name: str) -> None:
    problems = errors(doc, name)
    assert not problems, f'{name}: ' + '; '.join(problems)


def _check(doc: t.Any, schema: dict[str, t.Any], owner: str, where: str, found: list[str]) -> None:
    if '$ref' in schema:
        owner = schema['$ref'].rsplit('/', 1)[1]
        schema = SCHEMAS[owner]
    if doc is None:
        if owner not in LENIENT:
            found.append(f'{where} is null')
        return
    kind = schema.get('type')
    if kind and (not isinstance(doc, TYPES[kind]) or (kind in ('integer', 'number') and isinstance(doc, bool))):
        found.append(f'{where} should be {kind}, got {doc!r}')
        return
    if 'enum' in schema and doc not in schema['enum']:
        found.append(f'{where}={doc!r} not in {schema["enum"]}')
    if isinstance(doc, str):
        pattern = schema.get('pattern')
        if pattern and '\\p' not in pattern and not re.search(pattern, doc):
            found.append(f'{where}={doc!r} does not match {pattern}')
        if schema.get('format') == 'date-time' and not DATE_TIME.match(doc):
            found.append(f'{where}={doc!r} is not a date-time')
    if isinstance(doc, (int, float)) and 'minimum' in schema and doc < schema['minimum'] and owner not in LENIENT:
        found.append(f'{where}={doc} is below {schema["minimum"]}')
    if isinstance(doc, list) and 'items' in schema:
        for index, item in enumerate(doc):
            _check(item, schema['items'], owner, f'{where}[{index}]', found)
    if isinstance(doc, dict):
        _check_object(doc, schema, owner, where, found)


def _check_object(doc: dict[str, t.Any], schema: dict[str, t.Any], owner: str, where: str, found: list[str]) -> None:
    properties = schema.get('properties', {})
    for key in schema.get('required', []):
        if key not in doc:
            found.append(f'{where}.{key} is required')
    for key, value in doc.items():
        if key in properties:
            _check(value, properties[key], owner, f'{where}.{key}', found)
        elif properties and (owner, key) not in EXTRA_FIELDS:
            found.append(f'{where}.{key} is not in {owner}')
