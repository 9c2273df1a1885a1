#!/usr/bin/env python3
"""A registry that never answers: accepts TCP connections and never sends a byte.
usage: silent_server.py PORT"""
import socket
import sys
import time

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # keep it open, say nothing
    if len(held) > 1000:
        held.pop(0).close()
