#!/usr/bin/env python3
"""An HTTP reverse proxy that adds a fixed delay to every request (a registry far away).
Standard library only; one thread per connection, so concurrent clients wait in parallel.
usage: slow_proxy.py PORT UPSTREAM_HOST:PORT DELAY_MS"""
import http.client
import http.server
import sys
import time

PORT, UPSTREAM, DELAY = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) / 1000.0
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def forward(self):
        time.sleep(DELAY)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        up = http.client.HTTPConnection(UPSTREAM, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Host"] = self.headers.get("Host", UPSTREAM)
        up.request(self.command, self.path, body=body, headers=headers)
        r = up.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        if self.command == "HEAD":
            self.send_header("Content-Length", r.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        up.close()

    do_GET = do_HEAD = forward


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops SYNs when many clients come at once
    daemon_threads = True


Server(("127.0.0.1", PORT), Proxy).serve_forever()
