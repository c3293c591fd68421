#!/usr/bin/env bash
# `make package`: release builds of the server and the desktop app, then into dist/:
#   haochaping_<v>_amd64.deb, haochaping-<v>-1.x86_64.rpm (Tauri bundler) with their updater
#   signatures (.sig), and hcp-server_<v>_amd64.deb (scripts/package-server-deb.sh).
#
# The packages are signed for the updater with HCP_UPDATER_KEY (a key from
# scripts/updater-keygen.sh; its .pub is built into the app). Without it the TEST-ONLY key in
# packaging/updater signs them, and the app trusts that key: fine for tests, never for a release.
# HCP_PACKAGE_VERSION overrides the version (the update test builds a second, newer version).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DIST=${HCP_DIST_DIR:-$ROOT/dist}
TEST_KEY="$ROOT/packaging/updater/TEST-ONLY-updater.key"
KEY=${HCP_UPDATER_KEY:-$TEST_KEY}
TAURI="$ROOT/packaging/node_modules/.bin/tauri"

[ -x "$TAURI" ] || { echo "the Tauri CLI is missing: run 'make package-deps' (npm ci in packaging/)" >&2; exit 1; }
[ -f "$KEY" ] && [ -f "$KEY.pub" ] || { echo "no updater key at $KEY (and $KEY.pub): see scripts/updater-keygen.sh" >&2; exit 1; }
[ -f ui/dist/index.html ] || { echo "ui/dist is missing: run 'make ui' first" >&2; exit 1; }

# What the build merges into tauri.conf.json (the CLI's --config and TAURI_CONFIG at compile time):
# the updater's public key, and the version when one is given.
overrides=()
if [ "$KEY" -ef "$TEST_KEY" ]; then
  echo "WARNING: the packages are signed with the TEST-ONLY updater key (packaging/updater): set HCP_UPDATER_KEY for a release" >&2
else
  overrides+=("\"plugins\":{\"updater\":{\"pubkey\":\"$(tr -d '\n' < "$KEY.pub")\"}}")
fi
if [ -n "${HCP_PACKAGE_VERSION:-}" ]; then
  overrides+=("\"version\":\"$HCP_PACKAGE_VERSION\"")
fi
config_args=()
if [ ${#overrides[@]} -gt 0 ]; then
  TAURI_CONFIG="{$(IFS=,; echo "${overrides[*]}")}"
  export TAURI_CONFIG
  config_args=(--config "$TAURI_CONFIG")
fi

echo "building the release binaries (slow: 20–40 minutes on 2 cores the first time)"
cargo build --release -p hcp-server -p haochaping

TAURI_SIGNING_PRIVATE_KEY="$(cat "$KEY")"
TAURI_SIGNING_PRIVATE_KEY_PASSWORD="${HCP_UPDATER_KEY_PASSWORD:-}"
export TAURI_SIGNING_PRIVATE_KEY TAURI_SIGNING_PRIVATE_KEY_PASSWORD
BUNDLE="$TARGET/release/bundle"
rm -rf "$BUNDLE/deb" "$BUNDLE/rpm"
# The CLI wants the config beside the app's Cargo.toml (src-tauri); ours sits at the repository
# root (the app compiles it from there): bundle from a copy in src-tauri, its paths rebased.
BUNDLE_CONFIG="$ROOT/src-tauri/tauri.conf.json"
trap 'rm -f "$BUNDLE_CONFIG"' EXIT
python3 - "$ROOT/tauri.conf.json" "$BUNDLE_CONFIG" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
up = lambda p: "../" + p
c["build"]["frontendDist"] = up(c["build"]["frontendDist"])
c["bundle"]["icon"] = [up(p) for p in c["bundle"]["icon"]]
for kind in ("deb", "rpm"):
    linux = c["bundle"]["linux"][kind]
    if "desktopTemplate" in linux:
        linux["desktopTemplate"] = up(linux["desktopTemplate"])
json.dump(c, open(sys.argv[2], "w"), ensure_ascii=False, indent=2)
PY
(cd "$ROOT/src-tauri" && "$TAURI" bundle --ci --bundles deb,rpm "${config_args[@]}")
rm -f "$BUNDLE_CONFIG"
unset TAURI_SIGNING_PRIVATE_KEY TAURI_SIGNING_PRIVATE_KEY_PASSWORD

mkdir -p "$DIST"
cp "$BUNDLE"/deb/*.deb "$BUNDLE"/deb/*.deb.sig "$BUNDLE"/rpm/*.rpm "$BUNDLE"/rpm/*.rpm.sig "$DIST"/
HCP_PACKAGE_VERSION=${HCP_PACKAGE_VERSION:-} scripts/package-server-deb.sh "$TARGET/release/hcp-server" "$DIST" >/dev/null
echo "packages in $DIST:"
ls -l "$DIST"
