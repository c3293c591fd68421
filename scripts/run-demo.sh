#!/usr/bin/env bash
# Starts the central server on its embedded SQLite (seeding the demo city on first run) and opens
# the desktop app pointed at it. Stops the server (and the virtual display, if one was started) when
# the app closes or this script is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
DB="${HCP_DEMO_DB:-data/hcp-server.db}"
LISTEN="${HCP_LISTEN:-127.0.0.1:8787}"
mkdir -p "$(dirname "$DB")"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
# No `exec` below: it would drop this trap and leave the server running after the app closes.
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TARGET/debug/hcp-server" seed --database "sqlite://$DB" --profile demo --if-empty
"$TARGET/debug/hcp-server" serve --database "sqlite://$DB" --listen "$LISTEN" &
PIDS+=($!)
for _ in $(seq 1 50); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "central server: http://$LISTEN  (demo accounts in README.md, password Hcp@2026)"

export HCP_SERVER_URL="http://$LISTEN"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  n=99
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 1366x800x24 -nolisten tcp >/dev/null 2>&1 &
  PIDS+=($!)
  export DISPLAY=":$n"
  for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
  cat >&2 <<MSG
no display found: the app is running in a virtual display (Xvfb) $DISPLAY, which is not visible here.
  to look at it:   import -display $DISPLAY -window root /tmp/haochaping.png   (a screenshot)
  or live:         x11vnc -display $DISPLAY -localhost   then a VNC viewer on localhost:5900
  to stop it:      Ctrl-C here (stops the app, the server and the virtual display)
MSG
fi
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  # No desktop session bus means no Secret Service: provide a private keyring.
  scripts/with-keyring.sh "$TARGET/debug/haochaping" &
else
  "$TARGET/debug/haochaping" &
fi
APP=$!
PIDS+=("$APP")
wait "$APP" || true
echo "the app closed: stopping the demo server" >&2
