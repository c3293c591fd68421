#!/usr/bin/env python3
"""The desktop update test's driver (run by `scripts/package-test.sh update`, which prepares
everything it names): version N of the app is installed from its .deb in a Debian 12 root and
runs there under Xvfb, driven through tauri-driver + WebKitWebDriver (the tools tests/e2e uses).
The test calls the app's own Tauri commands inside its webview (`window.__TAURI_INTERNALS__
.invoke`, exactly what the UI's generated bindings call): sign in, sync, queue commands while
offline, check for the update, agree to install it. No UI element is clicked.

Between the app and hcp-server sits this script's proxy, which plays the network:
  online     everything passes
  offline    every connection is dropped (the app queues commands in its outbox)
  updates    only the update routes pass (the outbox stays pending, the update is reachable)
  flip       as `updates`, with one byte of the downloaded package changed
  foreign    as `updates`, with the manifest's signature replaced by one from another key

Steps: sign in and bootstrap; go offline and queue two commands; refuse a tampered package and a
package signed by another key (clear message, nothing installed); install N+1; the app restarts
as N+1; a new session of the installed N+1 restores the signed-in session with the same replica
and the same pending outbox; back online the outbox is delivered and the server applied it.
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

MODE = {"value": "online", "foreign_sig": ""}
PASSWORD = "Hcp@2026"
USER = "donghu.manager"


def log(*a):
    print(*a, flush=True)


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ("127.0.0.1", 0)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _handle(self):
        mode = MODE["value"]
        is_update = self.path.startswith("/api/v1/updates/")
        if mode == "offline" or (mode != "online" and not is_update):
            # The network is down: the connection closes without an answer.
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "accept-encoding")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if mode == "flip" and self.path.startswith("/api/v1/updates/files/") and resp.status == 200:
            data = bytearray(data)
            data[len(data) // 2] ^= 0x01
            data = bytes(data)
        if mode == "foreign" and not self.path.startswith("/api/v1/updates/files/") and resp.status == 200:
            manifest = json.loads(data)
            manifest["signature"] = MODE["foreign_sig"]
            data = json.dumps(manifest).encode()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


class WebDriver:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.sid = None

    def _req(self, method, path, body=None, timeout=300):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
        for attempt in range(5):
            try:
                with urllib.request.urlopen(req, timeout=timeout) as r:
                    return json.loads(r.read() or b"{}").get("value")
            except urllib.error.HTTPError as e:
                raise RuntimeError(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}") from None
            except (http.client.RemoteDisconnected, ConnectionResetError) as e:
                # tauri-driver reuses a connection to WebKitWebDriver that WebKitWebDriver had just
                # closed: the request never reached it (tauri-driver logs "client error
                # (SendRequest)"), so it is sent again.
                if attempt == 4:
                    raise
                log(f"(WebDriver {method} {path}: {e}; again)")
                time.sleep(0.5)

    def start(self, app):
        caps = {"browserName": "wry", "tauri:options": {"application": app}}
        deadline = time.time() + 120
        while True:
            try:
                v = self._req("POST", "/session", {"capabilities": {"alwaysMatch": caps}, "desiredCapabilities": caps})
                self.sid = v["sessionId"]
                break
            except Exception as e:  # tauri-driver still starting
                if time.time() > deadline:
                    fail(f"no WebDriver session: {e}")
                time.sleep(1)
        self._req("POST", f"/session/{self.sid}/timeouts", {"script": 240000})
        wait(60, "the webview's page", lambda: self.script(
            "return document.readyState === 'complete' && !!window.__TAURI_INTERNALS__") or None)

    def script(self, js, args=None):
        return self._req("POST", f"/session/{self.sid}/execute/sync", {"script": js, "args": args or []})

    def invoke(self, cmd, args=None, timeout=300):
        """One of the app's commands, as the UI's bindings call it: {"ok": value} or {"err": error}.
        Called from a synchronous script that keeps the promise's outcome in the page, then polled
        (plain `execute/sync` calls only)."""
        self.seq = getattr(self, "seq", 0) + 1
        key = f"c{self.seq}"
        self.script("""const [cmd, args, key] = arguments;
