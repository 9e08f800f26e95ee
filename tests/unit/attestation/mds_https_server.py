#!/usr/bin/python3
"""Loopback HTTPS (+ plain HTTP, for CRL distribution points) file server for the MDS download
tests (mds_fetch_test.cc). Started by the test, which owns its PID.

  mds_https_server.py --dir DIR --cert CERT.pem --key KEY.pem

Prints "<https_port> <http_port>" on stdout once both listen on 127.0.0.1, then serves DIR/<name>
for GET /<name> on both (404 when absent). Special names:
  slow-*                 waits up to 30 s before answering (the client's timeout fires first)
  cut-*                  announces Content-Length = size + 1000, sends the file, closes
  endless                streams zeros without Content-Length (up to 256 MiB)
Exits when its stdin reaches EOF (the test closed the pipe or died) or on SIGTERM.
"""
import argparse
import http.server
import os
import signal
import ssl
import sys
import threading
import time

stopping = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_GET(self):
        name = os.path.basename(self.path.split("?", 1)[0])
        if name == "endless":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"0" * 65536
            try:
                for _ in range(4096):
                    if stopping.is_set():
                        break
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        path = os.path.join(self.root, name)
        if not name or not os.path.isfile(path):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if name.startswith("slow-"):
            for _ in range(300):
                if stopping.wait(0.1):
                    return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        extra = 1000 if name.startswith("cut-") else 0
        self.send_header("Content-Length", str(len(body) + extra))
        if extra:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            pass
        if extra:
            self.close_connection = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()
    Handler.root = args.dir
    https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    https.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    https.socket = ctx.wrap_socket(https.socket, server_side=True)
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    plain.daemon_threads = True
    for s in (https, plain):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(https.server_address[1], plain.server_address[1], flush=True)

    def stop(*_):
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    while not stopping.wait(0.2):
        pass
    https.shutdown()
    plain.shutdown()


if __name__ == "__main__":
    main()
