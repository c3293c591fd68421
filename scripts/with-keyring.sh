#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked gnome-keyring (Secret Service),
# so the app's real keyring code works headless (tests, CI, servers without a desktop session).
set -euo pipefail
if [ -z "${HCP_IN_KEYRING_SESSION:-}" ]; then
  export HCP_IN_KEYRING_SESSION=1
  XDG_DATA_HOME="$(mktemp -d -t hcp-keyring.XXXXXX)"
  export XDG_DATA_HOME
  # The keyring's files live only as long as this command.
  trap 'rm -rf "$XDG_DATA_HOME"' EXIT
  dbus-run-session -- keyctl session - bash "$0" "$@"
  exit
fi
# Starts the daemon on this session bus and creates/unlocks the "login" collection.
eval "$(printf 'hcp-test' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL
exec "$@"
