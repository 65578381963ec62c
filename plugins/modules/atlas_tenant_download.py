#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_tenant_download
short_description: Download a Flex or legacy M2/M5 MongoDB Atlas snapshot, verified
version_added: 0.1.0
description:
  - Requests a download link for a snapshot of a Flex cluster (or a legacy M2/M5 shared-tier cluster) and, with O(dest),
    downloads the archive, checks it and moves it into place atomically.
  - Since 2026-01-22 Atlas has no M2/M5 clusters (they all became Flex clusters), and the shared-tier (tenant) backup
    endpoints were removed. O(download_api=auto) uses the Flex API for Flex clusters, the tenant API for clusters that
    still report M2/M5, and falls back to the Flex API when the tenant API answers as removed (HTTP 404 or 410).
  - Idempotent. A download job for the same snapshot that has not failed and whose link stays valid for at least
    10 more minutes is reused instead of requesting a new one. An existing O(dest) is left alone unless O(force=true).
  - The archive is fetched from the pre-signed link without any Atlas credentials, streamed in chunks to a temporary
    file beside O(dest), checked (HTTP status, length, gzip magic, readable tar), hashed with SHA-256, then moved into
    place. A failed download leaves O(dest) exactly as it was, and no temporary C(.part) file survives any failure,
    SIGTERM during the download included.
  - A transfer that the storage host resets or closes early continues with an HTTP C(Range) request from the bytes
    already written, up to O(retries) times and only while the link is valid (on Atlas's clock). The SHA-256 and the
    archive check still cover the whole file.
  - The archive is written with mode C(0600) (it holds a whole database) unless O(mode) says otherwise. O(mode),
    O(owner) and O(group) are checked before anything is asked of Atlas, and applied to the temporary file before it
    is moved into place.
extends_documentation_fragment:
  - mongodb_atlas.backup.atlas
  - mongodb_atlas.backup.atlas.wait
  - mongodb_atlas.backup.atlas.attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: Reads Atlas; requests no link and writes no file, and reports what a real run would change.
  diff_mode:
    support: none
options:
  snapshot_id:
    description:
      - ID of the snapshot to download (24 lowercase hexadecimal characters). It must be completed.
      - When not set, the newest completed snapshot of the cluster.
    type: str
  download_api:
    description:
      - Which Atlas API serves the download.
      - V(auto) picks by cluster kind and falls back from the removed tenant API to Flex.
      - V(flex) forces C(/flexClusters/{name}/backup/download); V(tenant) forces the legacy C(/clusters/{name}/backup/tenant/download).
    type: str
    default: auto
    choices: [auto, flex, tenant]
  wait_timeout:
    default: 1800
  dest:
    description:
      - Where to save the archive. An existing directory (or a path ending in C(/)) receives C(<snapshot_id>.tgz).
      - Needs O(wait=true) (the default), since the archive can only be fetched once the download job has a link.
      - Its directory must exist and be writable. In check mode a directory that does not exist yet (because an earlier
        task of the play creates it) is only a warning, and the task reports C(changed=true).
      - When set, the result carries no usable link (RV(restore_job) has no C(snapshot_url)); RV(link_expires_at) says
        how long the link Atlas issued stays valid.
      - When not set, only the link is requested and returned (RV(restore_job.snapshot_url)).
    type: path
  force:
    description:
      - Download again even if O(dest) exists (with a fresh or reused link). Without it an existing O(dest) is left alone
        and no link is requested.
    type: bool
    default: false
  validate_archive:
    description:
      - Read the whole archive as a gzip'd tar before moving it into place (gzip CRC and length, every tar header, the
        end-of-archive marker).
      - Bytes after the end of the gzip stream are ignored with a warning, as C(gzip -t) and C(tar) do.
    type: bool
    default: true
  mode:
    description:
      - The permissions of the archive written to O(dest).
      - When not set, the archive is written C(0600) (it holds a whole database), whatever the umask.
      - The other file options (O(owner), O(group), O(seuser), O(serole), O(setype), O(selevel), O(attributes),
        O(unsafe_writes)) also apply to the archive only, and only with O(dest). O(owner) and O(group) usually matter;
        the SELinux ones and O(attributes) only where the filesystem uses them. O(group) is a Unix group of the file,
        not an Atlas project (that is O(group_id)).
    type: raw
notes:
  - The signed RV(restore_job.snapshot_url) is a bearer secret for four hours - anyone holding it can fetch the database
    dump. It is never written into an error message or a warning, and it is not returned at all when O(dest) is set.
    Without O(dest) it is returned, since it is what the task asks for; AWX and other central logs store every task
    result, so set C(no_log) to C(true) on such a task (see the examples).
author:
  - mongodb_atlas.backup maintainers (@mongodb-atlas-backup)
seealso:
  - module: mongodb_atlas.backup.atlas_snapshot_info
"""

EXAMPLES = r"""
- name: Get a download link for the newest snapshot of a Flex cluster (no file written); no_log keeps it out of AWX job events
  mongodb_atlas.backup.atlas_tenant_download:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Flex0
  register: link
  no_log: true

- name: Hand the link to the host that restores it, still without logging it
  ansible.builtin.get_url:
    url: "{{ link.restore_job.snapshot_url }}"
    dest: /var/tmp/flex0.tgz
    mode: "0600"
  no_log: true

- name: A private directory for the archives (the module writes into an existing directory)
  ansible.builtin.file:
    path: /srv/backups/flex0
    state: directory
    mode: "0750"

- name: Download the newest snapshot into it, as <snapshot_id>.tgz, readable by the backup group only
  mongodb_atlas.backup.atlas_tenant_download:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Flex0
    dest: /srv/backups/flex0/
    mode: "0640"
    group: backup
  register: archive

