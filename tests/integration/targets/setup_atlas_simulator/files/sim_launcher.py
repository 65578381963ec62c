# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the Atlas simulator (tests/atlas_simulator) for `ansible-test integration`.

    sim_launcher.py start --state-dir DIR [--watch-pid PID]   # prints the state as JSON
    sim_launcher.py stop --state-dir DIR                      # prints {"stopped": true|false}
    sim_launcher.py reset --control URL [--control URL] [--ca-file CA] [--empty-dir OUT]

`reset` is what each scenario starts with (as tests/integration/conftest.py resets before each test): the
simulators behind the given /__sim__ control URLs back to their seed (state, faults, clock, config) and an
empty output directory, in one task.

`start` spawns a supervisor in its own session. The supervisor starts two simulators on 127.0.0.1, free
ports: plain HTTP and HTTPS (--tls), writes DIR/state.json (urls, CA file, pids) once both are ready, and
then watches: it stops both simulators and removes state.json on SIGTERM (what `stop` sends), when either
simulator dies, or when the watched process (by default the outermost ansible-playbook above this script)
is gone - so a killed run leaves no simulator behind. `start` is idempotent: with a live supervisor and a
simulator that answers, it prints the existing state and starts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import ssl
import time
import urllib.request

STATE = 'state.json'
READY = 'atlas simulator ready on '
CA_FILE = 'atlas simulator CA file: '


def find_simulator_root() -> str:
    """The directory holding the atlas_simulator package: the collection's tests/, found above this file.

    ansible-test copies the targets to a temporary directory that lies inside the collection
    (tests/output/.tmp/integration/...), so walking up always reaches the collection root."""
    path = os.path.dirname(os.path.abspath(__file__))
    while True:
        candidate = os.path.join(path, 'tests')
        if os.path.isfile(os.path.join(candidate, 'atlas_simulator', '__main__.py')):
            return candidate
        parent = os.path.dirname(path)
        if parent == path:
            raise SystemExit('sim_launcher: tests/atlas_simulator not found above ' + os.path.abspath(__file__))
        path = parent


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f'/proc/{pid}/stat', encoding='utf-8') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return True


