# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: a Flex download as the user's clock sees it, the whole `ansible-playbook` task against curl.

Run: .venv/bin/python tests/benchmarks/whole_task_benchmark.py [--rounds 5] [--size-mib 1536] [--content random mongodump]
     [--baseline REV]   (also the module at git revision REV, e.g. main, in the same rounds)
Not part of `make test`: it measures, it does not assert. Writes tests/benchmarks/results/whole_task.md.

The simulator serves a Flex archive of --size-mib MiB (as downloaded) from its storage-like download host, over
loopback, into a temp dir on tmpfs (/dev/shm) when it has room. Contents: `random` (the simulator's default: stored
deflate blocks, inflating is a copy) and `mongodump` (BSON-like documents, about 4.6x compressible, as a real dump).
Each round runs, in a rotated order (interleaved: the machine is shared and noisy):
- curl -o FILE with the job's link;
- a one-task playbook running ansible.builtin.ping (Ansible's fixed cost: interpreter, fork, AnsiballZ, result);
- a one-task playbook running atlas_tenant_download (validate_archive true, then false) into the same tmpfs directory,
  force: true, reusing the same download job (so the same link).
The task's time is the playbook's wall time minus that round's ping playbook; its ratio to curl is curl's time over
it, and the table gives the median of the per-round ratios. The module process runs under a small wrapper interpreter
(ansible_python_interpreter; the ping playbook uses it too) that records the module process's own peak RSS and CPU
seconds from wait4().
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import GROUP, MIB, ROOT, link_collection, machine, run_measured, simulator_link  # noqa: E402  pylint: disable=wrong-import-position
from simulator_process import NO_RATE_LIMIT, start_simulator as start_simulator_process  # noqa: E402  pylint: disable=wrong-import-position

SNAPSHOT = '65a000000000000000000501'
BIN = os.path.dirname(sys.executable)

# The module's interpreter: runs the real one and appends the child's peak RSS and CPU to $WHOLE_TASK_USAGE.
WRAPPER = '''#!{python}
import json, os, subprocess, sys
proc = subprocess.Popen([{python!r}] + sys.argv[1:])
_pid, status, usage = os.wait4(proc.pid, 0)
with open(os.environ['WHOLE_TASK_USAGE'], 'a') as out:
    out.write(json.dumps({{'rss_mib': usage.ru_maxrss / 1024, 'cpu': usage.ru_utime + usage.ru_stime}}) + '\\n')
sys.exit(os.waitstatus_to_exitcode(status))
'''

PLAY = '''- name: Whole-task benchmark
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: {wrapper}
  tasks:
    - name: The task
{task}
'''

PING = '''      ansible.builtin.ping:
'''

DOWNLOAD = '''      mongodb_atlas.backup.atlas_tenant_download:
        api_base_url: {base_url}
        group_id: {group}
        api_public_key: owner-public
        api_private_key: owner-private
        cluster_name: Flex0
        snapshot_id: {snapshot}
        dest: {dest}
        force: true
        validate_archive: {validate}
'''


def variants(baseline: str | None) -> list[tuple[str, str]]:
    """(key, label) in table order; module keys are validated/unvalidated, with @REV for the baseline's."""
    rows = [('curl', 'curl -o FILE (the reference)'),
            ('ping', 'ansible-playbook, one ansible.builtin.ping task (subtracted from the rows below)'),
            ('validated', 'atlas_tenant_download, validate_archive: true (default)'),
            ('unvalidated', 'atlas_tenant_download, validate_archive: false')]
    if baseline:
        rows += [(f'validated@{baseline}', f'the same, validate_archive: true, at {baseline}'),
                 (f'unvalidated@{baseline}', f'the same, validate_archive: false, at {baseline}')]
    return rows


def start_simulator(size: int, content: str, tmp: str) -> tuple[subprocess.Popen, str]:
    return start_simulator_process(tmp, dict(NO_RATE_LIMIT, archive_size=size, archive_content=content))


class Runner:
    """Writes the playbooks once and runs one variant at a time."""

    def __init__(self, tmp: str, base_url: str, link: str, collections: dict[str, str]) -> None:
        self.tmp = tmp
        self.link = link
        self.dest = os.path.join(tmp, 'out.tgz')
        self.usage = os.path.join(tmp, 'usage.jsonl')
        wrapper = os.path.join(tmp, 'module-python')
        with open(wrapper, 'w', encoding='utf-8') as handle:
            handle.write(WRAPPER.format(python=sys.executable))
        os.chmod(wrapper, 0o755)
        self.plays = {'ping': self._play(wrapper, PING)}
        for name, validate in (('validated', 'true'), ('unvalidated', 'false')):
            self.plays[name] = self._play(wrapper, DOWNLOAD.format(base_url=base_url, group=GROUP, snapshot=SNAPSHOT, dest=self.dest,
                                                                   validate=validate), name)
        self.collections = collections
        self.env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
                        ANSIBLE_RETRY_FILES_ENABLED='false', ANSIBLE_NOCOLOR='true', WHOLE_TASK_USAGE=self.usage,
                        PATH=BIN + os.pathsep + os.environ.get('PATH', ''))

    def _play(self, wrapper: str, task: str, name: str = 'ping') -> str:
        path = os.path.join(self.tmp, f'{name}.yml')
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(PLAY.format(wrapper=wrapper, task=task))
        return path

    def run(self, key: str) -> dict:
        if os.path.exists(self.dest):
            os.unlink(self.dest)
        if key == 'curl':
            return run_measured(['curl', '-sS', '-o', self.dest, self.link])
        if os.path.exists(self.usage):
            os.unlink(self.usage)
        play, _at, revision = key.partition('@')
        env = dict(self.env, ANSIBLE_COLLECTIONS_PATH=self.collections[revision or 'this'])
        result = run_measured([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', self.plays[play]], env=env)
        if 'failed=0' not in result['out']:
            raise RuntimeError(f'{key}: the playbook failed:\n{result["out"][-3000:]}')
        with open(self.usage, encoding='utf-8') as handle:
            module = [json.loads(line) for line in handle]
        result['module_rss'] = max(entry['rss_mib'] for entry in module)
        result['module_cpu'] = sum(entry['cpu'] for entry in module)
        return result


def measure(content: str, size: int, rounds: int, tmp: str, collections: dict[str, str], rows: list[tuple[str, str]]) -> dict:
    sim, base_url = start_simulator(size, content, tmp)
    try:
        runner = Runner(tmp, base_url, simulator_link(base_url), collections)
        runner.run('curl')  # warm: the simulator builds its archive layout on the first request
        runner.run('validated')  # and the module's job reuse, page cache of the collection
        keys = [key for key, _label in rows]
        runs: dict[str, list[dict]] = {key: [] for key in keys}
        for number in range(rounds):
            shift = number % len(keys)
            for key in keys[shift:] + keys[:shift]:
                runs[key].append(runner.run(key))
            print(f'  {content} round {number + 1}/{rounds}: ' + ', '.join(f'{key} {runs[key][-1]["wall"]:.2f}s' for key in keys), flush=True)
        length = os.path.getsize(runner.dest) if os.path.exists(runner.dest) else size
    finally:
        sim.terminate()
        sim.wait()
    return {'runs': runs, 'size': length, 'rows': rows}


def table(content: str, data: dict) -> list[str]:
    runs = data['runs']
    size = data['size']
    curl = [run['wall'] for run in runs['curl']]
    ping = [run['wall'] for run in runs['ping']]
    kind = ('the simulator\'s default archive (stored deflate blocks: inflating is a copy)' if content == 'random' else
            'a mongodump-like archive (BSON-like documents deflated at level 6, about 4.6x: the tar inside is 4.6 times larger)')
    lines = [f'### {size / MIB:.0f} MiB, {kind}', '',
             '| what | median s (playbook) | median s (task: playbook - ping) | MiB/s | vs curl (median of per-round ratios) | '
             'module process CPU-s | module process peak RSS MiB |',
             '|---|---|---|---|---|---|---|']
    for key, label in data['rows']:
        wall = [run['wall'] for run in runs[key]]
        if key in ('curl', 'ping'):
            task = wall if key == 'curl' else None
            ratio = '1.00x' if key == 'curl' else ''
        else:
            task = [w - p for w, p in zip(wall, ping)]
            ratio = f'{statistics.median(c / t for c, t in zip(curl, task)):.2f}x (rounds: {", ".join(f"{c / t:.2f}" for c, t in zip(curl, task))})'
        if key == 'curl':
            cpu = f'{statistics.median(run["cpu"] for run in runs[key]):.2f} (curl)'
            rss = f'{max(run["rss"] for run in runs[key]):.0f} (curl)'
        else:
            cpu = f'{statistics.median(run["module_cpu"] for run in runs[key]):.2f}'
            rss = f'{max(run["module_rss"] for run in runs[key]):.0f}'
        lines.append(f'| {label} | {statistics.median(wall):.2f} | {"" if task is None else f"{statistics.median(task):.2f}"} | '
                     f'{"" if task is None else f"{size / MIB / statistics.median(task):.0f}"} | {ratio} | {cpu} | {rss} |')
    lines.append('')
    return lines


def load() -> str:
    with open('/proc/loadavg', encoding='utf-8') as handle:
        return ' '.join(handle.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--size-mib', type=int, default=1536, help='the archive as downloaded (the issue\'s figure: 1536)')
    parser.add_argument('--content', nargs='+', default=['random', 'mongodump'], choices=['random', 'mongodump'])
    parser.add_argument('--output', default=os.path.join(HERE, 'results', 'whole_task.md'))
    parser.add_argument('--baseline', help='also measure the module at this git revision (e.g. main), in the same rounds')
    args = parser.parse_args()
    try:
        import isal  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
        inflater = 'isal (installed: the module uses it)'
    except ImportError:
        inflater = 'zlib (isal not installed)'
    size = args.size_mib * MIB
    shm = '/dev/shm'
    base = shm if os.path.isdir(shm) and os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize > 3 * size else None
    started = time.monotonic()
    loads = [load()]
    lines = []
    for content in args.content:
        with tempfile.TemporaryDirectory(dir=base, prefix='atlas-whole-task-') as tmp:
            collections = {'this': link_collection(ROOT, tmp, 'this')}
            if args.baseline:
                tree = os.path.join(tmp, 'baseline')
                os.makedirs(tree)
                archive = subprocess.run(['git', '-C', ROOT, 'archive', args.baseline], check=True, stdout=subprocess.PIPE).stdout
                subprocess.run(['tar', '-x', '-C', tree], input=archive, check=True)
                collections[args.baseline] = link_collection(tree, tmp, 'baseline')
            print(f'{content} archive, {args.size_mib} MiB', flush=True)
            lines += table(content, measure(content, size, args.rounds, tmp, collections, variants(args.baseline)))
            shutil.rmtree(os.path.join(tmp, 'baseline'), ignore_errors=True)
        loads.append(load())
    header = [f'# Whole-task download benchmark ({datetime.date.today().isoformat()})', '',
              f'tests/benchmarks/whole_task_benchmark.py --size-mib {args.size_mib} --rounds {args.rounds}'
              f'{" --baseline " + args.baseline if args.baseline else ""} '
              f'({time.monotonic() - started:.0f} s): ansible-playbook (local connection) against the simulator over loopback, '
              f'written to {"tmpfs" if base else "disk"}, on {machine()}, shared with other work (load average at the start and '
              f'after each archive: {"; ".join(loads)}). The simulator runs on the same cores. Archive check inflater: {inflater}.',
              'Task = the playbook\'s wall time minus the same round\'s one-task ping playbook. "vs curl" is curl\'s time over the '
              'task\'s, per round, then the median. CPU-s and peak RSS are the module process\'s own (wait4 of its interpreter).', '']
    text = '\n'.join(header + lines)
    print(text)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, 'w', encoding='utf-8') as handle:
        handle.write(text)


if __name__ == '__main__':
    main()
