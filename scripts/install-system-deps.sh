#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Haochaping needs to build, run and test.
# Safe to run repeatedly: only missing packages are installed. Uses sudo when not root.
set -euo pipefail

# `--package`: also what `make package` and `make package-test` need (building .deb files,
# Debian roots for the install tests).
PACKAGING=0
[ "${1:-}" = "--package" ] && PACKAGING=1

PACKAGES=(
  # build
  build-essential pkg-config libssl-dev curl file
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev libgtk-3-dev
  # run and test in a window
  xvfb xauth webkit2gtk-driver dbus-x11 gnome-keyring libsecret-tools keyutils
  fonts-noto-cjk poppler-utils imagemagick librsvg2-bin
  # 打印 / 打开 hand saved PDFs (and their folder) to the desktop's programs through xdg-open
  xdg-utils
  # the server's PostgreSQL backend tests
  postgresql
  # UI toolchain
  nodejs npm
)

if [ $PACKAGING -eq 1 ]; then
  # rpm, cpio: the .rpm's inspection (rpm -qpR, -qpl; rpm2cpio comes with rpm)
  PACKAGES+=(dpkg-dev debootstrap fakeroot rpm cpio)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js may come from elsewhere (nvm, nodesource): accept any node >= 18 with npm.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing ${#missing[@]} system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