window.__hcpTest = window.__hcpTest || {};
window.__hcpTest[key] = null;
window.__TAURI_INTERNALS__.invoke(cmd, args).then(
  v => { window.__hcpTest[key] = {ok: v === undefined ? null : v}; },
  e => { window.__hcpTest[key] = {err: e}; });
return true;""", [cmd, args or {}, key])
        deadline = time.time() + timeout
        while True:
            r = self.script("return (window.__hcpTest || {})[arguments[0]] || null;", [key])
            if r is not None:
                return r
            if time.time() > deadline:
                fail(f"{cmd}: no answer in {timeout} s")
            time.sleep(0.2)

    def fire(self, cmd, args=None):
        """Calls a command without waiting for its answer (one that ends the process)."""
        self.script("window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).catch(() => {}); return true;",
                    [cmd, args or {}])

    def ok(self, cmd, args=None):
        r = self.invoke(cmd, args)
        if "err" in r:
            fail(f"{cmd} failed: {r['err']}")
        return r["ok"]

    def screenshot(self, path):
        png = self._req("GET", f"/session/{self.sid}/screenshot")
        with open(path, "wb") as f:
            f.write(base64.b64decode(png))

    def quit(self):
        if self.sid:
            try:
                self._req("DELETE", f"/session/{self.sid}", timeout=30)
            except Exception as e:
                log(f"(closing the WebDriver session: {e})")
            self.sid = None


def wait(secs, what, probe, every=1.0):
    deadline = time.time() + secs
    while True:
        try:
            v = probe()
        except Exception as e:  # noqa: BLE001 (a probe may fail while the app starts)
            v = None
            last = e
        if v is not None:
            return v
        if time.time() > deadline:
            fail(f"timed out waiting for {what}" + (f" ({last})" if "last" in locals() else ""))
        time.sleep(every)


def in_root(root, *cmd):
    return subprocess.run(["chroot", root, *cmd], capture_output=True, text=True)


def installed_version(root):
    r = in_root(root, "dpkg-query", "-W", "-f=${Version}", "haochaping")
    return r.stdout.strip() if r.returncode == 0 else None


def sha256(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def app_pids(root):
    """The haochaping processes running inside the test's root."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{p}/root") != root:
                continue
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if os.path.basename(argv0) == "haochaping":
            pids.append(int(p))
    return sorted(pids)


def started_lines(log_dir):
    out = []
    if os.path.isdir(log_dir):
        for name in sorted(os.listdir(log_dir)):
            with open(os.path.join(log_dir, name), encoding="utf-8", errors="replace") as f:
                out += [line.strip() for line in f if "haochaping started" in line]
    return out


def outbox_view(items):
    return [(i["commandId"], i["caseId"], i["kind"], i["command"], i["status"]) for i in items]


