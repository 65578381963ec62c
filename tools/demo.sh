#!/usr/bin/env bash
# `make demo`: start the Atlas simulator with the default seed, run docs/demo.yml against it with
# the seed's owner key (and, for the Flex part, its owner service account), print the results, and stop the simulator whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${DEMO_PORT:-18080}
LOG=$(mktemp)
PYTHONPATH=tests .venv/bin/python -m atlas_simulator --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; rm -rf "$LOG" "${MONGODB_ATLAS_TOKEN_CACHE_DIR:-}"' EXIT

for _ in $(seq 1 50); do
  grep -q "atlas simulator ready" "$LOG" && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$LOG"; echo "demo: the simulator did not start" >&2; exit 1; }
  sleep 0.1
done
grep "atlas simulator ready" "$LOG"

rm -rf docs/downloads  # a fresh tour: the first download really downloads

# Install the collection from this checkout so the playbook uses it exactly as a user would. The collections path is
# configured before the install, so ansible-galaxy does not warn that it installs where Ansible does not look.
COLLECTIONS=build/demo-collections
rm -rf "$COLLECTIONS"
export ANSIBLE_COLLECTIONS_PATH="$PWD/$COLLECTIONS"
.venv/bin/ansible-galaxy collection build --force --output-path build . >/dev/null
VERSION=$(sed -n 's/^version: *//p' galaxy.yml)  # the one version number lives in galaxy.yml
.venv/bin/ansible-galaxy collection install --force -p "$COLLECTIONS" "build/mongodb_atlas-backup-$VERSION.tar.gz" >/dev/null

export ANSIBLE_STDOUT_CALLBACK=default
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export MONGODB_ATLAS_BASE_URL="http://127.0.0.1:$PORT"
export MONGODB_ATLAS_PUBLIC_KEY=owner-public
export MONGODB_ATLAS_PRIVATE_KEY=owner-private
export MONGODB_ATLAS_PROJECT_ID=5f1a2b3c4d5e6f7a8b9c0d1e
# The Flex part of the tour authenticates with the simulator's seeded service account (OAuth); its token is cached
# in a throwaway directory, so every demo starts with one fresh token request.
export DEMO_CLIENT_ID=mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01
export DEMO_CLIENT_SECRET=mdb_sa_sk_owner-secret-0001
MONGODB_ATLAS_TOKEN_CACHE_DIR=$(mktemp -d)
export MONGODB_ATLAS_TOKEN_CACHE_DIR
.venv/bin/ansible-playbook docs/demo.yml
