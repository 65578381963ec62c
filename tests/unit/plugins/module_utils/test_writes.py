# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""post_without_duplicates: list again until the settling time has passed before any repeat; a restore POST never twice."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _waiter
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasAmbiguousWriteError, AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import Deadline
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._writes import PostPlan, post_without_duplicates


class Clock:
    def __init__(self, monkeypatch):
        self.now = 0.0
        self.sleeps = []
        monkeypatch.setattr(_waiter.time, 'monotonic', lambda: self.now)
        monkeypatch.setattr(_waiter.time, 'sleep', self.sleep)

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class Client:
    """Atlas's clock runs `speed` times the fake clock (a simulator whose time runs faster), from 2026-12-05 00:00 UTC."""
    retries = 3

    def __init__(self, clock=None, speed=1.0):
        self.wrote = False
        self.clock = clock
        self.speed = speed

    def now(self):
        seconds = self.clock.now * self.speed if self.clock else 0.0
        return datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=seconds)

    def wrote_to_atlas(self):
        self.wrote = True


def ambiguous():
    return AtlasAmbiguousWriteError(None, 'NETWORK_RESET', 'the connection was reset', 'POST', '/x')


class Atlas:
    """POSTs that create a job Atlas lists only after `lag` seconds of the fake clock."""

    def __init__(self, clock, answers, lag):
        self.clock = clock
        self.answers = list(answers)
        self.lag = lag
        self.created = []
        self.posts = 0

    def post(self):
        self.posts += 1
        answer = self.answers.pop(0)
        if answer in ('drop', 'ok'):
            self.created.append({'id': f'job{len(self.created)}', 'at': self.clock.now})
        if answer == 'drop':
            raise ambiguous()
        if isinstance(answer, AtlasApiError):
            raise answer
        return self.created[-1]

    def find_new(self):
        listed = [job for job in self.created if self.clock.now - job['at'] >= self.lag]
        return listed[-1] if listed else None


def refuse(err):
    raise err


@pytest.mark.parametrize('repeat', [True, False])
def test_an_ambiguous_post_adopts_what_atlas_lists_within_the_settling_time(monkeypatch, repeat):
    clock = Clock(monkeypatch)
    atlas = Atlas(clock, ['drop', 'ok'], lag=20)
    client = Client(clock)
    plan = PostPlan('restore job', atlas.post, atlas.find_new, refuse, 'Cluster0', repeat=repeat)
    job = post_without_duplicates(client, plan, deadline=Deadline(3600), warn=lambda msg: None)
    assert job['id'] == 'job0' and atlas.posts == 1 and client.wrote  # 0.3.0 listed once, at once, and posted again
    assert 20 <= clock.now < 25  # re-listed on the waiter's schedule until it showed


def test_a_restore_is_never_posted_twice_when_nothing_is_listed(monkeypatch):
    clock = Clock(monkeypatch)
    atlas = Atlas(clock, ['drop', 'ok'], lag=10 ** 6)
    client = Client(clock)
    plan = PostPlan('restore job', atlas.post, atlas.find_new, refuse, 'Cluster0', repeat=False)
    with pytest.raises(TaskError) as failure:
        post_without_duplicates(client, plan, deadline=Deadline(3600), warn=lambda msg: None)
    assert atlas.posts == 1 and 'never requested twice' in failure.value.msg and client.wrote
    assert clock.now == pytest.approx(60.0)  # the settling time, then the task stops


def test_the_settling_time_never_outlasts_the_task_deadline(monkeypatch):
    clock = Clock(monkeypatch)
    atlas = Atlas(clock, ['drop'], lag=10 ** 6)
    plan = PostPlan('restore job', atlas.post, atlas.find_new, refuse, 'Cluster0', repeat=False)
    with pytest.raises(TaskError):
        post_without_duplicates(Client(clock), plan, deadline=Deadline(7), warn=lambda msg: None)
    assert clock.now == pytest.approx(7.0)


def test_a_snapshot_is_posted_again_only_after_the_settling_time_with_nothing_new(monkeypatch):
    clock = Clock(monkeypatch)
    atlas = Atlas(clock, ['drop', 'ok'], lag=10 ** 6)
    atlas.created = []
    answers = iter([ambiguous(), {'id': 'snap1'}])

    def post():
        atlas.posts += 1
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    plan = PostPlan('snapshot', post, lambda: None, refuse, 'Cluster0')
    assert post_without_duplicates(Client(clock), plan, deadline=Deadline(3600), warn=lambda msg: None)["id"] == "snap1"
    assert atlas.posts == 2 and clock.now == pytest.approx(60.0)  # the second POST only after 60 s of nothing listed


def test_a_refusal_after_an_ambiguous_attempt_looks_for_our_own_job_first(monkeypatch):
    clock = Clock(monkeypatch)
    busy = AtlasApiError(400, 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'another is in progress', 'POST', '/x')
    atlas = Atlas(clock, ['drop', busy], lag=70)  # listed only after the first settling time
    refused = []

    def on_refusal(err):
        refused.append(err)
        return None

    plan = PostPlan('snapshot', atlas.post, atlas.find_new, on_refusal, 'Cluster0')
    client = Client(clock)
    found = post_without_duplicates(client, plan, deadline=Deadline(3600), warn=lambda msg: None)
    assert found['id'] == 'job0' and refused == [] and client.wrote  # 0.3.0 marked it as someone else's and took another


def test_the_settling_time_is_counted_on_atlas_clock(monkeypatch):
    # The list lag is Atlas's, so is the settling window: where Atlas's clock runs 30 times faster (the simulator's
    # speed setting), 60 s of it pass in 2 s here, and the task gives up the search (no repeat for a restore) that soon.
    clock = Clock(monkeypatch)
    atlas = Atlas(clock, ['drop'], lag=10 ** 6)
    client = Client(clock, speed=30.0)
    plan = PostPlan('restore job', atlas.post, atlas.find_new, refuse, 'Cluster0', repeat=False)
    with pytest.raises(TaskError):
        post_without_duplicates(client, plan, deadline=Deadline(3600), warn=lambda msg: None)
    assert 2.0 <= clock.now < 3.5 and atlas.posts == 1


def test_an_atlas_clock_that_stands_still_never_makes_the_settling_longer(monkeypatch):
    clock = Clock(monkeypatch)
    atlas = Atlas(clock, ['drop'], lag=10 ** 6)
    plan = PostPlan('restore job', atlas.post, atlas.find_new, refuse, 'Cluster0', repeat=False)
    with pytest.raises(TaskError):
        post_without_duplicates(Client(clock, speed=0.0), plan, deadline=Deadline(3600), warn=lambda msg: None)
    assert clock.now == pytest.approx(60.0)  # this host's 60 s end it, as before
