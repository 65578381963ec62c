# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations


class ModuleDocFragment:
    """The connection options every module shares, the shared attributes, and the wait options of the modules that wait."""

    DOCUMENTATION = r"""
options:
  client_id:
    description:
      - Client ID of an Atlas service account (C(mdb_sa_id_) followed by 24 hexadecimal characters), which authenticates
        with OAuth 2.0 client credentials. Atlas recommends service accounts over API keys.
      - Goes with O(client_secret). If no credentials are given as task options, the environment variable
        E(MONGODB_ATLAS_CLIENT_ID) is used.
      - The modules fetch an access token (valid for an hour) from C({api_base_url}/api/oauth/token) and cache it, so a
        play, and parallel forks, use one token between them; see O(token_cache).
    type: str
    version_added: 0.3.0
  client_secret:
    description:
      - Secret of the service account O(client_id) (C(mdb_sa_sk_...)). Never logged, never written to the token cache.
      - If no credentials are given as task options, the environment variable E(MONGODB_ATLAS_CLIENT_SECRET) is used.
    type: str
    version_added: 0.3.0
  access_token:
    description:
      - A bearer access token obtained elsewhere (for example by another tool from a service account). Sent as is and
        never renewed; when it expires, the task fails saying so. Never logged.
      - If no credentials are given as task options, the environment variable E(MONGODB_ATLAS_ACCESS_TOKEN) is used.
    type: str
    version_added: 0.3.0
  api_public_key:
    description:
      - Public key of the Atlas programmatic API key (the HTTP Digest user name). Goes with O(api_private_key).
      - If no credentials are given as task options, the environment variable E(MONGODB_ATLAS_PUBLIC_KEY) is used,
        then E(MONGODB_ATLAS_PUBLIC_API_KEY).
      - A service account's client ID (C(mdb_sa_id_...)) given here is refused; use O(client_id) instead.
    type: str
  api_private_key:
    description:
      - Private key of the Atlas programmatic API key (the HTTP Digest password). Never logged.
      - If no credentials are given as task options, the environment variable E(MONGODB_ATLAS_PRIVATE_KEY) is used,
        then E(MONGODB_ATLAS_PRIVATE_API_KEY).
    type: str
  token_cache:
    description:
      - Cache service-account access tokens in O(token_cache_dir) on the host that runs the module, so that the tasks
        and forks of a play share one token instead of asking Atlas for one each (Atlas allows a service account 100
        active tokens, and 10 token requests a minute by the answer it gives when rate limiting, 50 by its
        troubleshooting page).
      - V(false) fetches a token per task and writes nothing.
      - If not set, the environment variable E(MONGODB_ATLAS_TOKEN_CACHE) is used.
    type: bool
    default: true
    version_added: 0.3.0
  token_cache_dir:
    description:
      - Directory of the token cache. Created with mode C(0700); a directory that another user owns or that others can
        enter is not used. A cache that cannot be used (the directory cannot be created, the file cannot be locked or
        written, for example on a read-only home or NFS without locks) costs one warning, and the task fetches a token
        of its own. Each file (mode C(0600)) holds one token and its expiry, keyed by O(api_base_url),
        O(client_id) and a hash of O(client_secret), never the secret itself. A token is renewed when less than 10
        minutes of it remain, and a corrupt or foreign file is replaced, never trusted.
      - If not set, the environment variable E(MONGODB_ATLAS_TOKEN_CACHE_DIR) is used, else C(~/.ansible/cache/mongodb_atlas.backup/tokens)
        of the user running the module (in an AWX job, inside the job's container, so one token per job).
    type: path
    version_added: 0.3.0
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
  - "Credentials: give one method as task options: O(access_token), or O(client_id) and O(client_secret) (a service
    account), or O(api_public_key) and O(api_private_key) (an API key). Two methods given as task options fail, naming
    both. Task options win over the environment; from the environment alone, an access token comes first, then a service
    account, then an API key."
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
      - Seconds to wait in all, V(0) or more. Polling starts every second, each interval 10% longer than the one before,
        up to every 15 seconds, so what finishes after T seconds is noticed within 1 s + 10% of T, and at most 15 s late.
        The last look is at the deadline.
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