def parent_of(pid: int) -> int:
    try:
        with open(f'/proc/{pid}/stat', encoding='utf-8') as handle:
            return int(handle.read().rsplit(')', 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def cmdline(pid: int) -> str:
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as handle:
            return handle.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return ''


def default_watch_pid() -> int:
    """The outermost ansible-playbook process above this one (its workers are forks of it); else our parent."""
    found = 0
    pid = os.getppid()
    while pid > 1:
        if 'ansible-playbook' in cmdline(pid):
            found = pid
        pid = parent_of(pid)
    return found or os.getppid()


def read_state(state_dir: str) -> dict | None:
    try:
        with open(os.path.join(state_dir, STATE), encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + '/__sim__/state', timeout=5) as response:  # noqa: S310 (a local http:// URL)
            return response.status == 200
    except OSError:
        return False


def start(args: argparse.Namespace) -> int:
    os.makedirs(args.state_dir, exist_ok=True)
    state = read_state(args.state_dir)
    if state and alive(state['supervisor_pid']) and answers(state['atlas_url']):
        print(json.dumps(dict(state, changed=False)))
        return 0
    if state:  # stale: a supervisor that is gone or a simulator that does not answer
        stop(args, quiet=True)
    watch = args.watch_pid or default_watch_pid()
    log = open(os.path.join(args.state_dir, 'supervisor.log'), 'w', encoding='utf-8')  # noqa: SIM115 pylint: disable=consider-using-with
    with log, open(os.devnull, 'rb') as devnull:
        subprocess.Popen([sys.executable, os.path.abspath(__file__), 'supervise', '--state-dir', args.state_dir,  # pylint: disable=consider-using-with
                          '--watch-pid', str(watch)], stdin=devnull, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        state = read_state(args.state_dir)
        if state and answers(state['atlas_url']):
            print(json.dumps(dict(state, changed=True)))
            return 0
        time.sleep(0.1)
    with open(os.path.join(args.state_dir, 'supervisor.log'), encoding='utf-8') as handle:
        print('sim_launcher: the simulator did not come up:\n' + handle.read(), file=sys.stderr)
    stop(args, quiet=True)
    return 1


def stop(args: argparse.Namespace, quiet: bool = False) -> int:
    state = read_state(args.state_dir)
    stopped = False
    if state:
        pids = [state['supervisor_pid']] + list(state.get('simulator_pids', []))
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGTERM)
                stopped = True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in pids):
            time.sleep(0.05)
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        try:
            os.remove(os.path.join(args.state_dir, STATE))
        except FileNotFoundError:
            pass
    if not quiet:
        print(json.dumps({'changed': stopped, 'stopped': stopped}))
    return 0


def reset(args: argparse.Namespace) -> int:
    context = ssl.create_default_context(cafile=args.ca_file) if args.ca_file else None
    for control in args.control:
        request = urllib.request.Request(control + '/reset', data=b'{}', method='POST', headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=10, context=context if control.startswith('https:') else None) as response:  # noqa: S310
            response.read()
    if args.empty_dir:
        shutil.rmtree(args.empty_dir, ignore_errors=True)
        os.makedirs(args.empty_dir, mode=0o700)
    print(json.dumps({'changed': False, 'reset': args.control, 'empty_dir': args.empty_dir}))
    return 0


def launch_simulator(root: str, state_dir: str, tls: bool) -> tuple[subprocess.Popen, str]:
    name = 'simulator-tls.log' if tls else 'simulator.log'
    log_path = os.path.join(state_dir, name)
    cmd = [sys.executable, '-m', 'atlas_simulator', '--host', '127.0.0.1', '--port', '0'] + (['--tls'] if tls else [])
    env = dict(os.environ, PYTHONPATH=root)
    with open(log_path, 'w', encoding='utf-8') as log, open(os.devnull, 'rb') as devnull:
        proc = subprocess.Popen(cmd, env=env, stdin=devnull, stdout=log, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
    return proc, log_path


def wait_ready(proc: subprocess.Popen, log_path: str, timeout: float) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = ca_path = ''
        with open(log_path, encoding='utf-8') as handle:
            for line in handle:
                if line.startswith(CA_FILE):
                    ca_path = line[len(CA_FILE):].strip()
                if line.startswith(READY):
                    url = line[len(READY):].strip()
        if url:
            return url, ca_path
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(log_path, encoding='utf-8') as handle:
        raise RuntimeError(f'simulator did not report ready ({log_path}):\n{handle.read()}')


def supervise(args: argparse.Namespace) -> int:
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    root = find_simulator_root()
    procs = []
    try:
        plain = launch_simulator(root, args.state_dir, tls=False)
        procs.append(plain[0])
        tls = launch_simulator(root, args.state_dir, tls=True)
        procs.append(tls[0])
        url, _ca = wait_ready(*plain, timeout=args.timeout)
        tls_url, ca_path = wait_ready(*tls, timeout=args.timeout)
        state = {
            'atlas_url': url,
            'sim_control': url + '/__sim__',
            'atlas_tls_url': tls_url,
            'sim_tls_control': tls_url + '/__sim__',
            'atlas_ca_path': ca_path,
            'supervisor_pid': os.getpid(),
            'simulator_pids': [proc.pid for proc in procs],
            'watch_pid': args.watch_pid,
            'simulator_root': root,
        }
        tmp = os.path.join(args.state_dir, STATE + '.tmp')
        with open(tmp, 'w', encoding='utf-8') as handle:
            json.dump(state, handle)
        os.replace(tmp, os.path.join(args.state_dir, STATE))
        print(f'supervisor {os.getpid()}: simulators {state["simulator_pids"]} up; watching pid {args.watch_pid}', flush=True)
        while not stopping and alive(args.watch_pid) and all(proc.poll() is None for proc in procs):
            time.sleep(0.25)
        reason = 'SIGTERM' if stopping else ('watched pid gone' if not alive(args.watch_pid) else 'a simulator exited')
        print(f'supervisor {os.getpid()}: stopping ({reason})', flush=True)
    except RuntimeError as exc:
        print(f'supervisor {os.getpid()}: {exc}', flush=True)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        state = read_state(args.state_dir)
        if state and state.get('supervisor_pid') == os.getpid():
            os.remove(os.path.join(args.state_dir, STATE))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=('start', 'stop', 'reset', 'supervise'))
    parser.add_argument('--state-dir', default='')
    parser.add_argument('--watch-pid', type=int, default=0)
    parser.add_argument('--timeout', type=float, default=30.0)
    parser.add_argument('--control', action='append', default=[], help='reset: a simulator control URL (.../__sim__)')
    parser.add_argument('--ca-file', help='reset: the CA file for https control URLs')
    parser.add_argument('--empty-dir', help='reset: a directory to remove and create again, empty')
    args = parser.parse_args()
    if args.action != 'reset' and not args.state_dir:
        parser.error(f'{args.action} needs --state-dir')
    args.state_dir = os.path.abspath(args.state_dir)
    return {'start': start, 'stop': stop, 'reset': reset, 'supervise': supervise}[args.action](args)


if __name__ == '__main__':
    sys.exit(main())
