#!/usr/bin/env python3
"""tests/service/frames.py: a raw client of the service's sockets, for the
security tests: it writes frames of the sd_msg framing (u32 big-endian
length of type + payload, u8 type, payload) exactly as told, well formed or
not, then prints every frame the daemon answers, one per line as
"TYPE JSON", and "closed" when the daemon closes the connection.

  frames.py SOCKET good TYPE JSON     one frame of TYPE with JSON
  frames.py SOCKET malformed TYPE     TYPE with a payload that is not JSON
  frames.py SOCKET oversized TYPE     a header declaring 2 GiB, then a little
  frames.py SOCKET unknown            a frame of a type no daemon has (99)
  frames.py SOCKET truncated TYPE     a header declaring 1,000 bytes, 10 of
                                      them, then the end of the stream
  frames.py SOCKET zero TYPE          a header declaring length 0

TYPE is a number or a name (STATUS, DEPLOY, EXEC_REQUEST, SUBMIT, ...).
Exit 0 when the conversation ended (closed by the daemon), 1 on a timeout.
"""
import json
import socket
import struct
import sys

TYPES = {
    1: "ERROR", 2: "OK", 3: "PROGRESS", 10: "SIGN_REQUEST",
    11: "SIGN_RESPONSE", 20: "SUBMIT", 21: "SUBMIT_RESULT", 22: "CHUNK",
    30: "EXEC_REQUEST", 31: "EXEC_RESULT", 40: "DEPLOY", 41: "DEPLOY_RESULT",
    50: "STATUS", 51: "STATUS_RESULT", 60: "HALT",
}
NUMBERS = {v: k for k, v in TYPES.items()}


def typeno(s):
    return int(s) if s.isdigit() else NUMBERS[s]


def frame(t, payload):
    return struct.pack(">IB", len(payload) + 1, t) + payload


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        got = s.recv(n - len(buf))
        if not got:
            return None
        buf += got
    return buf


def main(argv):
    path, case = argv[1], argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    try:
        if case == "good":
            s.sendall(frame(typeno(argv[3]), argv[4].encode()))
        elif case == "malformed":
            s.sendall(frame(typeno(argv[3]), b'{"release": not json'))
        elif case == "oversized":
            s.sendall(struct.pack(">IB", 0x7FFFFFFF, typeno(argv[3])) + b"{}")
        elif case == "unknown":
            s.sendall(frame(99, b"{}"))
        elif case == "truncated":
            s.sendall(struct.pack(">IB", 1000, typeno(argv[3])) + b'{"a": "012')
            s.shutdown(socket.SHUT_WR)
        elif case == "zero":
            s.sendall(struct.pack(">IB", 0, typeno(argv[3])))
        else:
            sys.exit("frames.py: unknown case " + case)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before all was written: what follows says how
    try:
        while True:
            hdr = recv_exact(s, 5)
            if hdr is None:
                break
            n, t = struct.unpack(">IB", hdr)
            body = recv_exact(s, n - 1)
            if body is None:
                print("truncated reply")
                break
            print(TYPES.get(t, str(t)), body.decode(errors="replace"))
    except ConnectionResetError:
        pass
    except socket.timeout:
        print("timeout")
        return 1
    print("closed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
