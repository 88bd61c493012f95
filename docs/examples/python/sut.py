#!/usr/bin/env python3
"""A small push service, standard library only, behind pushsim's driver protocol.

It is the example of docs/driver-protocol.md: an honest, partial implementation
of the easemob profile that pushes through FCM HTTP v1 (a service-account JWT
signed RS256 by hand, exchanged for an access token, then messages:send).
It implements login, logout, kill, background, foreground and send; the other
step kinds are not in its capabilities, so scenarios needing them are skipped.
Where it differs from the reference, expected-failures.txt says why.

    python3 docs/examples/python/sut.py --port 7080
    cargo run --release -- conform --sut http://127.0.0.1:7080 \\
        --expected-failures docs/examples/python/expected-failures.txt

It prints its base URL on the first line of stdout, then serves until killed.
"""

import argparse
import base64
import hashlib
import json
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

PROTOCOL = "pushsim-driver/1"
STEPS = ["login", "logout", "kill", "background", "foreground", "send"]
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_AUDIENCE = "https://oauth2.googleapis.com/token"


# --- RS256 with Python integers (RFC 8017 RSASSA-PKCS1-v1_5) -------------------

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def der_read(buf, i):
    """One DER element at i: (tag, contents, next index)."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, buf[i:i + n], i + n


def der_integers(seq):
    out, i = [], 0
    while i < len(seq):
        _, value, i = der_read(seq, i)
        out.append(int.from_bytes(value, "big"))
    return out


def rsa_private_key(pem):
    """(n, d) of a PKCS#1 or PKCS#8 RSA private key in PEM."""
    body = "".join(l for l in pem.strip().splitlines() if not l.startswith("-----"))
    _, outer, _ = der_read(base64.b64decode(body), 0)
    if "BEGIN PRIVATE KEY" in pem:  # PKCS#8: version, algorithm, OCTET STRING
        _, _, i = der_read(outer, 0)
        _, _, i = der_read(outer, i)
        _, octets, _ = der_read(outer, i)
        _, outer, _ = der_read(octets, 0)
    _version, n, _e, d = der_integers(outer)[:4]
    return n, d


def rs256(message, n, d):
    k = (n.bit_length() + 7) // 8
    t = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- the push service ---------------------------------------------------------


