#!/usr/bin/env bash
# `make package-test`: the packages of dist/ installed into fresh Debian 12 roots (debootstrap from
# the Debian mirror this machine uses), with apt resolving their declared dependencies.
#
#   install  the desktop .deb: installed with apt, started under Xvfb inside the root as a plain
#            user, its window (好差评督办) reaches the login screen (screenshot), its log file is
#            written in the data folder, then purged: no file of the package is left.
#   server   the server .deb: installed (system user, folders, config), its unit's ExecStart
#            started, seeded, backed up while intake writes ratings, restored into a fresh folder,
#            scope digests compared, stopped with SIGTERM (graceful), purged.
#   update   the desktop update: version N (the .deb of dist/) installed and signed in, offline
#            commands pending in its outbox; the server offers N+1 (built here by bumping the
#            patch version: scripts/package.sh with HCP_PACKAGE_VERSION, into package-test/dist-next);
#            a package with one byte changed and one signed by another key are refused; the
#            genuine one is installed by the updater plugin (dpkg) and the app restarts as N+1
#            with the same replica and the same pending outbox (scripts/package-update-test.py).
#   rpm      the .rpm inspected with rpm: declared dependencies, files (binary, desktop entry,
#            icons), the desktop entry's content, the version, the updater signature beside it.
#
#   scripts/package-test.sh [install|server|update|rpm]...   (default: all four)
# Needs root (chroot, mounts) and debootstrap. Writes into $CARGO_TARGET_DIR/package-test/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DIST=${HCP_DIST_DIR:-$ROOT/dist}
WORK="$TARGET/package-test"
OUT="$WORK/out"
TESTS=("$@")
[ ${#TESTS[@]} -gt 0 ] || TESTS=(install server update rpm)
[ "$(id -u)" -eq 0 ] || { echo "package-test needs root (chroot and mounts): run it with sudo" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debootstrap is missing: scripts/install-system-deps.sh --package" >&2; exit 1; }
mkdir -p "$WORK" "$OUT"

# The mirror apt uses here (deb822 or one-line sources), else deb.debian.org.
MIRROR=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?$' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | head -1 | awk '{print $2}' || true)
MIRROR=${MIRROR%/}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${MIRROR%/debian}/debian-security

# A minimal Debian 12 root, made once and kept as a tarball.
BASE="$WORK/bookworm-minbase.tar"
if [ ! -f "$BASE" ]; then
  echo "debootstrap: Debian 12 (bookworm) from $MIRROR"
  tmp=$(mktemp -d "$WORK/debootstrap.XXXX")
  debootstrap --variant=minbase bookworm "$tmp" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  tar -C "$tmp" -cf "$BASE.partial" . && mv "$BASE.partial" "$BASE"
  rm -rf "$tmp"
fi

MOUNTED=()
CHILD_PIDS=()
# Every process running inside one of this test's roots (found by its root directory, so nothing
# else on the machine is touched), then the processes this script started.
kill_rooted() {
  local p link
  for p in /proc/[0-9]*; do
    link=$(readlink "$p/root" 2>/dev/null) || continue
    case "$link" in "$WORK"/root-*) kill "${p#/proc/}" 2>/dev/null || true ;; esac
  done
}
cleanup() {
  kill_rooted
  for pid in "${CHILD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do umount -l "${MOUNTED[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT

# A fresh root in $1 with /proc, /sys, /dev, a tmpfs /dev/shm, DNS and the mirror's sources.
new_root() {
  local r=$1
  rm -rf "$r"; mkdir -p "$r"
  tar -C "$r" -xf "$BASE"
  # The tarball's "." is debootstrap's temporary folder (mode 700): the root must be 755 for its users.
  chmod 755 "$r"
  mount -t proc proc "$r/proc"; MOUNTED+=("$r/proc")
  mount -t sysfs sys "$r/sys"; MOUNTED+=("$r/sys")
  mount --bind /dev "$r/dev"; MOUNTED+=("$r/dev")
  mount -t devpts devpts "$r/dev/pts" -o newinstance,ptmxmode=0666 2>/dev/null && MOUNTED+=("$r/dev/pts") || true
  mount -t tmpfs shm "$r/dev/shm"; MOUNTED+=("$r/dev/shm")
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  cat > "$r/etc/apt/sources.list" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY bookworm-security main
SRC
  # No service starts inside the root (there is no init): policy-rc.d says so to maintainer scripts.
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"; chmod 755 "$r/usr/sbin/policy-rc.d"
  chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get update -qq > "$OUT/apt-update.log" 2>&1 \
    || { tail -20 "$OUT/apt-update.log"; return 1; }
}

unmount_root() {
  local r=$1
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do
    case "${MOUNTED[$i]}" in "$r"/*) umount -l "${MOUNTED[$i]}" 2>/dev/null || true; unset 'MOUNTED[i]';; esac
  done
  MOUNTED=("${MOUNTED[@]}")
}

in_root() { local r=$1; shift; chroot "$r" env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

apt_install() {
  local r=$1; shift
  in_root "$r" apt-get install -y -q --no-install-recommends "$@"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# A free TCP port on 127.0.0.1 (the roots share the machine's network).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Removes a test root once nothing is mounted in it any more (never through a live /dev or /proc).
remove_root() {
  local r=$1
  if grep -q " $r/" /proc/mounts; then echo "not removing $r: still mounted" >&2; return 0; fi
  rm -rf "$r"
}

one_deb() {
  local pattern=$1 found
  found=$(ls $DIST/$pattern 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$found" ] || fail "no $pattern in $DIST: run 'make package' first"
  echo "$found"
}

test_install() {
  local deb r log shot
  deb=$(one_deb 'haochaping_*_amd64.deb')
  r="$WORK/root-install"
  echo "== install test: $(basename "$deb") into a fresh Debian 12 root"
  new_root "$r"
  cp "$deb" "$r/tmp/haochaping.deb"
  # The package with what it declares; nothing else of the desktop (no recommends).
  apt_install "$r" /tmp/haochaping.deb > "$OUT/install-apt.log" 2>&1 || { tail -30 "$OUT/install-apt.log"; fail "apt could not install the package"; }
  in_root "$r" dpkg -s haochaping | grep -q '^Status: install ok installed' || fail "haochaping is not installed"
  grep -E '^ *(Depends|Recommends):' "$OUT/install-apt.log" || true
  in_root "$r" dpkg -s haochaping | grep -E '^(Version|Depends|Recommends):'
  local desktop
  desktop=$(in_root "$r" dpkg -L haochaping | grep '\.desktop$' | head -1)
  [ -n "$desktop" ] || fail "no desktop entry"
  grep -q '^Name\[zh_CN\]=好差评督办' "$r$desktop" || fail "the desktop entry has no Chinese name"
  grep -q '^Exec=haochaping' "$r$desktop" || fail "the desktop entry does not start haochaping"
  in_root "$r" dpkg -L haochaping | grep -q '/usr/share/icons/hicolor/.*/apps/haochaping.png' || fail "no icon"
  # The tools of the test (not of the package): a display, a session bus, a window lister, a screenshot.
  apt_install "$r" xvfb xauth dbus dbus-x11 x11-utils x11-apps fonts-noto-cjk > "$OUT/install-tools.log" 2>&1 \
    || { tail -20 "$OUT/install-tools.log"; fail "the test's tools could not be installed"; }
  in_root "$r" useradd -m -s /bin/bash hall
  log="$r/home/hall/.local/share/cn.haochaping.desktop/logs"
  # As a hall's user would: from the desktop entry's command, under Xvfb with a session bus.
  cat > "$r/tmp/start-app.sh" <<'APP'
#!/bin/sh
export HOME=/home/hall LANG=C.UTF-8 HCP_SERVER_URL=http://127.0.0.1:9
Xvfb :42 -screen 0 1366x800x24 -nolisten tcp >/tmp/xvfb.log 2>&1 &
echo $! > /tmp/xvfb.pid
sleep 2
export DISPLAY=:42
dbus-run-session -- sh -c 'haochaping & echo $! > /tmp/app.pid; wait $!' >/tmp/app.log 2>&1
APP
  chmod 755 "$r/tmp/start-app.sh"
  in_root "$r" runuser -u hall -- /tmp/start-app.sh &
  local app_pid=$!
  CHILD_PIDS+=("$app_pid")
  local ok="" i
  for i in $(seq 1 90); do
    sleep 1
    if in_root "$r" runuser -u hall -- env DISPLAY=:42 xwininfo -root -tree 2>/dev/null | grep -qE '好差评督办|"haochaping"'; then ok=1; break; fi
    kill -0 "$app_pid" 2>/dev/null || break
  done
  [ -n "$ok" ] || { cat "$r/tmp/app.log" >&2 || true; fail "no window titled 好差评督办 within 90 s"; }
  # The login screen renders (the webview draws its form a while after the window maps: software
  # rendering on a loaded machine); then a few seconds more for the fonts and the layout to settle.
  shot="$OUT/install-login.png"
  local colours=0
  for i in $(seq 1 60); do
    in_root "$r" runuser -u hall -- env DISPLAY=:42 xwd -root -silent -out /tmp/screen.xwd
    convert "xwd:$r/tmp/screen.xwd" "$shot"
    colours=$(convert "$shot" -format '%k' info:)
    [ "$colours" -gt 50 ] && break
    sleep 2
  done
  sleep 5
  in_root "$r" runuser -u hall -- env DISPLAY=:42 xwd -root -silent -out /tmp/screen.xwd
  convert "xwd:$r/tmp/screen.xwd" "$shot"
  colours=$(convert "$shot" -format '%k' info:)
  echo "screenshot: $shot ($colours colours)"
  [ "$colours" -gt 50 ] || fail "the screen is (almost) blank: $colours colours"
  ls "$log"/haochaping.*.log >/dev/null 2>&1 || fail "no log file in the data folder ($log)"
  grep -q 'haochaping started' "$log"/haochaping.*.log || fail "the log file does not say the app started"
  cp "$log"/haochaping.*.log "$OUT/install-app.log"
  # Close the app and the display (by the ids they wrote: other apps may run on this machine).
  kill "$(cat "$r/tmp/app.pid")" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  kill "$(cat "$r/tmp/xvfb.pid")" 2>/dev/null || true
  sleep 1
  # Uninstall cleanly: no file of the package stays behind.
  local files
  files=$(in_root "$r" dpkg -L haochaping | grep -v '^/\.$' || true)
  in_root "$r" apt-get purge -y -q haochaping > "$OUT/install-purge.log" 2>&1 || fail "purge failed"
  in_root "$r" dpkg -s haochaping >/dev/null 2>&1 && fail "haochaping is still installed"
  local left=0 f
  while read -r f; do
    [ -n "$f" ] || continue
    if [ -f "$r$f" ] || [ -L "$r$f" ]; then echo "left behind: $f" >&2; left=1; fi
  done <<< "$files"
  [ $left -eq 0 ] || fail "files of the package stayed after purge"
  unmount_root "$r"
  remove_root "$r"
  echo "PASS install: installed with its dependencies, window 好差评督办 shown ($shot), purged cleanly"
}

test_server() {
  local deb r port url token
  deb=$(one_deb 'hcp-server_*_amd64.deb')
  r="$WORK/root-server"
  echo "== server package test: $(basename "$deb")"
  new_root "$r"
  cp "$deb" "$r/tmp/hcp-server.deb"
  apt_install "$r" /tmp/hcp-server.deb > "$OUT/server-apt.log" 2>&1 || { tail -30 "$OUT/server-apt.log"; fail "apt could not install hcp-server"; }
  in_root "$r" getent passwd haochaping >/dev/null || fail "no haochaping system user"
  [ "$(in_root "$r" stat -c %U /var/lib/haochaping)" = haochaping ] || fail "/var/lib/haochaping is not the service user's"
  [ -f "$r/etc/haochaping/server.toml" ] && [ -f "$r/etc/haochaping/server.env" ] || fail "no default configuration"
  [ -f "$r/lib/systemd/system/hcp-server.service" ] || fail "no systemd unit"
  # The unit's own command line and environment file, on a free port.
  local exec_start
  exec_start=$(sed -n 's/^ExecStart=//p' "$r/lib/systemd/system/hcp-server.service")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  sed -i "s/^HCP_LISTEN=.*/HCP_LISTEN=127.0.0.1:$port/" "$r/etc/haochaping/server.env"
  local envs
  envs=$(grep -E '^[A-Z_]+=' "$r/etc/haochaping/server.env" | tr '\n' ' ')
  local db=/var/lib/haochaping/hcp-server.db
  in_root "$r" runuser -u haochaping -- env $envs hcp-server seed --if-empty --evaluations 600 > "$OUT/server-seed.log" 2>&1 \
    || { tail -20 "$OUT/server-seed.log"; fail "seeding failed"; }
  echo "starting: $exec_start"
  # ExecStart as the unit runs it (user, environment file); its id and exit status are written down.
  cat > "$r/tmp/serve.sh" <<SERVE
#!/bin/sh
env $envs $exec_start &
echo \$! > /tmp/server.pid
wait \$!
echo \$? > /tmp/server.rc
SERVE
  chmod 755 "$r/tmp/serve.sh"; rm -f "$r/tmp/server.rc"
  in_root "$r" runuser -u haochaping -- /tmp/serve.sh > "$OUT/server-serve.log" 2>&1 &
  local server_pid=$!
  CHILD_PIDS+=("$server_pid")
  url="http://127.0.0.1:$port"
  local i
  for i in $(seq 1 60); do curl -sf "$url/healthz" >/dev/null && break; sleep 1; done
  curl -sf "$url/healthz" >/dev/null || { cat "$OUT/server-serve.log" >&2; fail "the server did not answer"; }
  token=$(curl -sf -H 'content-type: application/json' -d '{"username":"admin","password":"Hcp@2026"}' "$url/api/v1/auth/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  local hall
  hall=$(python3 - "$r$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
print(c.execute("SELECT code FROM org_units WHERE name = '东湖区政务服务中心'").fetchone()[0])
PY
)
  count() { python3 -c "import sqlite3,sys; print(sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True).execute('SELECT count(*) FROM ratings').fetchone()[0])" "$1"; }
  local before
  before=$(count "$r$db")
  # Intake writes ratings (batches of 20) while the backup runs.
  (
    n=0
    while [ ! -f "$OUT/stop-intake" ]; do
      body=$(python3 -c '
import json, sys
hall, n = sys.argv[1], int(sys.argv[2])
print(json.dumps({"ratings": [{"source": "package-test", "service_record_no": f"PT-{n}-{i}", "unit_code": hall,
  "item_code": "X-1", "item_name": "居民身份证换领", "channel": 4, "level": "satisfied" if i % 5 else "dissatisfied",
  "rated_at": "2026-11-20T09:30:00+08:00"} for i in range(20)]}))' "$hall" "$n")
      curl -sf -H "authorization: Bearer $token" -H 'content-type: application/json' -d "$body" "$url/api/v1/intake/ratings" >/dev/null \
        || echo "intake request $n failed" >&2
      n=$((n+1))
    done
    echo "$n" > "$OUT/intake-batches"
  ) &
  local intake_pid=$!
  rm -f "$OUT/stop-intake"
  # The backup starts once intake has written, and intake goes on writing after it.
  for i in $(seq 1 60); do [ "$(count "$r$db")" -gt "$before" ] && break; sleep 1; done
  in_root "$r" runuser -u haochaping -- env $envs hcp-server backup --to /var/backups/haochaping/test.db > "$OUT/server-backup.json" \
    || fail "backup failed"
  local mid
  mid=$(count "$r$db")
  for i in $(seq 1 60); do [ "$(count "$r$db")" -gt "$mid" ] && break; sleep 1; done
  touch "$OUT/stop-intake"; wait "$intake_pid"
  local after in_backup
  after=$(count "$r$db")
  in_backup=$(count "$r/var/backups/haochaping/test.db")
  echo "ratings: $before before, $in_backup in the backup, $after after ($(cat "$OUT/intake-batches") intake batches)"
  [ "$in_backup" -ge "$before" ] && [ "$in_backup" -le "$after" ] && [ "$after" -gt "$before" ] \
    || fail "the backup is not a moment between the start and the end of the writes"
  # Restore into a fresh folder and compare what a city-wide client and a district's manager hold.
  in_root "$r" mkdir -p /srv/restored
  in_root "$r" hcp-server restore --database sqlite:///srv/restored/hcp.db --from /var/backups/haochaping/test.db > "$OUT/server-restore.json" \
    || fail "restore failed"
  in_root "$r" hcp-server restore --database sqlite:///srv/restored/hcp.db --from /var/backups/haochaping/test.db 2> "$OUT/server-restore-again.log" \
    && fail "restore overwrote a database without --force"
  grep -q -- '--force' "$OUT/server-restore-again.log" || fail "restore's refusal does not name --force"
  cp "$r/var/backups/haochaping/test.db" "$r/srv/backup-copy.db"
  local scope a b
  for scope in "/" "$(python3 -c "import sqlite3,sys; print(sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True).execute(\"SELECT path FROM org_units WHERE name = '东湖区'\").fetchone()[0])" "$r$db")"; do
    a=$(in_root "$r" hcp-server digest --database sqlite:///srv/backup-copy.db --scope "$scope")
    b=$(in_root "$r" hcp-server digest --database sqlite:///srv/restored/hcp.db --scope "$scope")
    [ "$a" = "$b" ] || fail "scope $scope: the restored digest $b differs from the backup's $a"
    echo "scope $scope: digest $a (backup = restored)"
  done
  in_root "$r" hcp-server migrate --check --database sqlite:///srv/restored/hcp.db > "$OUT/server-migrate-check.json" || fail "migrate --check"
  cat "$OUT/server-migrate-check.json"
  # SIGTERM: the server finishes and exits 0; its log file is in /var/log/haochaping.
  kill -TERM "$(cat "$r/tmp/server.pid")"
  wait "$server_pid" || true
  [ "$(cat "$r/tmp/server.rc" 2>/dev/null)" = 0 ] || fail "the server did not exit with 0 after SIGTERM ($(cat "$r/tmp/server.rc" 2>/dev/null))"
  grep -q 'shutting down' "$r"/var/log/haochaping/hcp-server.*.log || fail "no log file in /var/log/haochaping"
  if grep -E "$token|Hcp@2026" "$r"/var/log/haochaping/hcp-server.*.log; then fail "a token or password in the server's log"; fi
  in_root "$r" apt-get purge -y -q hcp-server > "$OUT/server-purge.log" 2>&1 || fail "purge failed"
  [ ! -e "$r/usr/bin/hcp-server" ] && [ ! -e "$r/etc/haochaping/server.toml" ] || fail "files left after purge"
  [ -f "$r$db" ] || fail "purge deleted the database (it must stay)"
  unmount_root "$r"
  remove_root "$r"
  echo "PASS server: installed (user, folders, config, unit), served, backed up while writing, restored, digests equal, stopped, purged"
}

test_update() {
  local deb version next next_dist deb_next r key pub
  deb=$(one_deb 'haochaping_*_amd64.deb')
  version=$(dpkg-deb -f "$deb" Version)
  next=$(python3 -c 'import sys; v=sys.argv[1].split("."); v[2]=str(int(v[2].split("-")[0])+1); print(".".join(v[:3]))' "$version")
  echo "== update test: $version -> $next through the updater"
  # N+1: the same sources with the version bumped (only the app crate recompiles).
  next_dist="$WORK/dist-next"
  deb_next="$next_dist/haochaping_${next}_amd64.deb"
  if [ ! -f "$deb_next" ] || [ "$deb_next" -ot "$deb" ]; then
    echo "building $next, the update (a release build of the app crate)"
    rm -rf "$next_dist"
    local t0=$SECONDS
    HCP_PACKAGE_VERSION=$next HCP_DIST_DIR=$next_dist "$ROOT/scripts/package.sh" > "$OUT/update-package-next.log" 2>&1 \
      || { tail -30 "$OUT/update-package-next.log"; fail "building $next failed"; }
    echo "built $next in $((SECONDS - t0)) s"
  fi
  [ -f "$deb_next" ] && [ -f "$deb_next.sig" ] || fail "no $deb_next (and .sig)"
  key=${HCP_UPDATER_KEY:-$ROOT/packaging/updater/TEST-ONLY-updater.key}
  pub="$key.pub"

  # A signature of the same package by another key (what a forger could make).
  local foreign="$WORK/foreign-key"
  rm -rf "$foreign"; mkdir -p "$foreign"
  "$ROOT/packaging/node_modules/.bin/tauri" signer generate --ci -w "$foreign/other.key" -p "" > "$OUT/update-foreign-key.log" 2>&1 \
    || { cat "$OUT/update-foreign-key.log"; fail "could not make the other key"; }
  cp "$deb_next" "$foreign/package.deb"
  "$ROOT/packaging/node_modules/.bin/tauri" signer sign -f "$foreign/other.key" -p "" "$foreign/package.deb" >> "$OUT/update-foreign-key.log" 2>&1 \
    || { cat "$OUT/update-foreign-key.log"; fail "could not sign with the other key"; }

  # The server (this build's release binary, on the machine): seeded, offering N+1.
  local srv="$WORK/update-server" server_bin="$TARGET/release/hcp-server" sport
  rm -rf "$srv"; mkdir -p "$srv"
  [ -x "$server_bin" ] || fail "no $server_bin: run 'make package' first"
  "$server_bin" seed --database "sqlite://$srv/hcp.db" --evaluations 2000 > "$OUT/update-seed.log" 2>&1 \
    || { tail -20 "$OUT/update-seed.log"; fail "seeding failed"; }
  "$server_bin" release add "$deb_next" --signature "$deb_next.sig" --version "$next" --target linux-x86_64-deb \
    --notes "更新测试：$next 版" --pubkey "$pub" --releases-dir "$srv/releases" > "$OUT/update-release.json" \
    || fail "the server refused the release"
  # A package with a signature by another key is refused by the server too (the app is tested below).
  "$server_bin" release add "$foreign/package.deb" --signature "$foreign/package.deb.sig" --version "$next" \
    --target linux-x86_64-deb --notes x --pubkey "$pub" --releases-dir "$srv/refused" > /dev/null 2> "$OUT/update-release-foreign.log" \
    && fail "the server accepted a package signed by another key"
  sport=$(free_port)
  "$server_bin" serve --database "sqlite://$srv/hcp.db" --listen "127.0.0.1:$sport" --releases-dir "$srv/releases" \
    > "$OUT/update-server.log" 2>&1 &
  CHILD_PIDS+=($!)
  local i
  for i in $(seq 1 60); do curl -sf "http://127.0.0.1:$sport/healthz" >/dev/null && break; sleep 1; done
  curl -sf "http://127.0.0.1:$sport/healthz" >/dev/null || { tail -20 "$OUT/update-server.log"; fail "the server did not start"; }

  # Version N installed with apt into a fresh Debian 12 root, with what the test drives it with.
  r="$WORK/root-update"
  new_root "$r"
  cp "$deb" "$r/tmp/haochaping.deb"
  apt_install "$r" /tmp/haochaping.deb > "$OUT/update-apt.log" 2>&1 || { tail -30 "$OUT/update-apt.log"; fail "apt could not install $version"; }
  # The test's tools: a display, a session bus with an unlocked keyring (the app keeps its replica
  # key there), WebKitWebDriver under tauri-driver (as tests/e2e), sudo for the updater's dpkg.
  apt_install "$r" xvfb xauth dbus dbus-x11 x11-apps gnome-keyring keyutils webkit2gtk-driver sudo fonts-noto-cjk \
    > "$OUT/update-tools.log" 2>&1 || { tail -20 "$OUT/update-tools.log"; fail "the test's tools could not be installed"; }
  install -m 755 "$(command -v tauri-driver)" "$r/usr/local/bin/tauri-driver"
  in_root "$r" useradd -m -s /bin/bash hall
  # The updater installs a .deb with pkexec when a polkit agent can ask for an administrator's
  # password (a desktop session), else zenity/kdialog + sudo, else sudo. A headless root has no
  # polkit agent: this rule lets the hall's user run exactly `dpkg -i` on the updater's download.
  echo 'hall ALL=(root) NOPASSWD: /usr/bin/dpkg -i /tmp/*' > "$r/etc/sudoers.d/haochaping-update-test"
  chmod 440 "$r/etc/sudoers.d/haochaping-update-test"
  local dport nport pport
  dport=$(free_port); nport=$(free_port); pport=$(free_port)
  cat > "$r/tmp/update-session.sh" <<SESSION
#!/bin/sh
export HOME=/home/hall LANG=C.UTF-8 HCP_SYNC_INTERVAL=2
Xvfb :57 -screen 0 1366x800x24 -nolisten tcp >/tmp/xvfb.log 2>&1 &
sleep 2
export DISPLAY=:57
exec dbus-run-session -- keyctl session - sh -c 'eval "\$(printf hcp-test | gnome-keyring-daemon --unlock --components=secrets)"; export GNOME_KEYRING_CONTROL; exec tauri-driver --port $dport --native-port $nport'
SESSION
  chmod 755 "$r/tmp/update-session.sh"
  in_root "$r" runuser -u hall -- /tmp/update-session.sh > "$OUT/update-app.log" 2>&1 &
  CHILD_PIDS+=($!)
  python3 "$ROOT/scripts/package-update-test.py" --root "$r" --driver "http://127.0.0.1:$dport" --server "127.0.0.1:$sport" \
    --proxy-port "$pport" --version-n "$version" --version-next "$next" --foreign-sig "$foreign/package.deb.sig" --out "$OUT" \
    || { tail -40 "$OUT/update-app.log" >&2; fail "the update test failed (its app's output: $OUT/update-app.log)"; }
  cp "$r"/home/hall/.local/share/cn.haochaping.desktop/logs/haochaping.*.log "$OUT/" 2>/dev/null || true
  kill_rooted
  sleep 2
  unmount_root "$r"
  remove_root "$r"
  # The server, its releases and the N+1 packages are throw-away copies (N+1 is rebuilt from the
  # sources with the next run).
  kill "${CHILD_PIDS[@]}" 2>/dev/null || true
  sleep 1
  rm -rf "$foreign" "$srv" "$next_dist"
  echo "PASS update"
}

test_rpm() {
  local rpm_file version
  command -v rpm >/dev/null && command -v rpm2cpio >/dev/null || fail "rpm is missing: scripts/install-system-deps.sh --package"
  rpm_file=$(ls $DIST/haochaping-*.x86_64.rpm 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$rpm_file" ] || fail "no haochaping-*.x86_64.rpm in $DIST: run 'make package' first"
  echo "== rpm test: $(basename "$rpm_file")"
  rpm -qpi "$rpm_file" > "$OUT/rpm-info.txt" 2>/dev/null || fail "rpm cannot read $rpm_file"
  rpm -qpR "$rpm_file" > "$OUT/rpm-requires.txt" 2>/dev/null
  rpm -qp --recommends "$rpm_file" > "$OUT/rpm-recommends.txt" 2>/dev/null
  rpm -qpl "$rpm_file" > "$OUT/rpm-files.txt" 2>/dev/null
  echo "requires: $(tr '\n' ' ' < "$OUT/rpm-requires.txt")"
  echo "recommends: $(tr '\n' ' ' < "$OUT/rpm-recommends.txt")"
  # The same version as the .deb, the name the updater's target expects.
  [ "$(rpm -qp --qf '%{NAME} %{VERSION} %{ARCH}' "$rpm_file" 2>/dev/null)" = "haochaping $(dpkg-deb -f "$(one_deb 'haochaping_*_amd64.deb')" Version) x86_64" ] \
    || fail "name, version or architecture: $(rpm -qp --qf '%{NAME} %{VERSION} %{ARCH}' "$rpm_file")"
  # WebKitGTK 4.1 and GTK 3 by their libraries (the names RPM distributions give them differ:
  # webkit2gtk4.1, libwebkit2gtk-4_1-0…; the soname is the same), xdg-utils by name.
  local dep
  for dep in 'libwebkit2gtk-4.1.so.0()(64bit)' 'libgtk-3.so.0()(64bit)' xdg-utils ca-certificates; do
    grep -qxF "$dep" "$OUT/rpm-requires.txt" || fail "the rpm does not require $dep"
  done
  for dep in gnome-keyring google-noto-sans-cjk-fonts; do
    grep -qx "$dep" "$OUT/rpm-recommends.txt" || fail "the rpm does not recommend $dep"
  done
  grep -qx /usr/bin/haochaping "$OUT/rpm-files.txt" || fail "no /usr/bin/haochaping"
  grep -qx /usr/share/applications/haochaping.desktop "$OUT/rpm-files.txt" || fail "no desktop entry"
  grep -qE '^/usr/share/icons/hicolor/(32x32|128x128|256x256@2)/apps/haochaping.png$' "$OUT/rpm-files.txt" || fail "no icon"
  [ "$(grep -c '^/usr/share/icons/hicolor/.*/apps/haochaping.png$' "$OUT/rpm-files.txt")" -ge 2 ] || fail "fewer than two icon sizes"
  # The payload: the binary an x86-64 executable, the desktop entry in Chinese starting it.
  local x="$WORK/rpm-extract"
  rm -rf "$x"; mkdir -p "$x"
  # (rpm2cpio exits 1 after writing the whole archive on this Debian build: the files are checked.)
  (cd "$x" && { rpm2cpio "$rpm_file" || true; } | cpio -idm --quiet) || fail "the payload does not extract"
  [ -f "$x/usr/bin/haochaping" ] && [ -f "$x/usr/share/applications/haochaping.desktop" ] || fail "the payload lacks the binary or the desktop entry"
  file "$x/usr/bin/haochaping" | grep -q 'ELF 64-bit LSB.*x86-64' || fail "the binary is not an x86-64 executable"
  grep -q '^Name\[zh_CN\]=好差评督办' "$x/usr/share/applications/haochaping.desktop" || fail "the desktop entry has no Chinese name"
  grep -q '^Exec=haochaping' "$x/usr/share/applications/haochaping.desktop" || fail "the desktop entry does not start haochaping"
  grep -q '^Icon=haochaping' "$x/usr/share/applications/haochaping.desktop" || fail "the desktop entry names no icon"
  cp "$x/usr/share/applications/haochaping.desktop" "$OUT/rpm-haochaping.desktop"
  rm -rf "$x"
  [ -s "$rpm_file.sig" ] || fail "no updater signature $rpm_file.sig"
  # Installing it needs an rpm-based root (Fedora, openEuler…) whose packages this machine's
  # Debian mirror does not carry: not done here (see the README).
  echo "PASS rpm: dependencies, binary, desktop entry and icons as declared (inspected, not installed)"
}

for t in "${TESTS[@]}"; do
  case "$t" in
    install) test_install ;;
    server) test_server ;;
    update) test_update ;;
    rpm) test_rpm ;;
    *) fail "unknown test $t (install, server, update, rpm)" ;;
  esac
done
