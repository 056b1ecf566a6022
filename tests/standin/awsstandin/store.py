"""The stand-in's state on disk, under one directory.

Every change is written to a temporary file and renamed into place, so a
stand-in killed at any moment leaves each file whole, and a restarted one
carries on with the same state.  One lock (a threading lock plus flock on
DIR/.lock) serialises every operation, so `standin seed` can run beside a
live server.
"""

import contextlib
import fcntl
import json
import os
import secrets
import threading
import uuid


class Store:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        os.makedirs(os.path.join(self.root, "_standin"), exist_ok=True)
        self._tlock = threading.RLock()
        self._depth = 0
        self._lockfd = os.open(os.path.join(self.root, ".lock"),
                               os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def close(self):
        os.close(self._lockfd)

    @contextlib.contextmanager
    def locked(self):
        with self._tlock:
            if self._depth == 0:
                fcntl.flock(self._lockfd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._lockfd, fcntl.LOCK_UN)

    # ------------------------------------------------------------ files
    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def read_bytes(self, *parts):
        try:
            with open(self.path(*parts), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def read_json(self, *parts):
        data = self.read_bytes(*parts)
        return None if data is None else json.loads(data)

    def write_bytes(self, data, *parts):
        dest = self.path(*parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = f"{dest}.tmp-{uuid.uuid4().hex}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)

    def write_json(self, obj, *parts):
        self.write_bytes(json.dumps(obj, indent=1, sort_keys=True).encode(), *parts)

    def remove(self, *parts):
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path(*parts))

    def listdir(self, *parts):
        try:
            return sorted(os.listdir(self.path(*parts)))
        except FileNotFoundError:
            return []

    def append_line(self, obj, *parts):
        dest = self.path(*parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "a", encoding="utf-8") as f:
            f.write(json.dumps(obj, sort_keys=True) + "\n")

    # ------------------------------------------------------------ settings
    def secret(self):
        """A per-DIR secret (the Code.Location tokens); made once."""
        with self.locked():
            s = self.read_bytes("_standin", "secret")
            if s is None:
                s = secrets.token_hex(32).encode()
                self.write_bytes(s, "_standin", "secret")
            return s

    def config(self):
        return self.read_json("_standin", "config.json") or {}

    def set_config(self, **kv):
        with self.locked():
            c = self.config()
            c.update(kv)
            self.write_json(c, "_standin", "config.json")
            return c