class Service:
    def __init__(self):
        self.reset({"devices": [], "certs": {}, "server": {"profile": {}}, "start": 0})

    def reset(self, setup):
        self.now = setup["start"]
        self.profile = setup["server"]["profile"]
        self.certs = setup["certs"]  # name -> {base_url, credentials}
        self.decl = {d["key"]: d for d in setup["devices"]}
        self.groups = setup["server"].get("groups", {})
        self.known = []  # devices that ever logged in, in order
        self.online = set()
        self.bound = {}  # device -> (cert, token)
        self.inbox = {}  # device -> [msg ids] stored while offline
        self.badge = {}  # user -> pushes since the user was last online
        self.received = []
        self.access = {}  # cert -> (token, expiry ms)

    # devices ---------------------------------------------------------------

    def login(self, dev):
        if dev not in self.known:
            self.known.append(dev)
        self.online.add(dev)
        self.badge[dev.split("/")[0]] = 0
        d = self.decl[dev]
        if d.get("auto_bind") and d.get("cert"):
            self.bound[dev] = (d["cert"], d["token"])
        for msg in self.inbox.pop(dev, []):
            self.received.append({"at": self.now, "device": dev, "msg": msg, "via": "sync"})

    def logout(self, dev, unbind):
        self.online.discard(dev)
        if unbind is None:
            unbind = self.profile.get("logout_unbind_default", True)
        if unbind or self.profile.get("logout_always_unbinds"):
            self.bound.pop(dev, None)

    # messages --------------------------------------------------------------

    def send(self, m):
        kind, _, target = m["to"].partition(":")
        if kind == "user":
            users = [target]
        elif kind == "group":
            users = [u for u in self.groups.get(target, []) if u != m["from"]]
        else:
            return  # chat rooms: never pushed, nothing stored
        title = m.get("push_title") or (target if kind == "group" else m["from"])
        for user in users:
            devices = [d for d in self.known if d.split("/")[0] == user]
            any_online = any(d in self.online for d in devices)
            offline = [d for d in devices if d not in self.online]
            for dev in devices:
                if dev in self.online:
                    self.received.append({"at": self.now, "device": dev, "msg": m["id"], "via": "online"})
                else:
                    self.inbox.setdefault(dev, []).append(m["id"])
            pushed = [d for d in offline if d in self.bound and not m.get("silent")]
            # multi.policy all_offline: one online device holds every push back.
            held = any_online and self.profile.get("multi_policy") == "all_offline"
            if held or not pushed:
                continue
            # The badge counts messages, not devices: one more for all of them.
            self.badge[user] = self.badge.get(user, 0) + 1
            accepted = [self.push(user, dev, m, title) for dev in pushed]
            if not any(accepted):
                self.badge[user] -= 1

    def push(self, user, dev, m, title):
        """One FCM send; whether FCM accepted it."""
        cert, token = self.bound[dev]
        access = self.certs.get(cert)
        if access is None or access["credentials"]["vendor"] != "fcm":
            return False
        message = {
            "token": token,
            "notification": {"title": title, "body": m.get("push_content") or m["text"]},
            "data": dict(m.get("payload", {}), m=m["id"], f=m["from"], t=user),
            "android": {"priority": "HIGH", "notification": {"notification_count": self.badge[user]}},
        }
        status, answer = self.fcm(cert, access, message)
        if status != 200:
            code = json.dumps(answer)
            # TOK-08, unless the scenario's profile keeps such bindings.
            if ("UNREGISTERED" in code or "INVALID_ARGUMENT" in code) \
                    and self.profile.get("invalid_removes", True):
                self.bound.pop(dev, None)
        return status == 200

    # FCM HTTP v1 -------------------------------------------------------------

    def fcm(self, cert, access, message):
        creds = access["credentials"]
        token = self.access_token(cert, access)
        url = f"{access['base_url']}/v1/projects/{creds['app_id']}/messages:send"
        return http_json(url, json.dumps({"message": message}).encode(),
                         {"content-type": "application/json", "authorization": f"Bearer {token}"})

    def access_token(self, cert, access):
        held = self.access.get(cert)
        if held and held[1] > self.now + 60_000:
            return held[0]
        creds = access["credentials"]
        iat = self.now // 1000
        header = {"alg": "RS256", "typ": "JWT", "kid": creds["key_id"]}
        claims = {"iss": creds["client_id"], "scope": FCM_SCOPE, "aud": FCM_AUDIENCE, "iat": iat, "exp": iat + 3600}
        signing = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        n, d = rsa_private_key(creds["secret"])
        jwt = f"{signing}.{b64url(rs256(signing.encode(), n, d))}"
        form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": jwt})
        status, answer = http_json(f"{access['base_url']}/token", form.encode(),
                                   {"content-type": "application/x-www-form-urlencoded"})
        if status != 200:
            return ""
        self.access[cert] = (answer["access_token"], self.now + int(answer.get("expires_in", 3600)) * 1000)
        return answer["access_token"]

    # the protocol ------------------------------------------------------------

    def step(self, call):
        (kind, arg), = call["action"].items()
        if kind == "login":
            self.login(arg)
        elif kind == "logout":
            self.logout(arg["device"], arg.get("unbind"))
        elif kind == "kill":
            self.online.discard(arg)
        elif kind == "background":
            # Whether a backgrounded app still counts as connected is a knob.
            if self.profile.get("background_connected") == "offline":
                self.online.discard(arg["device"])
        elif kind == "foreground":
            if arg in self.known:
                self.online.add(arg)
        elif kind == "send":
            self.send(arg)
        else:
            raise ValueError(f"step kind {kind} is not in this SUT's capabilities")
        return {"answer": "ok", "next_deadline": None}


def http_json(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}")
        except ValueError:
            return e.code, {}


SERVICE = Service()


class JsonHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with JSON answers, quiet (the Matrix adapter reuses it)."""
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's
        # algorithm and delayed ACKs hold each answer back ~40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def answer(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Driver(JsonHandler):
    def do_GET(self):
        if self.path == "/capabilities":
            self.answer(200, {"protocol": PROTOCOL, "name": "python example", "profiles": ["easemob"],
                              "steps": STEPS, "vendors": ["fcm"]})
        elif self.path == "/observations":
            self.answer(200, {"received": SERVICE.received})
        else:
            self.answer(404, {"error": f"no route GET {self.path}"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        try:
            if self.path == "/reset":
                SERVICE.reset(body)
                self.answer(200, {"now": SERVICE.now, "next_deadline": None})
            elif self.path == "/advance":
                SERVICE.now = max(SERVICE.now, body["to"])
                self.answer(200, {"now": SERVICE.now, "next_deadline": None})
            elif self.path == "/step":
                self.answer(200, SERVICE.step(body))
            else:
                self.answer(404, {"error": f"no route POST {self.path}"})
        except Exception as e:  # the driver shows it as the scenario's failure
            self.answer(500, {"error": f"{type(e).__name__}: {e}"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7080, help="0 picks a free port")
    port = parser.parse_args().port
    server = HTTPServer(("127.0.0.1", port), Driver)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
