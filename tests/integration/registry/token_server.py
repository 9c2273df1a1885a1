#!/usr/bin/env python3
"""A tiny Docker registry token server (distribution's docs/spec/auth/token.md) for tests.

Standard library only. JWTs are RS256, signed by `openssl dgst -sha256 -sign KEY` (python
has no RSA), with the signing certificate in the header's x5c so the registry can check it
against its auth.token.rootcertbundle.

  GET /token?service=S&scope=repository:NAME:pull   (optional Basic credentials)
      no credentials    -> a token granting nothing (the registry then answers 401)
      wrong credentials -> 401
      right credentials -> a token granting the requested actions
  GET /control/expire-next  the next token issued is already expired (the registry will
                            refuse it: tests the client's renewal)
  GET /stats                {"issued": N}

usage: token_server.py PORT KEY.pem CERT.pem ISSUER USER:PASSWORD
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

PORT, KEY, CERT, ISSUER, USERPASS = sys.argv[1:6]
STATE = {"issued": 0, "expire_next": False}
LOCK = threading.Lock()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der_b64():
    pem = open(CERT).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())  # the PEM body is the standard base64 of the DER


X5C = cert_der_b64()


def sign(data):
    out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=data,
                         capture_output=True, check=True)
    return out.stdout


def make_token(service, access, expired):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    claims = {"iss": ISSUER, "sub": "test", "aud": service, "iat": now, "nbf": now - 10,
              "exp": now + 300, "jti": b64url(os.urandom(12)), "access": access}
    if expired:  # beyond the registry's 60 s leeway
        claims.update({"iat": now - 900, "nbf": now - 900, "exp": now - 600})
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    return signing_input.decode() + "." + b64url(sign(signing_input))


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("token-server: " + (fmt % args) + "\n")

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/control/expire-next":
            with LOCK:
                STATE["expire_next"] = True
            return self.reply(200, {})
        if url.path == "/stats":
            with LOCK:
                return self.reply(200, {"issued": STATE["issued"]})
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        granted = False
        auth = self.headers.get("Authorization", "")
        if auth:
            if not auth.startswith("Basic "):
                return self.reply(401, {"error": "unsupported"})
            try:
                given = base64.b64decode(auth[6:]).decode()
            except Exception:
                return self.reply(401, {"error": "malformed"})
            if given != USERPASS:
                return self.reply(401, {"error": "invalid credentials"})
            granted = True
        access = []
        for scope in q.get("scope", []):
            parts = scope.split(":")
            if len(parts) >= 3 and parts[0] == "repository" and granted:
                access.append({"type": "repository", "name": ":".join(parts[1:-1]),
                               "actions": [a for a in parts[-1].split(",") if a == "pull"]})
        with LOCK:
            expired = STATE["expire_next"]
            STATE["expire_next"] = False
            STATE["issued"] += 1
        tok = make_token(q.get("service", [""])[0], access, expired)
        # both names, as docker's own token servers do; expires_in honoured by clients
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops SYNs when many clients come at once
    daemon_threads = True


Server(("127.0.0.1", int(PORT)), Handler).serve_forever()
