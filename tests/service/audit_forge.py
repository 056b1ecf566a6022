#!/usr/bin/env python3
"""tests/service/audit_forge.py: an attacker who took the build host and
holds an audit log's *current* seed (its LOG.key), for the tamper tests.

  audit_forge.py resign LOG N           line N edited (outcome "forged") and
                                        signed again with the current key
  audit_forge.py rewrite LOG EPOCH      every line from EPOCH's first one on
                                        rewritten (outcomes "forged"), chain
                                        and signatures made anew with the
                                        current key, epoch lines included

Both write the log in place. The key file's layout is common/audit.c's
struct state: the seed is at bytes 96..128, the epoch at 8..16.
"""
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization


def current_key(log):
    st = open(log + ".key", "rb").read()
    epoch = struct.unpack("<Q", st[8:16])[0]
    return epoch, Ed25519PrivateKey.from_private_bytes(st[96:128])


def pk_hex(key):
    return key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def signed(obj, key):
    obj = dict(obj)
    obj.pop("sig", None)
    body = json.dumps(obj, separators=(",", ":"))
    return body[:-1] + ',"sig":"%s"}' % key.sign(body.encode()).hex()


def main(argv):
    cmd, log, arg = argv[1], argv[2], int(argv[3])
    lines = open(log).read().splitlines()
    epoch, key = current_key(log)
    if cmd == "resign":
        o = json.loads(lines[arg - 1])
        o["outcome"] = "forged"
        lines[arg - 1] = signed(o, key)
    elif cmd == "rewrite":
        start = next(i for i, l in enumerate(lines) if json.loads(l)["epoch"] == arg)
        prev = hashlib.blake2b(lines[start - 1].encode(), digest_size=32).hexdigest()
        for i in range(start, len(lines)):
            o = json.loads(lines[i])
            o["prev"] = prev
            if o["event"] == "audit.epoch":
                o["detail"]["public_key"] = pk_hex(key)
            else:
                o["outcome"] = "forged"
            lines[i] = signed(o, key)
            prev = hashlib.blake2b(lines[i].encode(), digest_size=32).hexdigest()
    else:
        sys.exit("audit_forge.py: unknown command " + cmd)
    open(log, "w").write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
