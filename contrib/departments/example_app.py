#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
#
# A department's USSD app for kpass in Python 3's standard library alone
# (doc/departments.md): check the signature, refuse forgeries, replays and
# stale requests, answer "CON ..." or "END ...".  Here: a land-record
# (fard) request's status by its number.
#
#   python3 example_app.py --secret-file fard.secret --port 8090
#   kpass app add fard --department BOR --url http://127.0.0.1:8090/ussd \
#       --secret-file fard.secret
import argparse
import hashlib
import hmac
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

WINDOW = 300  # seconds either side of our clock
seen = {}     # nonce -> timestamp, forgotten after WINDOW


def verify(secret, headers, body):
    """None when the request is kpass's, else why it is refused."""
    ts = headers.get("X-Kpass-Timestamp", "")
    sig = headers.get("X-Kpass-Signature", "")
    if not ts.isdigit() or not sig.startswith("v1="):
        return "unsigned"
    mac = hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, sig[3:]):
        return "forged"
    now = int(time.time())
    if abs(now - int(ts)) > WINDOW:
        return "stale"
    nonce = parse_qs(body.decode()).get("nonce", [""])[0]
    if len(nonce) < 16 or nonce in seen:
        return "replayed"
    seen[nonce] = int(ts)
    for n, t in list(seen.items()):
        if now - t > WINDOW:
            del seen[n]
    return None


REQUESTS = {"1001": "ready for collection at the Arazi Record Centre"}


def answer(f):
    """The USSD screen for the form f (inputs so far in f["text"])."""
    steps = f["text"].split("*") if f["text"] else []
    if not steps:
        return "CON Board of Revenue\nEnter your fard request number"
    state = REQUESTS.get(steps[0])
    return f"END Request {steps[0]}: {state}." if state else "END No request with that number."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--port", type=int, default=8090)
    args = ap.parse_args()
    with open(args.secret_file, "rb") as fp:
        secret = fp.read().rstrip(b"\r\n")

    class App(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # no access log: kpass's ids are not for logs
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(min(n, 8192))
            why = verify(secret, self.headers, body)
            if why:
                self.send_response(401)
                self.end_headers()
                self.wfile.write(why.encode() + b"\n")
                return
            f = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            out = answer(f).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    ThreadingHTTPServer(("127.0.0.1", args.port), App).serve_forever()


if __name__ == "__main__":
    main()
