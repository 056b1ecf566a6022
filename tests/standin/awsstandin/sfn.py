"""Step Functions: JSON 1.0, POST / with X-Amz-Target: AWSStepFunctions.OP.

DescribeStateMachine, UpdateStateMachine (the definition validated with
build/stepdeploy validate when it has that command, else JSON-parsed),
ListTagsForResource, PublishStateMachineVersion, ListStateMachineVersions.
"""

import json
import os
import re
import subprocess
import tempfile
import threading
import time
import uuid

from .errors import AwsError

TARGET_PREFIX = "AWSStepFunctions."
OPS = ("DescribeStateMachine", "UpdateStateMachine", "ListTagsForResource",
       "PublishStateMachineVersion", "ListStateMachineVersions")
_SM_ARN_RE = re.compile(r"^arn:(?P<p>aws[a-z-]*):states:(?P<r>[a-z0-9-]+):(?P<a>\d{12}):"
                        r"stateMachine:(?P<n>[A-Za-z0-9_-]{1,80})(?::(?P<v>[0-9]+))?$")
_ROLE_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
MAX_DEFINITION = 1024 * 1024


def identify(req):
    target = req.header("x-amz-target") or ""
    op = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
    if req.method != "POST" or req.raw_path != "/" or op not in OPS:
        return "Unknown"
    return op


