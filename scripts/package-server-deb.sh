#!/usr/bin/env bash
# Builds the hcp-server .deb from a built binary: the server, its systemd units (the service and a
# daily backup timer), the default configuration in /etc/haochaping, and a postinst that creates
# the `haochaping` system user and its folders (/var/lib, /var/log, /var/backups/haochaping).
#
#   scripts/package-server-deb.sh BINARY OUT_DIR
#
# Prints the path of the written package. Needs dpkg-deb and dpkg-shlibdeps (dpkg-dev).
set -euo pipefail
BIN=${1:?usage: package-server-deb.sh BINARY OUT_DIR}
OUT=${2:?usage: package-server-deb.sh BINARY OUT_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC="$ROOT/packaging/server"
VERSION=${HCP_PACKAGE_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)}
ARCH=$(dpkg --print-architecture)

STAGE=$(mktemp -d -t hcp-server-deb.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/hcp-server"
install -D -m 0755 "$BIN" "$PKG/usr/bin/hcp-server"
strip --strip-unneeded "$PKG/usr/bin/hcp-server" 2>/dev/null || true
for unit in hcp-server.service hcp-server-backup.service hcp-server-backup.timer; do
  install -D -m 0644 "$SRC/$unit" "$PKG/lib/systemd/system/$unit"
done
install -D -m 0640 "$SRC/server.toml" "$PKG/etc/haochaping/server.toml"
install -D -m 0640 "$SRC/server.env" "$PKG/etc/haochaping/server.env"
install -D -m 0644 "$ROOT/README.md" "$PKG/usr/share/doc/hcp-server/README.md"
cat > "$PKG/usr/share/doc/hcp-server/copyright" <<COPY
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: haochaping
License: MIT
COPY
mkdir -p "$PKG/DEBIAN"
install -m 0755 "$SRC/debian/postinst" "$SRC/debian/prerm" "$SRC/debian/postrm" "$PKG/DEBIAN/"
printf '/etc/haochaping/server.toml\n/etc/haochaping/server.env\n' > "$PKG/DEBIAN/conffiles"

# The shared libraries the binary links, as Debian package dependencies.
mkdir -p "$STAGE/shlibs/debian"
printf 'Source: hcp-server\n\nPackage: hcp-server\nArchitecture: any\n' > "$STAGE/shlibs/debian/control"
SHLIBS=$(cd "$STAGE/shlibs" && dpkg-shlibdeps -O "$PKG/usr/bin/hcp-server" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
DEPENDS="adduser${SHLIBS:+, $SHLIBS}"
SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: hcp-server
Version: $VERSION
Architecture: $ARCH
Maintainer: Haochaping <ops@haochaping.invalid>
Section: net
Priority: optional
Installed-Size: $SIZE
Depends: $DEPENDS
Suggests: postgresql
Homepage: https://haochaping.invalid
Description: Haochaping central server (好差评督办中心服务)
 The central REST API of Haochaping, the supervision of government-service
 ratings (政务服务好差评督办): sign-in, intake of ratings and complaints, cases,
 the change feed the desktop clients sync from, and the update server of the
 desktop app. Runs as the hcp-server systemd service under the haochaping user,
 with its SQLite database in /var/lib/haochaping (or PostgreSQL), its
 configuration in /etc/haochaping and a daily backup timer.
CONTROL
mkdir -p "$OUT"
DEB="$OUT/hcp-server_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
