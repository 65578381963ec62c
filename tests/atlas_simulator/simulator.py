# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator as one object: world, clock, keys, service accounts and their tokens, nonces, rate buckets, faults, request log and link signer,
with reset to the seed and live configuration changes. Shared by both listeners and the control API."""
from __future__ import annotations

import threading
import time
import typing as t

from atlas_simulator import config as config_mod, fleet, seed
from atlas_simulator.auth import DigestAuthenticator
from atlas_simulator.downloads import Archives, Signer, restore_object_path
from atlas_simulator.faults import Faults
from atlas_simulator.oauth import OAuthServer
from atlas_simulator.ratelimit import TokenBuckets
from atlas_simulator.state import Clock, DownloadJob, Ids, RestoreJob, World


class Simulator:
    """All the simulator's state; `reset()` puts it back to the seed and the start-up configuration."""

    def __init__(self, startup_config: dict[str, t.Any]) -> None:
        self.startup_config = config_mod.validate(startup_config, allow_seed=True)
        self.clock = Clock()
        self.faults = Faults()
        self.signer = Signer()
        self.archives = Archives()
        self.log: list[dict[str, t.Any]] = []
        self.log_lock = threading.Lock()
        # download_bandwidth_per_connection's pacing: real time by default; tests swap in a recorder and a fake clock
        self.throttle_sleep: t.Callable[[float], None] = time.sleep
        self.throttle_clock: t.Callable[[], float] = time.monotonic
        self.download_base = ''
        self.config: dict[str, t.Any] = {}
        self.world: World  # the home project (GROUP_ID unless project_id is seeded)
        self.worlds: dict[str, World] = {}  # every project by id: the home project, then the fleet's (seed key `fleet`)
        self.keys: dict[str, dict[str, t.Any]] = {}
        self.service_accounts: dict[str, dict[str, t.Any]] = {}
        self.auth = DigestAuthenticator(self.keys, lambda: self.config['nonce_lifetime'], self.seconds)
        self.oauth = OAuthServer(self.service_accounts, lambda: self.config['oauth'], self.seconds)
        self.buckets = TokenBuckets(lambda: self.config['rate_limit'], self.seconds)
        self.reset()

    def seconds(self) -> float:
        """Simulator time as epoch seconds."""
        return self.clock.now().timestamp()

    def reset(self, partial: dict[str, t.Any] | None = None) -> None:
        """Back to the seed and the start-up configuration, then apply `partial` (settings and, optionally, seed keys).

        Everything is built before anything is replaced, so a bad `partial` (ConfigError) changes nothing.
        """
        partial = partial or {}
        startup_seed = {k: v for k, v in self.startup_config.items() if k in config_mod.SEED_KEYS}
        seed_spec = dict(startup_seed, **{k: v for k, v in partial.items() if k in config_mod.SEED_KEYS})
        settings = {k: v for k, v in self.startup_config.items() if k not in config_mod.SEED_KEYS}
        merged = config_mod.merge(config_mod.merge(config_mod.DEFAULTS, settings),
                                  {k: v for k, v in partial.items() if k not in config_mod.SEED_KEYS})
        clock = Clock()
        home = seed_spec.get('project_id', seed.GROUP_ID)
        keys = seed.build_keys(seed_spec.get('api_keys'), home)
        accounts = seed.build_service_accounts(seed_spec.get('service_accounts'), home)
        clusters = seed.build_clusters(clock.now(), seed_spec.get('clusters'))
        ids = Ids()
        world = World(home, clusters, merged, ids)
        world.jobs.extend(seed.build_flex_restore_jobs(clock.now(), clusters, seed_spec.get('flex_restore_jobs', 0)))
        worlds = {home: world}
        projects = fleet.build(clock.now(), seed_spec.get('fleet'))
        for project in projects:
            worlds[project.group_id] = World(project.group_id, project.clusters, merged, ids)
            keys.update(seed.build_keys([project.key], project.group_id))
            accounts.update(seed.build_service_accounts([project.service_account], project.group_id))
        if projects:
            accounts.update(seed.build_service_accounts([fleet.ORG_SERVICE_ACCOUNT]))
        self.clock = clock
        self.config = merged
        self.keys.clear()
        self.keys.update(keys)
        self.service_accounts.clear()
        self.service_accounts.update(accounts)
        self.world = world
        self.worlds = worlds
        self.faults.clear()
        self.buckets.reset()
        self.auth.reset()
        self.oauth.reset()
        with self.log_lock:
            self.log.clear()

    def update_config(self, partial: dict[str, t.Any]) -> None:
        """PATCH /__sim__/config: validate, then merge into the live settings."""
        merged = config_mod.merge(self.config, config_mod.validate(partial))
        with self.world.lock:
            self.config.clear()
            self.config.update(merged)

    def record(self, entry: dict[str, t.Any]) -> dict[str, t.Any]:
        """Append to the request log, numbering entries from 1."""
        with self.log_lock:
            entry['seq'] = len(self.log) + 1
            self.log.append(entry)
        return entry

    def snapshot_url(self, job: DownloadJob) -> str:
        """The pre-signed link of a completed download job, on the download host."""
        expires = int(job.link_expires().timestamp())
        return self.signer.url(self.download_base, job.id, job.snapshot_id, expires, int(job.link_lifetime))

    def restore_url(self, job: RestoreJob, replica_set: str, member_id: str) -> str:  # pylint: disable=unused-argument
        """The pre-signed link of one replica set's archive of a ready download restore job (one per shard and config server)."""
        expires = job.expires_at() or job.ready_at()
        name = restore_object_path(job.id, member_id).rsplit('/', 1)[1]
        return self.signer.url(self.download_base, job.id, member_id, int(expires.timestamp()), int(job.link_lifetime), name=name)

    def restore_link_refusal(self, path: str, job_id: str) -> str | None:
        """Why the download host refuses a restore job's link beyond its signature and expiry: cancelled, or already used once."""
        world = self.world_of_restore(job_id)
        with world.lock:
            job = world.restore_job(job_id)
            if job is None:
                return None
            if job.cancelled(self.clock.now()):
                return 'The restore job was cancelled'
            if path in world.used_links:
                return 'This one-time download link has already been used'
        return None

    def restore_link_used(self, path: str, job_id: str) -> None:
        """A GET served a restore job's archive to its last byte: the one-time link stops working."""
        world = self.world_of_restore(job_id)
        with world.lock:
            if world.restore_job(job_id) is not None:
                world.used_links.add(path)

    def world_of_restore(self, job_id: str) -> World:
        """The project holding a dedicated restore job (the home project when none does)."""
        return next((world for world in self.worlds.values() if world.restore_job(job_id) is not None), self.world)