class DefinitionValidator:
    """`stepdeploy validate --json FILE` when the binary has that command,
    else a JSON parse.  Returns None (valid) or an error message."""

    def __init__(self, binary):
        self.binary = binary
        self._lock = threading.Lock()
        self._probe = None  # (mtime, available)

    def available(self):
        if not self.binary or not os.path.isfile(self.binary) or \
                not os.access(self.binary, os.X_OK):
            return False
        mtime = os.stat(self.binary).st_mtime
        with self._lock:
            if self._probe is None or self._probe[0] != mtime:
                try:
                    p = subprocess.run([self.binary, "validate", "--help"],
                                       capture_output=True, timeout=30)
                    text = (p.stdout + p.stderr).decode(errors="replace")
                    ok = "validate DEFINITION" in text
                except (OSError, subprocess.TimeoutExpired):
                    ok = False
                self._probe = (mtime, ok)
            return self._probe[1]

    def check(self, definition):
        try:
            obj = json.loads(definition)
        except ValueError as e:
            return f"INVALID_JSON_DESCRIPTION: {e}"
        if not isinstance(obj, dict):
            return "SCHEMA_VALIDATION_FAILED: the definition must be a JSON object"
        if not self.available():
            return None
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(definition)
            path = f.name
        try:
            p = subprocess.run([self.binary, "validate", "--json", path],
                               capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            return None
        finally:
            os.unlink(path)
        if p.returncode != 1:  # 0: valid; 2: not a verdict (bad usage)
            return None
        try:
            r = json.loads(p.stdout)
            errs = [d for d in r.get("diagnostics", []) if d.get("severity") == "ERROR"
                    or d.get("severity") == "error"] or r.get("diagnostics", [])
            msgs = [f"{d.get('code', 'SCHEMA_VALIDATION_FAILED')}: {d.get('message', '')}"
                    + (f" at {d['location']}" if d.get("location") else "")
                    for d in errs]
            return ", ".join(msgs) or "SCHEMA_VALIDATION_FAILED"
        except (ValueError, AttributeError):
            return (p.stdout or p.stderr).decode(errors="replace").strip() or \
                "SCHEMA_VALIDATION_FAILED"


def _resp(obj):
    return 200, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(obj).encode()


def _body(req):
    try:
        obj = json.loads(req.body or b"{}")
    except ValueError:
        raise AwsError(400, "SerializationException", "Could not parse the request body")
    if not isinstance(obj, dict):
        raise AwsError(400, "SerializationException", "Start of structure or map found "
                       "where not expected.")
    return obj


class StepFunctions:
    def __init__(self, store, validator):
        self.store = store
        self.validator = validator

    def _rel(self, account, region, name):
        return ("states", account, region, name + ".json")

    def _arn(self, account, region, name, version=None):
        arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
        return arn + (":" + version if version else "")

    def _load(self, req, arn, field="stateMachineArn"):
        if not isinstance(arn, str) or not arn:
            raise AwsError(400, "MissingRequiredParameter",
                           f"Missing required parameter: {field}")
        m = _SM_ARN_RE.match(arn)
        if m is None:
            raise AwsError(400, "InvalidArn", f"Invalid Arn: 'Resource type not valid "
                           f"in this context: {arn}'")
        sm = None
        if m.group("a") == req.identity.account and m.group("r") == req.identity.region:
            sm = self.store.read_json(*self._rel(m.group("a"), m.group("r"), m.group("n")))
        if sm is None or (m.group("v") and m.group("v") not in sm["versions"]):
            raise AwsError(400, "StateMachineDoesNotExist",
                           f"State Machine Does Not Exist: '{arn}'")
        return sm, m.group("v")

    def _save(self, sm):
        self.store.write_json(sm, *self._rel(sm["account"], sm["region"], sm["name"]))

    def DescribeStateMachine(self, req):
        body = _body(req)
        with self.store.locked():
            sm, v = self._load(req, body.get("stateMachineArn"))
        src = sm["versions"][v] if v else sm
        out = {"stateMachineArn": self._arn(sm["account"], sm["region"], sm["name"], v),
               "name": sm["name"], "status": "ACTIVE",
               "definition": src["definition"], "roleArn": src["roleArn"],
               "type": sm["type"], "creationDate": src["creationDate"],
               "loggingConfiguration": sm["loggingConfiguration"],
               "tracingConfiguration": sm["tracingConfiguration"],
               "revisionId": src["revisionId"]}
        if v:
            out["description"] = src.get("description", "")
        return _resp(out)

    def UpdateStateMachine(self, req):
        body = _body(req)
        if not any(k in body for k in ("definition", "roleArn", "loggingConfiguration",
                                       "tracingConfiguration")):
            raise AwsError(400, "MissingRequiredParameter", "Either the definition, "
                           "the role ARN, the LoggingConfiguration, or the "
                           "TracingConfiguration must be specified")
        d = body.get("definition")
        if d is not None:
            if not isinstance(d, str):
                raise AwsError(400, "SerializationException",
                               "definition must be a string")
            if len(d.encode()) > MAX_DEFINITION:
                raise AwsError(400, "ValidationException", "1 validation error "
                               "detected: Value at 'definition' failed to satisfy "
                               "constraint: Member must have length less than or "
                               "equal to 1048576")
        role = body.get("roleArn")
        if role is not None and (not isinstance(role, str) or not _ROLE_RE.match(role)):
            raise AwsError(400, "InvalidArn", f"Invalid Arn: 'Resource type not valid in "
                           f"this context: {role}'")
        with self.store.locked():  # the resource must exist before validating
            self._load(req, body.get("stateMachineArn"))
        if d is not None:
            problem = self.validator.check(d)
            if problem is not None:
                raise AwsError(400, "InvalidDefinition",
                               f"Invalid State Machine Definition: '{problem}'")
        with self.store.locked():
            sm, v = self._load(req, body.get("stateMachineArn"))
            if v:
                raise AwsError(400, "ValidationException", "Operation not supported "
                               "on a state machine version")
            if d is not None:
                sm["definition"] = d
            if role is not None:
                sm["roleArn"] = role
            for k in ("loggingConfiguration", "tracingConfiguration"):
                if isinstance(body.get(k), dict):
                    sm[k].update(body[k])
            now = time.time()
            sm["updateDate"] = now
            sm["revisionId"] = str(uuid.uuid4())
            out = {"updateDate": now, "revisionId": sm["revisionId"]}
            if body.get("publish"):
                out["stateMachineVersionArn"] = self._publish(
                    sm, body.get("versionDescription", ""))[0]
            self._save(sm)
        return _resp(out)

    def _publish(self, sm, description):
        """(version ARN, creation date); the latest version again when nothing
        changed since it was published."""
        if sm["versions"]:
            last = str(max(int(v) for v in sm["versions"]))
            if sm["versions"][last]["revisionId"] == sm["revisionId"]:
                return (self._arn(sm["account"], sm["region"], sm["name"], last),
                        sm["versions"][last]["creationDate"])
        v = str(sm["next_version"])
        sm["next_version"] += 1
        now = time.time()
        sm["versions"][v] = {"definition": sm["definition"], "roleArn": sm["roleArn"],
                             "revisionId": sm["revisionId"], "creationDate": now,
                             "description": description}
        return self._arn(sm["account"], sm["region"], sm["name"], v), now

    def PublishStateMachineVersion(self, req):
        body = _body(req)
        with self.store.locked():
            sm, v = self._load(req, body.get("stateMachineArn"))
            if v:
                raise AwsError(400, "ValidationException", "Operation not supported "
                               "on a state machine version")
            if "revisionId" in body and body["revisionId"] != sm["revisionId"]:
                raise AwsError(400, "ConflictException", "Failed to publish the State "
                               "Machine version for revision "
                               f"{body['revisionId']}. The current State Machine "
                               f"revision is {sm['revisionId']}.")
            arn, created = self._publish(sm, body.get("description", ""))
            self._save(sm)
        return _resp({"creationDate": created, "stateMachineVersionArn": arn})

    def ListStateMachineVersions(self, req):
        body = _body(req)
        with self.store.locked():
            sm, _ = self._load(req, body.get("stateMachineArn"))
        items = [{"stateMachineVersionArn": self._arn(sm["account"], sm["region"],
                                                      sm["name"], v),
                  "creationDate": sm["versions"][v]["creationDate"]}
                 for v in sorted(sm["versions"], key=int, reverse=True)]
        return _resp({"stateMachineVersions": items})

    def ListTagsForResource(self, req):
        body = _body(req)
        arn = body.get("resourceArn")
        with self.store.locked():
            try:
                sm, _ = self._load(req, arn, "resourceArn")
            except AwsError as e:
                if e.code == "StateMachineDoesNotExist":
                    raise AwsError(400, "ResourceNotFound", f"Resource not found: '{arn}'")
                raise
        return _resp({"tags": [{"key": k, "value": v} for k, v in sm["tags"].items()]})

    # ------------------------------------------------------------ seeding
    def seed(self, account, region, name, definition, tags=None, role=None,
             sm_type="STANDARD"):
        if not _NAME_RE.match(name):
            raise ValueError(f"invalid state machine name: {name}")
        if not isinstance(definition, str):
            definition = json.dumps(definition, indent=2)
        json.loads(definition)
        with self.store.locked():
            now = time.time()
            sm = {"name": name, "account": account, "region": region,
                  "definition": definition,
                  "roleArn": role or f"arn:aws:iam::{account}:role/{name}-sfn",
                  "type": sm_type, "creationDate": now, "updateDate": now,
                  "revisionId": str(uuid.uuid4()), "tags": dict(tags or {}),
                  "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
                  "tracingConfiguration": {"enabled": False},
                  "versions": {}, "next_version": 1}
            self._save(sm)
            return self._arn(account, region, name)

    def summary(self):
        out = {}
        for acct in self.store.listdir("states"):
            for region in self.store.listdir("states", acct):
                for f in self.store.listdir("states", acct, region):
                    if f.endswith(".json"):
                        sm = self.store.read_json("states", acct, region, f)
                        out[self._arn(acct, region, sm["name"])] = {
                            "definition": sm["definition"], "revisionId": sm["revisionId"],
                            "tags": sm["tags"], "versions": sorted(sm["versions"], key=int)}
        return out