def inbox_view(page):
    return [(c["id"], c["caseNo"], c["state"], c.get("deadline")) for c in page["items"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--server", required=True, help="host:port of hcp-server")
    ap.add_argument("--proxy-port", type=int, required=True)
    ap.add_argument("--version-n", required=True)
    ap.add_argument("--version-next", required=True)
    ap.add_argument("--foreign-sig", required=True, help="the package's .sig made with another key")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    root = os.path.realpath(a.root)
    home = os.path.join(root, "home/hall")
    log_dir = os.path.join(home, ".local/share/cn.haochaping.desktop/logs")
    binary = os.path.join(root, "usr/bin/haochaping")
    with open(a.foreign_sig) as f:
        MODE["foreign_sig"] = f.read().strip()

    host, port = a.server.rsplit(":", 1)
    Proxy.upstream = (host, int(port))
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", a.proxy_port), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    server_url = f"http://127.0.0.1:{a.proxy_port}"

    # 1. Version N signed in, its replica bootstrapped.
    wd = WebDriver(a.driver)
    wd.start("/usr/bin/haochaping")
    info = wd.ok("app_info")
    log(f"running: haochaping {info['version']} (installed package {installed_version(root)})")
    if info["version"] != a.version_n:
        fail(f"the installed app says {info['version']}, expected {a.version_n}")
    wd.ok("login", {"req": {"serverUrl": server_url, "username": USER, "password": PASSWORD, "remember": True}})
    st = wait(300, "the bootstrap", lambda: (lambda s: s if s["bootstrapped"] and s["phase"] == "idle" else None)(
        wd.ok("sync_status")), every=2)
    log(f"signed in as {USER}, replica bootstrapped at cursor {st['cursor']}")

    # 2. Offline: two commands queued in the outbox.
    MODE["value"] = "offline"
    wd.invoke("sync_now")  # fails: the network is down
    page = wd.ok("list_cases", {"query": {"state": "new", "offset": 0, "limit": 20}})
    new_cases = [c["id"] for c in page["items"]]
    if len(new_cases) < 2:
        fail(f"the hall manager's inbox has {len(new_cases)} new cases; the seed should give several")
    for cid, reason in zip(new_cases[:2], ["离线核实：排队超过一小时，属实", "离线核实：窗口无人，属实"]):
        r = wd.invoke("issue_command", {"caseId": cid, "command": {"type": "verify", "outcome": "genuine", "reason": reason}})
        if "err" in r:
            fail(f"issue_command on case {cid}: {r['err']}")
    before_outbox = outbox_view(wd.ok("outbox"))
    status = wd.ok("sync_status")
    log(f"offline: {status['pending']} commands pending: {before_outbox}")
    if status["pending"] != 2 or len(before_outbox) != 2 or any(o[4] != "pending" for o in before_outbox):
        fail("the two commands are not pending in the outbox")
    query = {"query": {"offset": 0, "limit": 200, "sort": "deadline"}}
    before_inbox = inbox_view(wd.ok("list_cases", query))
    before_replica = wd.ok("replica_info")
    log(f"replica: {before_replica}")

    # 3. The update is reachable, the sync endpoints are not (the outbox stays pending).
    package_sha = sha256(binary)
    MODE["value"] = "updates"
    offer = wd.ok("check_update")
    if not offer or offer["version"] != a.version_next:
        fail(f"the server did not offer {a.version_next}: {offer}")
    log(f"offered: {offer['version']} (current {offer['currentVersion']}): {offer['notes']}")

    # 4. Tampered packages are refused, nothing installed.
    for mode, what in (("flip", "one byte of the package changed"), ("foreign", "signed with another key")):
        MODE["value"] = mode
        offer = wd.ok("check_update")
        if not offer:
            fail(f"{mode}: no update offered")
        r = wd.invoke("install_update")
        if "err" not in r:
            fail(f"{what}: the app installed it")
        message = r["err"].get("message", "")
        log(f"{what}: refused: {message}")
        if "签名校验未通过" not in message or "已拒绝安装" not in message:
            fail(f"{what}: the refusal does not say the signature failed: {message}")
        if installed_version(root) != a.version_n or sha256(binary) != package_sha:
            fail(f"{what}: something was installed ({installed_version(root)})")
        if wd.ok("app_info")["version"] != a.version_n:
            fail(f"{what}: the running app changed")
    if outbox_view(wd.ok("outbox")) != before_outbox:
        fail("the outbox changed during the refused updates")

    # 5. The genuine update: downloaded, verified, installed with dpkg, the app restarts.
    MODE["value"] = "updates"
    offer = wd.ok("check_update")
    if not offer:
        fail("no update offered")
    pids_before = app_pids(root)
    started_before = started_lines(log_dir)
    t0 = time.time()
    wd.fire("install_update")
    wait(300, f"dpkg to install {a.version_next}",
         lambda: True if installed_version(root) == a.version_next else None, every=1)
    log(f"installed {installed_version(root)} after {time.time() - t0:.0f} s")
    if sha256(binary) == package_sha:
        fail("the binary did not change")
    restarted = wait(120, "the app to restart as the new version", lambda: (lambda lines: lines[len(started_before):]
                     if any(f"version={a.version_next}" in x for x in lines[len(started_before):]) else None)(
                         started_lines(log_dir)), every=1)
    log(f"restarted: {restarted[-1]}")
    new_pids = wait(60, "the restarted process", lambda: [p for p in app_pids(root) if p not in pids_before] or None)
    for p in pids_before:
        if p in app_pids(root):
            fail(f"the old process {p} still runs")
    time.sleep(5)
    # The restarted app shows its window (its own session, not the driver's): a screenshot of
    # the display, then it is closed by its id for a driven session of the installed N+1.
    shot = subprocess.run(["chroot", root, "runuser", "-u", "hall", "--", "env", "DISPLAY=:57", "xwd", "-root", "-silent",
                           "-out", "/tmp/restarted.xwd"], capture_output=True)
    if shot.returncode == 0:
        subprocess.run(["convert", f"xwd:{root}/tmp/restarted.xwd", os.path.join(a.out, "update-restarted.png")])
    for p in new_pids:
        os.kill(p, signal.SIGTERM)
    wait(30, "the restarted app to close", lambda: True if not app_pids(root) else None)
    wd.quit()  # the first session's browser went with the old process: WebKitWebDriver forgets it

    # 6. A new session of the installed N+1: the same replica, the same pending outbox.
    wd = WebDriver(a.driver)
    wd.start("/usr/bin/haochaping")
    info = wd.ok("app_info")
    if info["version"] != a.version_next:
        fail(f"after the update the app says {info['version']}")
    session = wd.ok("session_restore")
    if not session:
        fail("the signed-in session was not restored after the update")
    after_outbox = outbox_view(wd.ok("outbox"))
    after_inbox = inbox_view(wd.ok("list_cases", query))
    after_replica = wd.ok("replica_info")
    status = wd.ok("sync_status")
    log(f"after the update: {info['version']}, {status['pending']} pending: {after_outbox}")
    if after_outbox != before_outbox:
        fail(f"the outbox changed: {before_outbox} -> {after_outbox}")
    if after_inbox != before_inbox:
        fail("the inbox (replica) changed across the update")
    same = ("path", "rows", "scope", "cursor", "pending", "rejected")
    if any(after_replica.get(k) != before_replica.get(k) for k in same):
        fail(f"the replica changed: {before_replica} -> {after_replica}")
    # The window as the user sees it now (the UI restores the same session on reload).
    try:
        wd.script("setTimeout(() => location.reload(), 100); return true;")
        time.sleep(10)
        wd.screenshot(os.path.join(a.out, "update-after.png"))
    except Exception as e:  # a screenshot is evidence, not a check
        log(f"(no screenshot after the update: {e})")

    # 7. Back online the queued commands are delivered: the outbox empties, the cases moved on.
    MODE["value"] = "online"
    wd.ok("sync_now")
    wait(120, "the outbox to be delivered", lambda: True if wd.ok("sync_status")["pending"] == 0 else None, every=2)
    rejected = [o for o in wd.ok("outbox") if o["status"] == "rejected"]
    if rejected:
        fail(f"the server refused the queued commands: {rejected}")
    for cid in [o[1] for o in before_outbox]:
        detail = wd.ok("case_detail", {"caseId": cid})
        state = detail["item"]["state"]
        log(f"case {cid}: {state}")
        if state == "new":
            fail(f"case {cid} is still new after its verification was delivered")
    wd.quit()
    log(f"PASS update: {a.version_n} -> {a.version_next} through the updater; replica and 2 pending commands kept; "
        "tampered and foreign-signed packages refused")


if __name__ == "__main__":
    main()
