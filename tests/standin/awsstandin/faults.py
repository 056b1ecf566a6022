"""Fault injection: rules matched per operation and per nth call.

A rule is a JSON object:
  op       "PutObject", "s3:PutObject", "lambda:*", "*" (default "*"), or a list
  path     optional substring of the request's decoded path (e.g. "/lock")
  nth      fire on the nth matching call (1-based), or a list of them
  times    fire on the first N matching calls (when nth is absent)
           (neither: every matching call)
  fault    "500" | "throttle" | "delay" | "drop" | "pause" | "error"
  when     "before" (the operation is not applied yet) or "after" (applied,
           the response not sent yet); default "before", "after" for drop
  seconds  delay length (default 30); pause limit (default 300)
  status, code, message   for "error": any status and error code
Calls are counted per rule from when the rule was installed.
"""

import json
import os
import threading
import time

KINDS = ("500", "throttle", "delay", "drop", "pause", "error")


class FaultError(ValueError):
    pass


def _check_rule(r, i):
    if not isinstance(r, dict):
        raise FaultError(f"faults[{i}]: expected an object")
    unknown = set(r) - {"op", "path", "nth", "times", "fault", "when", "seconds",
                        "status", "code", "message", "id"}
    if unknown:
        raise FaultError(f"faults[{i}]: unknown field {sorted(unknown)[0]}")
    if r.get("fault") not in KINDS:
        raise FaultError(f"faults[{i}].fault: one of {', '.join(KINDS)}")
    if r.get("when", "before") not in ("before", "after"):
        raise FaultError(f"faults[{i}].when: before or after")
    nth = r.get("nth")
    if nth is not None:
        nths = nth if isinstance(nth, list) else [nth]
        if not nths or not all(isinstance(n, int) and n >= 1 for n in nths):
            raise FaultError(f"faults[{i}].nth: a positive integer or a list of them")
    if "times" in r and not (isinstance(r["times"], int) and r["times"] >= 1):
        raise FaultError(f"faults[{i}].times: a positive integer")
    if "seconds" in r and not (isinstance(r["seconds"], (int, float)) and
                               0 <= r["seconds"] <= 3600):
        raise FaultError(f"faults[{i}].seconds: 0 to 3600")
    ops = r.get("op", "*")
    if not isinstance(ops, (str, list)):
        raise FaultError(f"faults[{i}].op: a string or a list of strings")
    if r["fault"] == "error" and not (isinstance(r.get("status"), int) and
                                      isinstance(r.get("code"), str)):
        raise FaultError(f"faults[{i}]: an error fault needs status and code")


def parse_rules(obj):
    """The rules of {"faults": [...]} or a bare list."""
    rules = obj.get("faults") if isinstance(obj, dict) else obj
    if not isinstance(rules, list):
        raise FaultError('expected {"faults": [RULE, ...]} or a list of rules')
    for i, r in enumerate(rules):
        _check_rule(r, i)
    return [dict(r, seen=0, fired=0) for r in rules]


def _op_matches(pattern, service, op):
    pats = pattern if isinstance(pattern, list) else [pattern]
    for p in pats:
        svc, sep, name = p.partition(":")
        if not sep:
            svc, name = "*", p
        if svc in ("*", service) and name in ("*", op):
            return True
    return False


class Faults:
    def __init__(self, path=None):
        self.path = path
        self._lock = threading.Lock()
        self._rules = []  # from the control endpoint
        self._file_rules = []
        self._file_sig = None
        self._next_id = 1

    def _reload_file(self):
        if not self.path:
            return
        try:
            st = os.stat(self.path)
            sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            sig = None
        if sig == self._file_sig:
            return
        self._file_sig = sig
        if sig is None:
            self._file_rules = []
            return
        try:
            with open(self.path, encoding="utf-8") as f:
                rules = parse_rules(json.load(f))
        except (ValueError, OSError) as e:
            print(f"standin: faults file {self.path}: {e} (ignored)", flush=True)
            self._file_rules = []
            return
        self._file_rules = self._number(rules, "file")

    def _number(self, rules, origin):
        for r in rules:
            r["id"] = self._next_id
            r["origin"] = origin
            self._next_id += 1
        return rules

    def set(self, obj, add=False):
        rules = parse_rules(obj)
        with self._lock:
            rules = self._number(rules, "control")
            self._rules = (self._rules + rules) if add else rules
            return [dict(r) for r in rules]

    def clear(self):
        with self._lock:
            self._rules = []

    def snapshot(self):
        with self._lock:
            self._reload_file()
            return [dict(r) for r in self._file_rules + self._rules]

    def match(self, service, op, path):
        """The first rule that fires for this call (counting it), or None."""
        with self._lock:
            self._reload_file()
            hit = None
            for r in self._file_rules + self._rules:
                if not _op_matches(r.get("op", "*"), service, op):
                    continue
                if r.get("path") and r["path"] not in path:
                    continue
                r["seen"] += 1
                if hit is not None:
                    continue
                nth = r.get("nth")
                if nth is not None:
                    fire = r["seen"] in (nth if isinstance(nth, list) else [nth])
                elif "times" in r:
                    fire = r["fired"] < r["times"]
                else:
                    fire = True
                if fire:
                    r["fired"] += 1
                    hit = dict(r)
            return hit


class Waiters:
    """Requests held by a pause (or a delay) until released."""

    def __init__(self):
        self._cond = threading.Condition()
        self._items = {}  # id -> {info..., "event", "action"}
        self._next = 1

    def hold(self, info, seconds, event_kind):
        """Block until released or seconds pass; return the release action
        ("continue", "drop", "500") or "timeout"."""
        with self._cond:
            wid = self._next
            self._next += 1
            item = dict(info, id=wid, kind=event_kind, since=time.time(), action=None)
            self._items[wid] = item
            self._cond.notify_all()
            deadline = time.monotonic() + seconds
            while item["action"] is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    item["action"] = "timeout"
                    break
                self._cond.wait(left)
            del self._items[wid]
            return item["action"]

    def list(self, wait=0.0, kind=None, min_count=1):
        """Held requests; wait up to `wait` seconds for at least min_count."""
        deadline = time.monotonic() + wait
        with self._cond:
            while True:
                items = [{k: v for k, v in i.items() if k != "action"}
                         for i in self._items.values()
                         if kind is None or i["kind"] == kind]
                left = deadline - time.monotonic()
                if len(items) >= min_count or left <= 0:
                    return items
                self._cond.wait(left)

    def release(self, wid=None, op=None, action="continue"):
        with self._cond:
            n = 0
            for i in self._items.values():
                if i["action"] is None and (wid is None or i["id"] == wid) and \
                        (op is None or op in (i["op"], i["service"] + ":" + i["op"])):
                    i["action"] = action
                    n += 1
            self._cond.notify_all()
            return n
