# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations


class ModuleDocFragment:
    """The connection options every module shares, the shared attributes, and the wait options of the modules that wait."""

    DOCUMENTATION = r"""
options:
  api_public_key:
    description:
      - Public key of the Atlas programmatic API key (the HTTP Digest user name).
      - If not set, the environment variable E(MONGODB_ATLAS_PUBLIC_KEY) is used,
        then E(MONGODB_ATLAS_PUBLIC_API_KEY).
    type: str
  api_private_key:
    description:
      - Private key of the Atlas programmatic API key (the HTTP Digest password). Never logged.
      - If not set, the environment variable E(MONGODB_ATLAS_PRIVATE_KEY) is used,
        then E(MONGODB_ATLAS_PRIVATE_API_KEY).
    type: str
  api_base_url:
    description:
      - Root URL of the Atlas Administration API host, without a path.
      - If not set, the environment variable E(MONGODB_ATLAS_BASE_URL) is used,
        else V(https://cloud.mongodb.com).
    type: str
  api_version:
    description:
      - Which Atlas Administration API to call.
      - V(v2) sends the resource version in the C(Accept) header (C(application/vnd.atlas.2023-01-01+json)
        for cloud backup and tenant calls, C(application/vnd.atlas.2024-11-13+json) for Flex calls).
      - V(v1.0) uses the deprecated C(/api/atlas/v1.0) paths with plain JSON. Flex clusters exist only
        in v2, so Flex calls always use v2.
    type: str
    default: v2
    choices: [v2, v1.0]
  group_id:
    description:
      - The Atlas project (group) ID, 24 lowercase hexadecimal characters. Checked before any request.
      - If not set, the environment variable E(MONGODB_ATLAS_PROJECT_ID) is used.
    type: str
    aliases: [project_id]
  cluster_name:
    description:
      - Name of the cluster (dedicated, Flex, or legacy M2/M5). Checked before any request.
    type: str
    required: true
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the Atlas API and of download links.
      - V(false) turns every certificate check off, even when O(ca_path) is set (O(ca_path) is then ignored, with a
        warning). For testing only.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a CA bundle (PEM file, or a directory prepared with C(c_rehash)) used to verify TLS certificates, for a
        private CA or a proxy that re-signs traffic.
      - Checked before any request. A path that does not exist, cannot be read, or holds no PEM certificate fails the
        task with a message saying which.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request to connect and to answer.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is retried after a transient failure (HTTP 429, 500, 502, 503,
        504, connection errors), with exponential backoff and jitter, never sooner than Atlas's
        C(Retry-After). A POST is retried only when Atlas certainly did not act on it.
      - Retries that succeed are quiet; every result carries C(retries_used), and one warning appears when retries
        cost more than 10 seconds. When they run out, the failure names the root cause once (connection refused, DNS,
        timeout, reset, TLS) and how many attempts were made.
    type: int
    default: 5
requirements:
  - requests >= 2.28 (on the host that runs the module, usually localhost or the execution environment)
notes:
  - All modules of this collection belong to the action group C(mongodb_atlas.backup.atlas), so the
    connection options can be set once with C(module_defaults).
  - Set the private key in the controller's environment, in a vault, or as an option; do not pass it with the
    task keyword C(environment), which C(-vvv) prints in clear.
  - Proxies are taken from the standard environment variables (E(HTTPS_PROXY), E(NO_PROXY)).
  - Times from Atlas are parsed strictly (ISO 8601 with C(Z) or an offset, fractions of any length). A time that cannot
    be read never counts as recent enough (O(mongodb_atlas.backup.atlas_snapshot#module:max_age)) nor as a link that is
    still valid; the modules then take the conservative path (take a new snapshot, request a new link).
  - Lists in results are newest first, by creation time, whatever order Atlas returns them in.
  - An unexpected error ends the task with a one-line message and the traceback in C(exception) (shown at C(-vvv)),
    never a bare traceback. Every result also carries C(changed=true) once Atlas was written to, even when the task then
    fails (for example a snapshot taken, then a wait that timed out).
"""

    WAIT = r"""
options:
  wait:
    description:
      - Wait until what the task started or found (a snapshot, a download job) has finished before returning.
        A failed one fails the task, with Atlas's reason.
      - When Atlas was written to but the wait then times out or fails, the task fails with C(changed=true).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait in all, V(0) or more. Polling starts every second and backs off to every 30 seconds; the last
        look is at the deadline.
      - A timeout fails the task, naming what it waited for and the last status Atlas reported.
    type: int
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying the target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  action_group:
    description: Use C(group/mongodb_atlas.backup.atlas) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - mongodb_atlas.backup.atlas
"""