- name: Show where it went
  ansible.builtin.debug:
    msg: "{{ archive.dest }}: {{ archive.size | default('not downloaded in check mode') }} bytes, sha256 {{ archive.checksum | default('-') }}"

- name: Refresh a fixed file name with a specific snapshot, even if the file exists
  mongodb_atlas.backup.atlas_tenant_download:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Flex0
    snapshot_id: "{{ archive.restore_job.snapshot_id | default(link.restore_job.snapshot_id) }}"
    dest: /srv/backups/flex0/latest.tgz
    force: true

- name: A directory for a former M2/M5 cluster's archives
  ansible.builtin.file:
    path: /srv/backups/tenant0
    state: directory
    mode: "0700"

- name: A former M2/M5 cluster, through the tenant API where Atlas still serves it, else the Flex API (download_api auto)
  mongodb_atlas.backup.atlas_tenant_download:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Tenant0
    dest: /srv/backups/tenant0/
  register: tenant_archive

- name: Which API served it
  ansible.builtin.debug:
    msg: "{{ tenant_archive.download_api }}"
"""

RETURN = r"""
retries_used:
  description:
    - How many retries the task spent (of requests, of polls, and of download transfers), over all its requests.
    - Retries that succeed are not warned about unless they cost more than 10 seconds in all.
  returned: always, once the options are valid
  type: int
  sample: 0
restore_job:
  description:
    - The download job, snake_case (tenant API C(TenantRestore) or Flex C(FlexBackupRestoreJob20241113)), with the
      normalized RV(restore_job.status), RV(restore_job.created_at) and RV(restore_job.expires_at).
    - In check mode, when a new job would be requested, only RV(restore_job.snapshot_id) is set.
    - V({}) when O(dest) already exists and O(force) is not set.
  returned: always
  type: dict
  contains:
    id:
      description: Job ID.
      type: str
      sample: 6a0000000000000000000002
    snapshot_id:
      description: The snapshot being downloaded.
      type: str
      sample: 65a000000000000000000501
    status:
      description:
        - C(queued), C(inProgress), C(completed) or C(failed) (Atlas's C(PENDING) and C(QUEUED), C(RUNNING), C(COMPLETED),
          C(FAILED); changed in 0.2.0).
      type: str
      sample: completed
    created_at:
      description: When the job was requested (Atlas's C(restoreScheduledDate)), in UTC.
      type: str
      sample: "2026-11-22T13:16:04Z"
    expires_at:
      description: When the link stops working (Atlas's C(expirationDate)), in UTC.
      type: str
      sample: "2026-11-22T17:16:04Z"
    delivery_type:
      description: Always C(DOWNLOAD).
      type: str
      sample: DOWNLOAD
    snapshot_url:
      description:
        - Pre-signed link to the archive, valid until RV(restore_job.expiration_date). A secret.
        - Only when O(dest) is not set.
      type: str
      sample: https://storage.example/backup-downloads/6a00/65a0.tgz?X-Amz-Signature=...
    expiration_date:
      description: When the link stops working.
      type: str
      sample: "2026-11-22T17:16:04Z"
link_expires_at:
  description:
    - When the download link Atlas issued stops working, in UTC. Returned instead of the link itself when O(dest) is set.
  returned: when Atlas has issued a link
  type: str
  sample: "2026-11-22T17:16:04Z"
download_api:
  description: The API that served the download, after any fallback.
  returned: always
  type: str
  sample: flex
dest:
  description: Where the archive is.
  returned: when O(dest) is set
  type: str
  sample: /srv/backups/flex0/65a000000000000000000501.tgz
size:
  description: Size of the archive in bytes.
  returned: when O(dest) is set and not in check mode
  type: int
  sample: 1048576
checksum:
  description: SHA-256 of the archive.
  returned: when O(dest) is set and not in check mode
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import Destination
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._flex_download import DownloadOptions, FlexDownload
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AnsibleFiles, AtlasModule, wait_argument_spec


def prepare_destination(atlas: AtlasModule) -> Destination | None:
    """Check dest before any request: wait is on, its directory is there and writable, the file attributes apply."""
    params = atlas.params
    if not params['dest']:
        return None
    if not params['wait']:
        raise TaskError('dest needs wait: true, since the archive can only be downloaded once its link is ready.')
    files = AnsibleFiles(atlas.module)
    destination = Destination(params['dest'], files)
    warning = destination.check_directory(atlas.check_mode)
    if warning:
        atlas.warn(warning)
    elif not atlas.check_mode:
        destination.probe_attributes(files.requested)
    return destination


def run(atlas: AtlasModule) -> None:
    params = atlas.params
    atlas.check_id('snapshot_id', params['snapshot_id'])
    destination = prepare_destination(atlas)
    kept = destination.existing(params['snapshot_id'], params['force']) if destination else None
    if kept is not None:  # dest (named by the snapshot asked for) is already there: nothing is requested
        atlas.exit(**kept)
    options = DownloadOptions(atlas.group_id, atlas.cluster_name, params['snapshot_id'], params['download_api'], params['wait'], params['force'],
                              params['validate_archive'], atlas.check_mode)
    changed, result = FlexDownload(atlas.client, options, deadline=atlas.deadline, warn=atlas.warn, destination=destination).run()
    atlas.exit(changed=changed, **result)


def main() -> None:
    atlas = AtlasModule(
        argument_spec=dict(
            snapshot_id=dict(type='str'),
            download_api=dict(type='str', default='auto', choices=['auto', 'flex', 'tenant']),
            **wait_argument_spec(timeout=1800),
            dest=dict(type='path'),
            force=dict(type='bool', default=False),
            validate_archive=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
        add_file_common_args=True,
    )
    atlas.run(lambda: run(atlas))


if __name__ == '__main__':
    main()
