#!/usr/bin/env bash
# Starts the central server on its embedded SQLite (seeding the demo city on first run) and opens
# the desktop app pointed at it. Stops the server when the app closes.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
DB="${HCP_DEMO_DB:-data/hcp-server.db}"
LISTEN="${HCP_LISTEN:-127.0.0.1:8787}"
mkdir -p "$(dirname "$DB")"

"$TARGET/debug/hcp-server" seed --database "sqlite://$DB" --profile demo --if-empty
"$TARGET/debug/hcp-server" serve --database "sqlite://$DB" --listen "$LISTEN" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "central server: http://$LISTEN  (demo accounts in README.md, password Hcp@2026)"

export HCP_SERVER_URL="http://$LISTEN"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display found: opening the app in a virtual display (Xvfb) instead" >&2
  exec xvfb-run -a -s "-screen 0 1366x800x24" scripts/with-keyring.sh "$TARGET/debug/haochaping"
elif [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  # No desktop session bus means no Secret Service: provide a private keyring.
  scripts/with-keyring.sh "$TARGET/debug/haochaping"
else
  "$TARGET/debug/haochaping"
fi
