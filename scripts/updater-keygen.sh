#!/usr/bin/env bash
# Generates the updater signing key pair for real releases: KEY (private, protected by the
# password you type, or HCP_UPDATER_KEY_PASSWORD) and KEY.pub (built into the app by
# `make package HCP_UPDATER_KEY=KEY`). Keep KEY off the build network's shared disks and never
# commit it; losing it means the installed desktops cannot be updated by a newer signed package.
#   scripts/updater-keygen.sh /secure/place/haochaping-updater.key
set -euo pipefail
KEY=${1:?usage: updater-keygen.sh KEY_FILE}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TAURI="$ROOT/packaging/node_modules/.bin/tauri"
[ -x "$TAURI" ] || (cd "$ROOT/packaging" && npm ci --no-audit --no-fund)
if [ -e "$KEY" ]; then echo "$KEY exists: not overwritten" >&2; exit 1; fi
if [ -n "${HCP_UPDATER_KEY_PASSWORD+x}" ]; then
  "$TAURI" signer generate --ci -w "$KEY" --password "$HCP_UPDATER_KEY_PASSWORD"
else
  "$TAURI" signer generate -w "$KEY"
fi
chmod 600 "$KEY"
echo "public key: $KEY.pub"
