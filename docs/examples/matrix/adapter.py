#!/usr/bin/env python3
"""pushsim driver-protocol adapter for the Matrix homeserver Synapse.

pushsim's `conform` drives this adapter (docs/driver-protocol.md); the adapter
turns each step into Matrix client-server API calls on one real Synapse it
starts, and is itself the push gateway Synapse's HTTP pushers call
(`POST /_matrix/push/v1/notify`). Each notify becomes one FCM HTTP v1 request to
pushsim's mock FCM, built like the reference's (src/vendor/fcm.rs `encode`),
signed with the service-account JWT code of ../python/sut.py (imported, not
copied). Decisions — who is pushed, with which badge — are Synapse's own.

    python3 docs/examples/matrix/adapter.py --port 7090 --venv target/matrix-venv

The adapter runs on the system python3 (standard library only); Synapse runs
from the venv (`$VENV/bin/python -m synapse.app.homeserver`). It prints its
base URL on the first line of stdout once Synapse answers, then serves until
SIGINT/SIGTERM, which also stop Synapse. See README.md for the mapping.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import sut  # noqa: E402  (FCM v1: RS256 JWT, OAuth exchange, messages:send)

PROTOCOL = "pushsim-driver/1"
SYNAPSE_VERSION = "1.163.2"
STEPS = ["login", "logout", "background", "foreground", "disconnect", "reconnect", "kill",
         "bind_token", "unregister", "send", "set_remind", "clear_remind", "create_group", "read"]
SERVER = "localhost"
PASSWORD = "pushsim-password"
SECRET = "pushsim-shared-secret"
CUSTOM_TYPE = "com.pushsim.custom"
CONTROL_TYPE = "com.pushsim.control"
GATEWAY_PATH = "/_matrix/push/v1/notify"
SETTLE_TIMEOUT_S = 6.0
# The `matrix` profile's knobs Synapse fixes: a setup asking for another value
# is declined (501 to reset), so conform skips it instead of blaming Synapse.
# `badge_model` may also be `unread_notifications` (a second Synapse).
MATRIX_KNOBS = {"multi_targets": "all_tokens", "max_per_platform": 0, "logout_always_unbinds": True,
                "unique_across_users": True, "invalid_removes": True, "precedence": "push_rule_kind",
                "push_custom": False, "mention_all": "creator", "force_push": False}


def rejected(reason):
    """A step the server refused (no rule id: Synapse has none)."""
    return {"rejected": {"rule": None, "reason": reason}}


class Declined(Exception):
    """A setup this adapter cannot reproduce on Synapse."""


def log(*args):
    if os.environ.get("MATRIX_ADAPTER_DEBUG"):
        print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def q(s):
    return urllib.parse.quote(s, safe="")


# --- Synapse: config, process, client ---------------------------------------------


def synapse_config(workdir, port, by_room=True):
    """homeserver.yaml (JSON is YAML) and its logging config, quiet and unthrottled."""
    big = {"per_second": 100000, "burst_count": 1000000}
    log_cfg = os.path.join(workdir, "log.yaml")
    with open(log_cfg, "w") as f:
        json.dump({"version": 1,
                   "formatters": {"p": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
                   "handlers": {"file": {"class": "logging.FileHandler", "formatter": "p",
                                         "filename": os.path.join(workdir, "homeserver.log")}},
                   "root": {"level": "WARNING", "handlers": ["file"]},
                   "disable_existing_loggers": False}, f)
    cfg = {
        "server_name": SERVER,
        "pid_file": os.path.join(workdir, "homeserver.pid"),
        "report_stats": False,
        "enable_metrics": False,
        "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                       "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
        "database": {"name": "sqlite3", "args": {"database": os.path.join(workdir, "homeserver.db")}},
        "log_config": log_cfg,
        "media_store_path": os.path.join(workdir, "media"),
        "signing_key_path": os.path.join(workdir, "signing.key"),
        "registration_shared_secret": SECRET,
        "macaroon_secret_key": "pushsim-macaroon",
        "form_secret": "pushsim-form",
        "bcrypt_rounds": 4,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "presence": {"enabled": False},
        # counts.unread: rooms with unread notifications (Synapse's default), or
        # notifications (badge.model unread_notifications).
        "push": {"include_content": True, "group_unread_count_by_room": by_room},
        # The pusher's URL is on loopback: allow it (outbound requests are
        # otherwise refused for private ranges).
        "ip_range_whitelist": ["127.0.0.1"],
        "rc_message": big, "rc_registration": big, "rc_room_creation": big,
        "rc_login": {"address": big, "account": big, "failed_attempts": big},
        "rc_joins": {"local": big, "remote": big},
        "rc_joins_per_room": big,
        "rc_invites": {"per_room": big, "per_user": big, "per_issuer": big},
        "rc_admin_redaction": big, "rc_3pid_validation": big,
        "rc_presence": {"per_user": big},
        "rc_delayed_event_mgmt": big,
        "rc_reports": big,
    }
    path = os.path.join(workdir, "homeserver.yaml")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


class Synapse:
    def __init__(self, venv, workdir, by_room=True):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.port = free_port()
        self.cfg = synapse_config(workdir, self.port, by_room)
        py = os.path.join(os.path.abspath(venv), "bin", "python")
        # The signing key Synapse's --generate-keys would write (an ed25519 seed),
        # without a second interpreter start.
        with open(os.path.join(workdir, "signing.key"), "w") as f:
            seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
            f.write(f"ed25519 a_pshm {seed}\n")
        self.out = open(os.path.join(workdir, "stdout.txt"), "w")
        self.proc = subprocess.Popen([py, "-m", "synapse.app.homeserver", "-c", self.cfg],
                                     stdout=self.out, stderr=subprocess.STDOUT, cwd=workdir)
        self.local = threading.local()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()  # never leave a half-started Synapse behind
            raise

    def wait_ready(self):
        deadline = time.time() + 60
        workdir = self.workdir
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Synapse exited ({self.proc.returncode}); see {workdir}/stdout.txt "
                                   f"and homeserver.log")
            try:
                status, _ = self.call("GET", "/_matrix/client/versions")
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("Synapse did not answer within 60 s")
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def call(self, method, path, token=None, body=None):
        """(status, json) of one client-server API call, on a kept-alive connection per thread."""
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        for attempt in (0, 1):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.local.conn = conn
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                try:
                    return resp.status, json.loads(raw or b"{}")
                except ValueError:
                    return resp.status, {"raw": raw.decode(errors="replace")}
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise

    def ok(self, method, path, token=None, body=None):
        status, answer = self.call(method, path, token, body)
        if status != 200:
            raise RuntimeError(f"{method} {path.split('?')[0]} → {status} {answer}")
        return answer

    def register(self, localpart):
        """A user by the shared-secret admin API: its access token (the user's API session)."""
        nonce = self.ok("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), PASSWORD.encode(), b"notadmin"]))
        answer = self.ok("POST", "/_synapse/admin/v1/register",
                         body={"nonce": nonce, "username": localpart, "password": PASSWORD,
                               "admin": False, "mac": mac.hexdigest()})
        return answer["access_token"]


# --- the push gateway -----------------------------------------------------------


class Gateway:
    """What Synapse's pushers POST to: each notify becomes one FCM v1 send."""

    def __init__(self, adapter):
        self.adapter = adapter
        self.cond = threading.Condition()
        self.done = {}  # event_id -> notifies handled (this scenario)
        self.fcm_lock = threading.Lock()

    def reset(self):
        with self.cond:
            self.done = {}

    def count(self, event_id):
        return self.done.get(event_id, 0)

    def wait_for(self, expected, timeout):
        """Until every event_id has had its expected number of notifies (or the timeout)."""
        deadline = time.time() + timeout
        with self.cond:
            while any(self.done.get(e, 0) < n for e, n in expected.items()):
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def notify(self, body):
        """The gateway's answer to one notify: {"rejected": [pushkeys]}."""
        n = body.get("notification", {})
        a = self.adapter
        rejected = []
        transient = False
        event_id = n.get("event_id")
        for dev in n.get("devices", []):
            data = dev.get("data") or {}
            line = (f"{a.now} notify pushkey={dev.get('pushkey')} event={event_id} "
                    f"type={n.get('type')} msg={(n.get('content') or {}).get('pushsim', {}).get('m')} "
                    f"unread={n.get('counts', {}).get('unread')} prio={n.get('prio')} "
                    f"tweaks={json.dumps(dev.get('tweaks', {}), sort_keys=True, separators=(',', ':'))}")
            if data.get("ns") != a.ns:
                a.log.append(line + " (an earlier scenario's pusher: dropped)")
                continue
            if not event_id:
                a.log.append(line + " (badge only: not forwarded)")
                continue
            status, answer = self.forward(n, dev, data)
            a.log.append(line + f" → fcm {status}")
            code = json.dumps(answer)
            if status == 0 or status == 429 or status >= 500:
                transient = True
            elif status in (400, 403, 404) and ("UNREGISTERED" in code or "SENDER_ID_MISMATCH" in code or
                                                ("INVALID_ARGUMENT" in code and "registration token" in code)):
                rejected.append(dev.get("pushkey"))
        if event_id:
            with self.cond:
                self.done[event_id] = self.done.get(event_id, 0) + 1
                self.cond.notify_all()
        if transient:
            # As Sygnal does once its own tries are spent: a 502 makes Synapse
            # retry this notify later (its backoff, in real time).
            return None
        return {"rejected": rejected}

    def forward(self, n, dev, data):
        a = self.adapter
        cert = data.get("cert")
        access = a.setup_certs.get(cert)
        if access is None or access["credentials"]["vendor"] != "fcm":
            return 0, {"error": f"no fcm cert {cert}"}
        content = n.get("content") or {}
        ps = content.get("pushsim") or {}
        conv = a.room_conv.get(n.get("room_id"))
        sender = a.plain(n.get("sender", ""))
        kind, _, target = (conv or "user:").partition(":")
        group = target if kind in ("group", "chatroom") else None
        etype = n.get("type")
        if etype == "m.call.invite":
            text = "[call invite]"
        elif etype == CUSTOM_TYPE:
            text = content.get("desc") or "[custom message]"
        elif content.get("msgtype") == "m.image":
            text = "[image]"
        else:
            text = content.get("body", "")
        payload = {"t": data.get("user", ""), "f": sender}
        if ps.get("m"):
            payload["m"] = ps["m"]
        if group:
            payload["g"] = group
        if ps.get("e"):
            payload["e"] = ps["e"]
        android = {}
        badge = n.get("counts", {}).get("unread")
        if badge is not None:
            android["notification_count"] = badge
        message = {
            "token": dev.get("pushkey"),
            "notification": {"title": group or sender, "body": text},
            "data": payload,
            "android": {"priority": "HIGH", "notification": android},
        }
        with self.fcm_lock:
            a.fcm.now = a.now
            try:
                return a.fcm.fcm(cert, access, message)
            except OSError as e:
                return 0, {"error": str(e)}


# --- the adapter --------------------------------------------------------------------


class Device:
    def __init__(self, decl):
        self.key = decl["key"]
        self.user, _, self.name = self.key.partition("/")
        self.decl = decl
        self.token = None      # access token while logged in
        self.since = None      # sync position, kept across logins (the client's store)
        self.connected = False
        self.pushkey = None    # (app_id, pushkey) of its pusher, if the adapter set one


class Adapter:
    def __init__(self, synapse, venv, workdir):
        self.mx = synapse
        self.venv = venv
        self.workdir = workdir
        # One Synapse per server-wide config this run needs, started when first needed.
        self.servers = {"unread_rooms": synapse}
        self.gateway = Gateway(self)
        self.gateway_url = None
        self.round = 0
        self.ns = None
        self.now = 0
        self.lock = threading.Lock()
        self.fcm = sut.Service()
        self.log = []
        self.received = []
        self.setup_certs = {}
        self.room_conv = {}
        self.profiles = ["matrix"]

    # namespacing ---------------------------------------------------------------

    def mxid(self, user):
        return f"@{user}-{self.ns}:{SERVER}"

    def plain(self, mxid):
        """pushsim's user id of a namespaced Matrix id."""
        local = mxid[1:].split(":")[0]
        suffix = f"-{self.ns}"
        return local[:-len(suffix)] if local.endswith(suffix) else local

    # reset -----------------------------------------------------------------------

    def reset(self, setup):
        profile = setup["server"]["profile"]
        if profile.get("name") == "matrix":
            other = [f"{k}: {profile.get(k)!r}" for k, v in MATRIX_KNOBS.items() if profile.get(k) != v]
            if profile.get("badge_model") not in ("unread_rooms", "unread_notifications"):
                other.append(f"badge_model: {profile.get('badge_model')!r}")
            if other:
                raise Declined("Synapse cannot be configured for " + ", ".join(other))
        self.round += 1
        self.ns = f"r{self.round}"
        model = profile.get("badge_model")
        variant = "unread_notifications" if model == "unread_notifications" else "unread_rooms"
        if variant not in self.servers:
            self.servers[variant] = Synapse(self.venv, os.path.join(self.workdir, variant), by_room=False)
        self.mx = self.servers[variant]
        self.now = setup["start"]
        self.gateway.reset()
        self.fcm.reset(setup)
        self.setup_certs = setup["certs"]
        self.log = []
        self.received = []
        self.devices = {d["key"]: Device(d) for d in setup["devices"]}
        self.api = {}          # user -> access token of its API session
        self.rooms = {}        # conversation key -> room id
        self.room_conv = {}    # room id -> "user:a|b" or "group:g"
        self.members = {}      # room id -> [users]
        self.sent_at = {}      # msg id -> (time, call lifetime ms or None)
        users = list(setup["server"]["users"])
        for user in users:
            self.api[user] = self.mx.register(f"{user}-{self.ns}")
        for g, members in setup["server"].get("groups", {}).items():
            self.create_room(f"group:{g}", members)
        return {"now": self.now, "next_deadline": None}

    # rooms -----------------------------------------------------------------------

    def create_room(self, conv, members, direct=False):
        """A room whose first member creates it; the others join it (public join
        rule, no invite: an invite would itself be pushed)."""
        owner = members[0]
        # Room version 12 explicitly: its creators hold power implicitly, which
        # the direct-chat override below relies on.
        body = {"preset": "public_chat", "visibility": "private", "room_version": "12"}
        if direct:
            # As Element creates a DM (preset trusted_private_chat): both
            # parties get the creator's power level, so either may @room.
            body["is_direct"] = True
            # (Room version 12: the creator's own power is implicit, not listed.)
            body["power_level_content_override"] = {"users": {self.mxid(u): 100 for u in members[1:]}}
        else:
            body["name"] = conv.partition(":")[2]
        room = self.mx.ok("POST", "/_matrix/client/v3/createRoom", self.api[owner], body)["room_id"]
        for m in members[1:]:
            if m in self.api:
                self.mx.ok("POST", f"/_matrix/client/v3/join/{q(room)}", self.api[m], {})
        # Then invite-only: Synapse refuses call invites in public rooms.
        self.mx.ok("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.join_rules/", self.api[owner],
                   {"join_rule": "invite"})
        self.rooms[conv] = room
        self.room_conv[room] = conv
        self.members[room] = [m for m in members if m in self.api]
        return room

    def set_members(self, conv, members):
        """An existing group with new members: the creator removes those left
        out (a kick) and the newcomers join (the room is opened to let them in
        without an invite, which would be pushed, then closed again)."""
        room = self.rooms[conv]
        owner = self.members[room][0]
        token = self.api[owner]
        for u in self.members[room]:
            if u not in members:
                self.mx.ok("POST", f"/_matrix/client/v3/rooms/{q(room)}/kick", token,
                           {"user_id": self.mxid(u), "reason": "create_group without them"})
        new = [u for u in members if u not in self.members[room]]
        if new:
            rules = f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.join_rules/"
            self.mx.ok("PUT", rules, token, {"join_rule": "public"})
            for u in new:
                self.mx.ok("POST", f"/_matrix/client/v3/join/{q(room)}", self.api[u], {})
            self.mx.ok("PUT", rules, token, {"join_rule": "invite"})
        self.members[room] = [owner] + [u for u in members if u != owner]

    def room_of(self, user, conv, create=True):
        """The room of `conv` as `user` names it (`user:bob`, `group:g1`)."""
        kind, _, target = conv.partition(":")
        if kind == "user":
            pair = sorted([user, target])
            key = f"user:{pair[0]}|{pair[1]}"
            if key not in self.rooms and create:
                if target not in self.api:
                    return None
                self.create_room(key, [user, target], direct=True)
            return self.rooms.get(key)
        return self.rooms.get(f"group:{target}")

    # devices ---------------------------------------------------------------------

    def login(self, dev):
        if dev.user not in self.api:
            return  # unknown user: the login fails, nothing to observe
        status, answer = self.mx.call("POST", "/_matrix/client/v3/login", body={
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": f"{dev.user}-{self.ns}"},
            "password": PASSWORD, "device_id": dev.name, "initial_device_display_name": dev.key})
        if status != 200:
            raise RuntimeError(f"login {dev.key}: {status} {answer}")
        dev.token = answer["access_token"]
        d = dev.decl
        if d.get("auto_bind") and d.get("cert") and d.get("token"):
            self.set_pusher(dev, d["cert"], d["token"])
        self.connect(dev)

    def connect(self, dev):
        dev.connected = True
        self.sync(dev, "sync")

    def set_pusher(self, dev, cert, token):
        app_id = f"pushsim.{cert}"[:64]
        if dev.pushkey and dev.pushkey != (app_id, token):
            self.delete_pusher(dev)
        self.mx.ok("POST", "/_matrix/client/v3/pushers/set", dev.token, {
            "kind": "http", "app_id": app_id, "pushkey": token, "app_display_name": "pushsim",
            "device_display_name": dev.key, "lang": "en", "append": False,
            "data": {"url": self.gateway_url, "ns": self.ns, "user": dev.user,
                     "device": dev.key, "cert": cert}})
        dev.pushkey = (app_id, token)

    def delete_pusher(self, dev):
        if dev.pushkey and dev.token:
            app_id, token = dev.pushkey
            self.mx.call("POST", "/_matrix/client/v3/pushers/set", dev.token,
                         {"kind": None, "app_id": app_id, "pushkey": token})
        dev.pushkey = None

    def logout(self, dev):
        if dev.token:
            # Synapse deletes the device and its pushers, whatever `unbind` says.
            self.mx.call("POST", "/_matrix/client/v3/logout", dev.token, {})
        dev.token = None
        dev.pushkey = None
        dev.connected = False

    # sync ---------------------------------------------------------------------------

    SYNC_FILTER = json.dumps({
        "presence": {"types": []}, "account_data": {"types": []},
        "room": {"timeline": {"limit": 500}, "state": {"types": []}, "ephemeral": {"types": []},
                 "account_data": {"types": []}},
    }, separators=(",", ":"))

    def sync(self, dev, via):
        """The device's /sync since its last position: new messages as received `via`."""
        if not dev.token:
            return
        path = f"/_matrix/client/v3/sync?timeout=0&filter={q(self.SYNC_FILTER)}"
        if dev.since:
            path += f"&since={q(dev.since)}"
        answer = self.mx.ok("GET", path, dev.token)
        dev.since = answer.get("next_batch", dev.since)
        me = self.mxid(dev.user)
        events = [ev for room in (answer.get("rooms", {}).get("join") or {}).values()
                  for ev in room.get("timeline", {}).get("events", [])]
        events.sort(key=lambda ev: ev.get("origin_server_ts", 0))
        for ev in events:
            c = ev.get("content")
            m = c.get("pushsim", {}).get("m") if isinstance(c, dict) else None
            if not m or ev.get("sender") == me:
                continue
            sent, lifetime = self.sent_at.get(m, (None, None))
            # A client ignores a call invite whose lifetime has passed (spec: m.call.invite).
            if via == "sync" and ev.get("type") == "m.call.invite" and lifetime is not None \
                    and sent is not None and self.now >= sent + lifetime:
                continue
            self.received.append({"at": self.now, "device": dev.key, "msg": m, "via": via})

    def sync_connected(self):
        for dev in self.devices.values():
            if dev.connected and dev.token:
                self.sync(dev, "online")

    # messages -------------------------------------------------------------------

    def send(self, m):
        sender = m["from"]
        if sender not in self.api:
            return rejected(f"unknown user {sender}")
        room = self.room_of(sender, m["to"])
        if room is None:
            return rejected(f"no room for {m['to']}")
        mentions = {}
        if m.get("mentions") == "all":
            mentions["room"] = True
        elif isinstance(m.get("mentions"), dict):
            mentions["user_ids"] = [self.mxid(u) for u in m["mentions"].get("users", [])]
        ps = {"m": m["id"]}
        if m.get("payload"):
            ps["e"] = json.dumps(m["payload"], sort_keys=True, separators=(",", ":"))
        kind = m.get("kind", "text")
        text = m.get("text", "")
        etype = "m.room.message"
        lifetime = None
        if kind == "image":
            content = {"msgtype": "m.image", "body": text or "image.png", "url": "mxc://localhost/pushsim"}
        elif kind == "call_invite":
            etype = "m.call.invite"
            # Without a timeout the invite still needs a lifetime on the wire
            # (60 s); only a given one makes a late sync skip it.
            timeout = m.get("call_timeout_s")
            content = {"call_id": f"{self.ns}-{m['id']}", "party_id": sender, "version": "1",
                       "lifetime": (60 if timeout is None else timeout) * 1000,
                       "offer": {"type": "offer", "sdp": "v=0\r\n"}}
            lifetime = None if timeout is None else timeout * 1000
        elif kind == "custom":
            etype = CUSTOM_TYPE
            content = {"body": text}
            if m.get("desc") is not None:
                content["desc"] = m["desc"]
        elif kind == "control":
            etype = CONTROL_TYPE
            content = {"body": text}
        else:
            # A silent message is Matrix's notice: .m.rule.suppress_notices.
            content = {"msgtype": "m.notice" if m.get("silent") else "m.text", "body": text}
        content["m.mentions"] = mentions
        content["pushsim"] = ps
        self.sent_at[m["id"]] = (self.now, lifetime)
        # Who could be pushed, and how many pushers each has, before the send.
        others = [u for u in self.members.get(room, []) if u != sender]
        pushers = {}
        for u in others:
            answer = self.mx.ok("GET", "/_matrix/client/v3/pushers", self.api[u])
            n = len([p for p in answer.get("pushers", []) if p.get("data", {}).get("ns") == self.ns])
            if n:
                pushers[u] = n
        status, answer = self.mx.call(
            "PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/{q(etype)}/{q(self.ns + '-' + m['id'])}",
            self.api[sender], content)
        if status != 200:
            return rejected(f"Synapse: {status} {answer.get('errcode')} {answer.get('error')}")
        event_id = answer["event_id"]
        # Settle: Synapse stored each recipient's push actions with the event; a
        # user whose /notifications lists it gets one notify per pusher.
        expected = 0
        for u, n in pushers.items():
            notes = self.mx.ok("GET", "/_matrix/client/v3/notifications?limit=10", self.api[u])
            if any(x.get("event", {}).get("event_id") == event_id for x in notes.get("notifications", [])):
                expected += n
        if expected and not self.gateway.wait_for({event_id: expected}, SETTLE_TIMEOUT_S):
            self.log.append(f"{self.now} settle: {m['id']} expected {expected} notifies, "
                            f"got {self.gateway.count(event_id)} within {SETTLE_TIMEOUT_S} s")
        self.sync_connected()
        return "ok"

    # remind types → push rules ---------------------------------------------------

    def put_rule(self, user, kind, rule_id, body):
        self.mx.ok("PUT", f"/_matrix/client/v3/pushrules/global/{kind}/{q(rule_id)}", self.api[user], body)

    def del_rule(self, user, kind, rule_id):
        self.mx.call("DELETE", f"/_matrix/client/v3/pushrules/global/{kind}/{q(rule_id)}", self.api[user])

    def master(self, user, enabled):
        self.mx.ok("PUT", "/_matrix/client/v3/pushrules/global/override/.m.rule.master/enabled",
                   self.api[user], {"enabled": enabled})

    def set_remind(self, r):
        user, conv, remind = r["user"], r.get("conversation"), r["remind"]
        if user not in self.api:
            return rejected(f"unknown user {user}")
        if conv is None:
            # App level: NONE = the master rule; AT = a catch-all underride with no
            # actions (mentions are override rules and still notify); ALL = neither.
            self.master(user, remind == "NONE")
            if remind == "AT":
                self.put_rule(user, "underride", "pushsim-app-at", {"conditions": [], "actions": []})
            else:
                self.del_rule(user, "underride", "pushsim-app-at")
            return "ok"
        room = self.room_of(user, conv)
        if room is None:
            return rejected(f"no room for {conv}")
        mute = self.mute_id(room)
        if remind == "NONE":
            # An override with no actions: nothing notifies, mentions included.
            self.del_rule(user, "room", room)
            self.put_rule(user, "override", mute, {
                "conditions": [{"kind": "event_match", "key": "room_id", "pattern": room}], "actions": []})
        else:
            # A room rule: dont_notify for AT (mentions, override rules, pass), notify for ALL.
            self.del_rule(user, "override", mute)
            self.put_rule(user, "room", room, {"actions": [] if remind == "AT" else ["notify"]})
        return "ok"

    def clear_remind(self, r):
        user, conv = r["user"], r.get("conversation")
        if user not in self.api:
            return rejected(f"unknown user {user}")
        room = self.room_of(user, conv, create=False)
        if room:
            self.del_rule(user, "override", self.mute_id(room))
            self.del_rule(user, "room", room)
        return "ok"

    def read(self, r):
        """A read receipt on the room's newest event: Synapse clears the room's
        unread count and sends the user's pushers a badge-only notify (no
        event), which the gateway logs and does not forward."""
        user, conv = r["user"], r["conversation"]
        if user not in self.api:
            return rejected(f"unknown user {user}")
        room = self.room_of(user, conv, create=False)
        if room is None:
            return "ok"  # nothing was ever said there
        newest = self.mx.ok("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=1",
                            self.api[user])
        chunk = newest.get("chunk", [])
        if chunk:
            self.mx.ok("POST", f"/_matrix/client/v3/rooms/{q(room)}/receipt/m.read/"
                               f"{q(chunk[0]['event_id'])}", self.api[user], {})
        return "ok"

    @staticmethod
    def mute_id(room):
        return "pushsim-mute-" + room.lstrip("!").split(":")[0]

    # the protocol -----------------------------------------------------------------

    def step(self, call):
        self.now = max(self.now, call["at"])
        (kind, arg), = call["action"].items()
        answer = "ok"
        if kind in ("login", "reconnect", "kill", "disconnect", "foreground", "background",
                    "unregister", "logout", "bind_token"):
            key = arg["device"] if isinstance(arg, dict) else arg
            dev = self.devices.get(key)
            if dev is None:
                self.devices[key] = dev = Device({"key": key, "platform": "android", "cert": None,
                                                  "token": "", "auto_bind": False})
        if kind == "login":
            self.login(dev)
        elif kind == "reconnect":
            # The network is back: the client re-logs in (auto-login) and syncs.
            if dev.token:
                self.connect(dev)
            else:
                self.login(dev)
        elif kind in ("kill", "disconnect"):
            dev.connected = False  # the client stops syncing; its pushers stay
        elif kind == "background":
            pass  # a backgrounded client keeps its sync; Synapse has no app state
        elif kind == "foreground":
            if dev.token and not dev.connected:
                self.connect(dev)
        elif kind == "logout":
            self.logout(dev)
        elif kind == "unregister":
            self.delete_pusher(dev)
        elif kind == "bind_token":
            # pushers/set needs the device's access token: a logged-out device cannot.
            if not dev.token:
                answer = rejected(f"{key} is not logged in")
            elif arg["cert"] not in self.setup_certs:
                answer = rejected(f"unknown cert {arg['cert']}")
            else:
                self.set_pusher(dev, arg["cert"], arg["token"])
        elif kind == "send":
            answer = self.send(arg)
        elif kind == "set_remind":
            answer = self.set_remind(arg)
        elif kind == "clear_remind":
            answer = self.clear_remind(arg)
        elif kind == "read":
            answer = self.read(arg)
        elif kind == "create_group":
            members = [u for u in arg["members"] if u in self.api]
            conv = f"group:{arg['group']}"
            if not members:
                answer = rejected(f"group {arg['group']} has no known members")
            elif conv in self.rooms:
                self.set_members(conv, members)
            else:
                self.create_room(conv, members)
        else:
            raise ValueError(f"step kind {kind} is not in this adapter's capabilities")
        return {"answer": answer, "next_deadline": None}

    def capabilities(self):
        # No virtual clock: Synapse runs on the wall clock (scenarios needing
        # one are skipped with the reason).
        return {"protocol": PROTOCOL, "name": f"synapse {SYNAPSE_VERSION} (matrix adapter)",
                "profiles": self.profiles, "steps": STEPS, "vendors": ["fcm"], "clock": False}

    def observations(self):
        return {"received": sorted(self.received, key=lambda r: r["at"]), "log": list(self.log)}


# --- HTTP -------------------------------------------------------------------------


class Handler(sut.JsonHandler):
    adapter = None


class DriverHandler(Handler):
    def do_GET(self):
        a = self.adapter
        if self.path == "/capabilities":
            self.answer(200, a.capabilities())
        elif self.path == "/observations":
            with a.lock:
                self.answer(200, a.observations())
        else:
            self.answer(404, {"error": f"no route GET {self.path}"})

    def do_POST(self):
        a = self.adapter
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        try:
            with a.lock:
                if self.path == "/reset":
                    reply = a.reset(body)
                elif self.path == "/advance":
                    a.now = max(a.now, body["to"])
                    reply = {"now": a.now, "next_deadline": None}
                elif self.path == "/step":
                    t0 = time.time()
                    reply = a.step(body)
                    log(f"step {next(iter(body['action']))} {(time.time() - t0) * 1000:.0f} ms")
                else:
                    return self.answer(404, {"error": f"no route POST {self.path}"})
            self.answer(200, reply)
        except Declined as e:  # conform skips the scenario with this reason
            self.answer(501, {"error": str(e)})
        except Exception as e:  # the driver shows it as the scenario's failure
            log("error", repr(e))
            self.answer(500, {"error": f"{type(e).__name__}: {e}"})


class GatewayHandler(Handler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        if self.path != GATEWAY_PATH:
            return self.answer(404, {"errcode": "M_UNRECOGNIZED", "error": self.path})
        try:
            answer = self.adapter.gateway.notify(body)
            if answer is None:
                self.answer(502, {"error": "the push provider failed; try again"})
            else:
                self.answer(200, answer)
        except Exception as e:
            log("gateway error", repr(e))
            self.answer(500, {"error": f"{type(e).__name__}: {e}"})


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=7090, help="driver port (0 picks a free one)")
    p.add_argument("--venv", default=os.environ.get("MATRIX_VENV", os.path.join(REPO, "target", "matrix-venv")),
                   help="virtualenv with matrix-synapse")
    p.add_argument("--workdir", help="Synapse's directory (default: a fresh temporary one, removed at exit)")
    p.add_argument("--profiles", default="matrix",
                   help="profiles to claim, comma-separated (others only to try the plumbing)")
    args = p.parse_args()
    workdir = args.workdir or tempfile.mkdtemp(prefix="pushsim-synapse-")
    os.makedirs(workdir, exist_ok=True)
    t0 = time.time()
    synapse = Synapse(args.venv, os.path.join(workdir, "unread_rooms"))
    started = time.time() - t0
    adapter = Adapter(synapse, args.venv, workdir)
    gw = server = None
    try:
        adapter.profiles = args.profiles.split(",")
        Handler.adapter = adapter
        gw = ThreadingHTTPServer(("127.0.0.1", 0), GatewayHandler)
        gw.daemon_threads = True
        adapter.gateway_url = f"http://127.0.0.1:{gw.server_address[1]}{GATEWAY_PATH}"
        threading.Thread(target=gw.serve_forever, daemon=True).start()
        server = ThreadingHTTPServer(("127.0.0.1", args.port), DriverHandler)
        server.daemon_threads = True

        def stop(*_):
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
        print(f"synapse {SYNAPSE_VERSION} on 127.0.0.1:{synapse.port} started in {started:.1f} s "
              f"(workdir {workdir}); gateway {adapter.gateway_url}", file=sys.stderr, flush=True)
        server.serve_forever()
    finally:
        # Every Synapse this adapter started stops with it, whatever failed.
        for s in adapter.servers.values():
            s.stop()
        if gw is not None:
            gw.shutdown()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
