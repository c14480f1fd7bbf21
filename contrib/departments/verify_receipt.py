#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
#
# Check a kpass KPR1 receipt (doc/kp1-token.md section 5) against kpass's
# trust list (`kpass keys export-public`), as a department receiving a
# verification callback does (doc/departments.md).  Needs the
# `cryptography` package (Debian: python3-cryptography) for Ed25519.
#
#   python3 verify_receipt.py trust.list KPR1:...
# prints the receipt's fields and exits 0, or says why not and exits 1.
import base64
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TAG = b"KPR1-receipt\x00"


def trusted_keys(path):
    """key id (hex) -> public key, for keys that still verify."""
    keys = {}
    with open(path) as fp:
        for line in fp:
            f = line.split()
            if len(f) == 5 and f[0] == "key" and f[3] in ("active", "verify"):
                keys[f[1].lower()] = Ed25519PublicKey.from_public_bytes(bytes.fromhex(f[4]))
    return keys


def verify(keys, text):
    if not text.startswith("KPR1:") or len(text) != 155:
        raise ValueError("not a KPR1 receipt")
    raw = base64.urlsafe_b64decode(text[5:] + "==")
    body, sig = raw[:48], raw[48:]
    if len(raw) != 112 or body[0] != 1 or body[47] & 0xF8:
        raise ValueError("not a version 1 receipt")
    key = keys.get(body[1:5].hex())
    if key is None:
        raise ValueError("signed by a key the trust list does not accept")
    key.verify(sig, TAG + body)  # raises InvalidSignature
    (at,) = struct.unpack(">I", body[43:47])
    return {"verification": body[5:21].hex(), "serial": body[21:33].hex(), "at": at,
            "code_confirmed": bool(body[47] & 1), "biometric": (body[47] >> 1) & 3}


if __name__ == "__main__":
    try:
        print(verify(trusted_keys(sys.argv[1]), sys.argv[2]))
    except (ValueError, InvalidSignature) as e:
        print("refused:", str(e) or "bad signature")
        sys.exit(1)
