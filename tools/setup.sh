#!/usr/bin/env bash
# Creates the project venv (.venv) with pinned-range dependencies and places the offline
# stand-in for ansible-test's pip bootstrap script. Idempotent; safe to run on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP="$VENV/.deps-stamp"
DEPS=(
  'ansible-core>=2.19,<2.20'
  'requests>=2.28,<3'
  'pytest>=8,<10'
  'responses>=0.25,<1'
  'ansible-lint>=25,<27'
  'antsibull-changelog>=0.30,<1'
  'ruff>=0.6,<1'
  'mypy>=1.10,<3'
  'types-requests>=2.31'
  'isal>=1.6'  # optional where modules run (faster archive checks); installed here so the tests cover both inflaters
  'vermin>=1.6,<2'
  'ansible-builder>=3.1,<4'
)
# The documentation site (make docs, and the docs stage of make test): antsibull-docs, Sphinx and the theme, plus
# Selenium to drive the system chromium (never a downloaded browser). Installed only when asked for, with their own stamp.
DOCS_DEPS=(
  'antsibull-docs>=2.16,<3'
  'sphinx>=7,<10'
  'sphinx-ansible-theme>=0.10,<1'
  'ansible-pygments>=0.1.1,<1'
  'selenium>=4.20,<5'
)

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
want=$(printf '%s\n' "${DEPS[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  echo "setup: installing dependencies into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${DEPS[@]}" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$want" > "$STAMP"
fi
if [ "${SETUP_FOR_TESTS:-0}" = 1 ] || [ "${SETUP_FOR_DOCS:-0}" = 1 ]; then
  docs_want=$(printf '%s\n' "${DOCS_DEPS[@]}" | sha256sum | cut -c1-16)
  if [ ! -f "$VENV/.docs-deps-stamp" ] || [ "$(cat "$VENV/.docs-deps-stamp")" != "$docs_want" ]; then
    echo "setup: installing documentation dependencies into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${DEPS[@]}" "${DOCS_DEPS[@]}" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$docs_want" > "$VENV/.docs-deps-stamp"
  fi
fi

# awx.awx, for the AWX credential type playbook (extensions/awx/register_credential_type.yml): ansible-lint and its test
# resolve awx.awx.credential_type. Galaxy is out of reach; the community `ansible` package on the package index ships
# awx.awx up to 12.x (removed in 14), so take that one collection out of its wheel, into a folder of its own.
AWX_COLLECTIONS="$VENV/awx-collections"
if [ ! -f "$AWX_COLLECTIONS/ansible_collections/awx/awx/MANIFEST.json" ]; then
  echo "setup: placing awx.awx (from the ansible 12 package) in $AWX_COLLECTIONS"
  wheel_dir=$(mktemp -d)
  "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps -d "$wheel_dir" 'ansible>=12,<13' \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  "$VENV/bin/python" - "$wheel_dir" "$AWX_COLLECTIONS" <<'PY'
import glob
import sys
import zipfile

wheel_dir, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(glob.glob(f'{wheel_dir}/ansible-*.whl')[0]) as wheel:
    wheel.extractall(target, [name for name in wheel.namelist() if name.startswith('ansible_collections/awx/awx/')])
PY
  rm -rf "$wheel_dir"
fi

# ansible-test bootstraps pip in each of its venvs with a script it downloads; offline, it finds ours.
pip_version=$("$VENV/bin/python" - <<'PY'
import re
import ansible_test._internal.python_requirements as m
src = open(m.__file__, encoding='utf-8').read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  cp tools/get_pip_standin.py "$cache"
  echo "setup: placed offline pip bootstrap stand-in at $cache"
fi

# ansible-test's shellcheck sanity test only really runs when shellcheck is installed. Only the test path asks for it
# (SETUP_FOR_TESTS=1 from `make test`): `make demo` never runs apt-get.
if [ "${SETUP_FOR_TESTS:-0}" = 1 ] && ! command -v shellcheck >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "setup: installing shellcheck (for the shellcheck sanity test)"
  (apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq shellcheck >/dev/null 2>&1; }) \
    || echo "setup: shellcheck could not be installed; that sanity test will be skipped"
fi

# The docs stage checks the built site in a real browser: Debian's chromium and its chromedriver, driven by Selenium.
# Test path only, like shellcheck.
if [ "${SETUP_FOR_TESTS:-0}" = 1 ] && ! { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } \
    && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "setup: installing chromium and chromium-driver (for the docs browser test)"
  (apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; }) \
    || echo "setup: chromium could not be installed; the docs browser test will fail"
fi
