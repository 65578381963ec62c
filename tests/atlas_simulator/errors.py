# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atlas error responses: the ApiError exception and the JSON body Atlas sends with it."""
from __future__ import annotations

import http
import typing as t


class ApiError(Exception):
    """An Atlas error answer: HTTP status, errorCode, detail, parameters, extra headers."""

    def __init__(self, status: int, code: str, detail: str, parameters: list | None = None, headers: dict | None = None) -> None:
        super().__init__(f'{status} {code}: {detail}')
        self.status = status
        self.code = code
        self.detail = detail
        self.parameters = parameters or []
        self.headers = headers or {}

    def body(self) -> dict[str, t.Any]:
        return {
            'detail': self.detail,
            'error': self.status,
            'errorCode': self.code,
            'parameters': self.parameters,
            'reason': reason(self.status),
        }


def reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return 'Unknown'


def not_found_cluster(name: str, group_id: str) -> ApiError:
    return ApiError(404, 'CLUSTER_NOT_FOUND', f'No cluster named {name} exists in group {group_id}.', [name, group_id])


def bad_attribute(name: str, detail: str | None = None) -> ApiError:
    return ApiError(400, 'INVALID_ATTRIBUTE', detail or f'Invalid attribute {name} specified.', [name])


def validation(detail: str) -> ApiError:
    return ApiError(400, 'VALIDATION_ERROR', detail)
