"""Lambda: REST/JSON under /2015-03-31 and /2017-03-31.

GetFunction, GetFunctionConfiguration, UpdateFunctionCode, PublishVersion,
ListVersionsByFunction, ListTags, GetAlias, UpdateAlias, CreateAlias,
ListAliases.  LastUpdateStatus goes InProgress, then Successful after the
configured delay (evaluated lazily on each access, so it survives restarts).
"""

import base64
import binascii
import copy
import datetime
import hashlib
import hmac
import io
import json
import re
import time
import uuid
import zipfile
from urllib.parse import quote, unquote

from .errors import AwsError

_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ARN_RE = re.compile(r"^arn:(?P<p>aws[a-z-]*):lambda:(?P<r>[a-z0-9-]+):(?P<a>\d{12}):"
                     r"function:(?P<n>[A-Za-z0-9_-]{1,64})(?::(?P<q>[A-Za-z0-9$_-]+))?$")
_PARTIAL_RE = re.compile(r"^(?P<a>\d{12}):function:(?P<n>[A-Za-z0-9_-]{1,64})"
                         r"(?::(?P<q>[A-Za-z0-9$_-]+))?$")
_ALIAS_RE = re.compile(r"^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$")
MAX_REQUEST = 70167211
CODE_URL_SECONDS = 600

ROUTES = [
    ("GET", re.compile(r"^/2015-03-31/functions/([^/]+)$"), "GetFunction"),
    ("GET", re.compile(r"^/2015-03-31/functions/([^/]+)/configuration$"),
     "GetFunctionConfiguration"),
    ("PUT", re.compile(r"^/2015-03-31/functions/([^/]+)/code$"), "UpdateFunctionCode"),
    ("POST", re.compile(r"^/2015-03-31/functions/([^/]+)/versions$"), "PublishVersion"),
    ("GET", re.compile(r"^/2015-03-31/functions/([^/]+)/versions$"),
     "ListVersionsByFunction"),
    ("GET", re.compile(r"^/2017-03-31/tags/([^/]+)$"), "ListTags"),
    ("GET", re.compile(r"^/2015-03-31/functions/([^/]+)/aliases/([^/]+)$"), "GetAlias"),
    ("PUT", re.compile(r"^/2015-03-31/functions/([^/]+)/aliases/([^/]+)$"), "UpdateAlias"),
    ("POST", re.compile(r"^/2015-03-31/functions/([^/]+)/aliases$"), "CreateAlias"),
    ("GET", re.compile(r"^/2015-03-31/functions/([^/]+)/aliases$"), "ListAliases"),
]
_PREFIX_RE = re.compile(r"^/20\d\d-\d\d-\d\d/(functions|tags|event-source-mappings|"
                        r"layers|account-settings)(/|$)")


def is_lambda_path(raw_path):
    return bool(_PREFIX_RE.match(raw_path))


def identify(req):
    """Operation name; sets req.args (decoded path parameters)."""
    for method, rx, op in ROUTES:
        m = rx.match(req.raw_path)
        if m and req.method == method:
            req.args = [unquote(g) for g in m.groups()]
            return op
    req.args = []
    return "Unknown"


def _ts(t):
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


def _rid():
    return str(uuid.uuid4())


def _not_found(arn):
    return AwsError(404, "ResourceNotFoundException", f"Function not found: {arn}")


def _bad(msg):
    return AwsError(400, "InvalidParameterValueException", msg)


def _precondition():
    return AwsError(412, "PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision "
                    "Id. Call the GetFunction/GetAlias API to retrieve the latest "
                    "Revision Id")


def _json_body(req):
    if not req.body.strip():
        return {}
    try:
        obj = json.loads(req.body)
    except ValueError:
        raise AwsError(400, "InvalidRequestContentException",
                       "Could not parse request body into json")
    if not isinstance(obj, dict):
        raise AwsError(400, "InvalidRequestContentException",
                       "Could not parse request body into json")
    return obj


def _resp(obj, status=200):
    return status, [("Content-Type", "application/json")], json.dumps(obj).encode()


def code_sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class Lambda:
    def __init__(self, store, s3, default_delay=1.0):
        self.store = store
        self.s3 = s3
        self.default_delay = default_delay

    # ------------------------------------------------------------ records
    def _rel(self, account, region, name):
        return ("lambda", account, region, name + ".json")

    def _arn(self, account, region, name, qualifier=None):
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
        return arn + (":" + qualifier if qualifier else "")

    def _parse_name(self, req, value, qualifier=None):
        """(account, region, name, qualifier) from a name, partial or full ARN."""
        ident = req.identity
        m = _ARN_RE.match(value)
        if m:
            acct, region, name, q = m.group("a"), m.group("r"), m.group("n"), m.group("q")
        else:
            m = _PARTIAL_RE.match(value)
            if m:
                acct, region, name, q = m.group("a"), ident.region, m.group("n"), m.group("q")
            else:
                name, _, q = value.partition(":")
                acct, region = ident.account, ident.region
                q = q or None
                if not _NAME_RE.match(name):
                    raise AwsError(400, "ValidationException",
                                   f"1 validation error detected: Value '{value}' "
                                   "at 'functionName' failed to satisfy constraint: "
                                   "Member must satisfy regular expression pattern: "
                                   "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?"
                                   r"-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
                                   r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")
        if q and qualifier and q != qualifier:
            raise _bad("The derived qualifier from the function name does not "
                       "match the specified qualifier.")
        return acct, region, name, q or qualifier

    def _load(self, req, value, qualifier=None):
        acct, region, name, q = self._parse_name(req, value, qualifier)
        fn = None
        if acct == req.identity.account and region == req.identity.region:
            fn = self.store.read_json(*self._rel(acct, region, name))
        if fn is None:
            raise _not_found(self._arn(acct, region, name, q))
        self._settle(fn)
        return fn, q

    def _save(self, fn):
        self.store.write_json(fn, *self._rel(fn["account"], fn["region"], fn["name"]))

    def _settle(self, fn):
        """Finish an update whose delay has passed (as Lambda does in the
        background): LastUpdateStatus Successful and a new RevisionId."""
        done = fn.get("update_done_at")
        if done is not None and time.time() >= done:
            c = fn["config"]
            c["LastUpdateStatus"] = "Successful"
            c.pop("LastUpdateStatusReason", None)
            c.pop("LastUpdateStatusReasonCode", None)
            c["RevisionId"] = _rid()
            fn["update_done_at"] = None
            self._save(fn)

    def _delay(self):
        c = self.store.config()
        return float(c.get("lambda_update_delay", self.default_delay))

    def _config(self, fn, q):
        """The configuration of $LATEST, a version or an alias's version."""
        if q is None or q == "$LATEST":
            return fn["config"]
        if q in fn["versions"]:
            return fn["versions"][q]["config"]
        if q in fn["aliases"]:
            v = fn["aliases"][q]["FunctionVersion"]
            return fn["config"] if v == "$LATEST" else fn["versions"][v]["config"]
        raise _not_found(self._arn(fn["account"], fn["region"], fn["name"], q))

    def _code_hex(self, fn, q):
        if q is None or q == "$LATEST":
            return fn["code"]
        if q in fn["versions"]:
            return fn["versions"][q]["code"]
        v = fn["aliases"][q]["FunctionVersion"]
        return fn["code"] if v == "$LATEST" else fn["versions"][v]["code"]

    def _store_code(self, data):
        hexsha = hashlib.sha256(data).hexdigest()
        if self.store.read_bytes("lambda", "code", hexsha + ".zip") is None:
            self.store.write_bytes(data, "lambda", "code", hexsha + ".zip")
        return hexsha

    # ------------------------------------------------------------ code URLs
    def _token(self, hexsha, expires):
        return hmac.new(self.store.secret(), f"{hexsha}:{expires}".encode(),
                        hashlib.sha256).hexdigest()

    def code_url(self, host, name, hexsha, scheme="http"):
        expires = int(time.time()) + CODE_URL_SECONDS
        return (f"{scheme}://{host}/_standin/code/{quote(name)}/{hexsha}.zip?"
                f"expires={expires}&token={self._token(hexsha, expires)}")

    def serve_code(self, hexsha, query):
        """(status, message, data) for a GET of a Code.Location URL."""
        try:
            expires = int(query.get("expires", ""))
        except ValueError:
            return 403, "Query-string authentication requires expires and token", None
        if not hmac.compare_digest(self._token(hexsha, expires), query.get("token", "")):
            return 403, "The request signature we calculated does not match", None
        if time.time() > expires:
            return 403, "Request has expired", None
        data = self.store.read_bytes("lambda", "code", hexsha + ".zip")
        if data is None:
            return 404, "The specified key does not exist.", None
        return 200, "", data

    # ------------------------------------------------------------ operations
    def GetFunction(self, req):
        with self.store.locked():
            fn, q = self._load(req, req.args[0], req.query.get("Qualifier"))
            conf = self._config(fn, q)
            out = {"Configuration": conf,
                   "Code": {"RepositoryType": "S3",
                            "Location": self.code_url(req.host, fn["name"],
                                                      self._code_hex(fn, q),
                                                      req.scheme)}}
            if fn["tags"]:
                out["Tags"] = fn["tags"]
            return _resp(out)

    def GetFunctionConfiguration(self, req):
        with self.store.locked():
            fn, q = self._load(req, req.args[0], req.query.get("Qualifier"))
            return _resp(self._config(fn, q))

    def UpdateFunctionCode(self, req):
        if len(req.body) > MAX_REQUEST:
            raise AwsError(413, "RequestEntityTooLargeException",
                           f"Request must be smaller than {MAX_REQUEST} bytes for "
                           "the UpdateFunctionCode operation")
        body = _json_body(req)
        sources = [k for k in ("ZipFile", "S3Bucket", "ImageUri") if k in body]
        if "ImageUri" in body:
            raise _bad("Please don't provide ImageUri when updating a function "
                       "with packageType Zip.")
        if sources == ["ZipFile"]:
            try:
                data = base64.b64decode(body["ZipFile"], validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise _bad("Could not unzip uploaded file. Please check your file, "
                           "then try to upload again.")
        elif sources == ["S3Bucket"] and "S3Key" in body:
            data = None
        else:
            raise _bad("Please provide a source for function code.")
        with self.store.locked():
            fn, q = self._load(req, req.args[0])
            if q is not None:
                raise _bad("Unsupported qualifier for UpdateFunctionCode.")
            if data is None:
                meta, data = self.s3.object_bytes(body["S3Bucket"], body["S3Key"])
                if data is None:
                    raise _bad("Error occurred while GetObject. S3 Error Code: "
                               "NoSuchKey. S3 Error Message: The specified key "
                               "does not exist.")
            try:
                zipfile.ZipFile(io.BytesIO(data)).namelist()
            except (zipfile.BadZipFile, ValueError, OSError):
                raise _bad("Could not unzip uploaded file. Please check your file, "
                           "then try to upload again.")
            c = fn["config"]
            if "RevisionId" in body and body["RevisionId"] != c["RevisionId"]:
                raise _precondition()
            if c["LastUpdateStatus"] == "InProgress":
                raise AwsError(409, "ResourceConflictException",
                               "The operation cannot be performed at this time. An "
                               "update is in progress for resource: " + c["FunctionArn"])
            new = copy.deepcopy(c)
            new["CodeSha256"] = code_sha256(data)
            new["CodeSize"] = len(data)
            new["LastModified"] = _ts(time.time())
            new["RevisionId"] = _rid()
            new["LastUpdateStatus"] = "InProgress"
            new.pop("LastUpdateStatusReason", None)
            new.pop("LastUpdateStatusReasonCode", None)
            if "Architectures" in body:
                new["Architectures"] = body["Architectures"]
            if body.get("DryRun"):
                return _resp(new)
            fn["config"] = new
            fn["code"] = self._store_code(data)
            fn["update_done_at"] = time.time() + self._delay()
            if body.get("Publish"):
                return _resp(self._publish(fn, ""))
            self._save(fn)
            return _resp(new)

    def _publish(self, fn, description):
        c = fn["config"]
        for v, rec in sorted(fn["versions"].items(), key=lambda kv: -int(kv[0])):
            if rec["code"] == fn["code"]:  # nothing changed since: the same version
                if v == str(fn["next_version"] - 1):
                    return rec["config"]
            break
        v = str(fn["next_version"])
        fn["next_version"] += 1
        vc = copy.deepcopy(c)
        vc["Version"] = v
        vc["FunctionArn"] = c["FunctionArn"] + ":" + v
        vc["Description"] = description or c.get("Description", "")
        vc["RevisionId"] = _rid()
        vc["LastUpdateStatus"] = "Successful"
        vc["State"] = "Active"
        for k in ("LastUpdateStatusReason", "LastUpdateStatusReasonCode"):
            vc.pop(k, None)
        fn["versions"][v] = {"config": vc, "code": fn["code"]}
        self._save(fn)
        return vc

    def PublishVersion(self, req):
        body = _json_body(req)
        with self.store.locked():
            fn, q = self._load(req, req.args[0])
            c = fn["config"]
            if q is not None:
                raise _bad("Unsupported qualifier for PublishVersion.")
            if "RevisionId" in body and body["RevisionId"] != c["RevisionId"]:
                raise _precondition()
            if c["LastUpdateStatus"] == "InProgress":
                raise AwsError(409, "ResourceConflictException",
                               "The operation cannot be performed at this time. An "
                               "update is in progress for resource: " + c["FunctionArn"])
            if "CodeSha256" in body and body["CodeSha256"] != c["CodeSha256"]:
                raise _bad(f"CodeSHA256 ({body['CodeSha256']}) is different from "
                           f"current CodeSHA256 in $LATEST ({c['CodeSha256']}). "
                           "Please try again with the current CodeSHA256.")
            return _resp(self._publish(fn, body.get("Description", "")), 201)

    def ListVersionsByFunction(self, req):
        with self.store.locked():
            fn, _ = self._load(req, req.args[0])
            versions = [fn["config"]] + [fn["versions"][v]["config"] for v in
                                         sorted(fn["versions"], key=int)]
        return _resp(self._page(req, versions, "Versions"))

    def _page(self, req, items, field):
        try:
            start = int(req.query.get("Marker", "0") or 0)
            n = int(req.query.get("MaxItems", "50"))
        except ValueError:
            raise _bad("Invalid Marker or MaxItems")
        if not 1 <= n <= 10000:
            raise _bad("MaxItems must be between 1 and 10000")
        out = {field: items[start:start + n]}
        if start + n < len(items):
            out["NextMarker"] = str(start + n)
        return out

    def ListTags(self, req):
        arn = req.args[0]
        m = _ARN_RE.match(arn)
        if m is None:
            raise AwsError(400, "ValidationException",
                           f"1 validation error detected: Value '{arn}' at "
                           "'resource' failed to satisfy constraint: Member must "
                           "satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?"
                           ":lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:"
                           "\\d{12}:function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
        with self.store.locked():
            fn, _ = self._load(req, arn)
            return _resp({"Tags": fn["tags"]})

    def _alias_out(self, fn, name):
        a = fn["aliases"][name]
        out = {"AliasArn": self._arn(fn["account"], fn["region"], fn["name"], name),
               "Name": name, "FunctionVersion": a["FunctionVersion"],
               "Description": a.get("Description", ""), "RevisionId": a["RevisionId"]}
        if a.get("RoutingConfig"):
            out["RoutingConfig"] = a["RoutingConfig"]
        return out

    def _alias_not_found(self, fn, name):
        return AwsError(404, "ResourceNotFoundException", "Alias not found: " +
                        self._arn(fn["account"], fn["region"], fn["name"], name))

    def _check_version(self, fn, v):
        if v != "$LATEST" and v not in fn["versions"]:
            raise AwsError(404, "ResourceNotFoundException", "Function not found: " +
                           self._arn(fn["account"], fn["region"], fn["name"], v))

    def GetAlias(self, req):
        with self.store.locked():
            fn, _ = self._load(req, req.args[0])
            if req.args[1] not in fn["aliases"]:
                raise self._alias_not_found(fn, req.args[1])
            return _resp(self._alias_out(fn, req.args[1]))

    def ListAliases(self, req):
        with self.store.locked():
            fn, _ = self._load(req, req.args[0])
            items = [self._alias_out(fn, n) for n in sorted(fn["aliases"])]
        return _resp(self._page(req, items, "Aliases"))

    def UpdateAlias(self, req):
        body = _json_body(req)
        with self.store.locked():
            fn, _ = self._load(req, req.args[0])
            name = req.args[1]
            a = fn["aliases"].get(name)
            if a is None:
                raise self._alias_not_found(fn, name)
            if "RevisionId" in body and body["RevisionId"] != a["RevisionId"]:
                raise _precondition()
            if "FunctionVersion" in body:
                self._check_version(fn, str(body["FunctionVersion"]))
                a["FunctionVersion"] = str(body["FunctionVersion"])
            if "Description" in body:
                a["Description"] = body["Description"]
            if "RoutingConfig" in body:
                a["RoutingConfig"] = body["RoutingConfig"]
            a["RevisionId"] = _rid()
            self._save(fn)
            return _resp(self._alias_out(fn, name))

    def CreateAlias(self, req):
        body = _json_body(req)
        name = body.get("Name", "")
        if not isinstance(name, str) or not _ALIAS_RE.match(name):
            raise AwsError(400, "ValidationException",
                           f"1 validation error detected: Value '{name}' at "
                           "'name' failed to satisfy constraint: Member must "
                           "satisfy regular expression pattern: "
                           "(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
        with self.store.locked():
            fn, _ = self._load(req, req.args[0])
            if name in fn["aliases"]:
                raise AwsError(409, "ResourceConflictException",
                               "Alias already exists: " + self._arn(
                                   fn["account"], fn["region"], fn["name"], name))
            v = str(body.get("FunctionVersion", ""))
            self._check_version(fn, v)
            fn["aliases"][name] = {"FunctionVersion": v,
                                   "Description": body.get("Description", ""),
                                   "RoutingConfig": body.get("RoutingConfig"),
                                   "RevisionId": _rid()}
            self._save(fn)
            return _resp(self._alias_out(fn, name), 201)

    # ------------------------------------------------------------ seeding
    def seed(self, account, region, name, zip_bytes, tags=None, runtime="provided.al2023",
             handler="bootstrap", role=None, publish=False, aliases=()):
        if not _NAME_RE.match(name):
            raise ValueError(f"invalid function name: {name}")
        zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist()  # must be a zip
        with self.store.locked():
            arn = self._arn(account, region, name)
            now = time.time()
            fn = {"name": name, "account": account, "region": region,
                  "tags": dict(tags or {}), "versions": {}, "next_version": 1,
                  "aliases": {}, "update_done_at": None,
                  "code": self._store_code(zip_bytes),
                  "config": {
                      "FunctionName": name, "FunctionArn": arn,
                      "Runtime": runtime,
                      "Role": role or f"arn:aws:iam::{account}:role/{name}",
                      "Handler": handler, "CodeSize": len(zip_bytes),
                      "Description": "", "Timeout": 3, "MemorySize": 128,
                      "LastModified": _ts(now), "CodeSha256": code_sha256(zip_bytes),
                      "Version": "$LATEST",
                      "TracingConfig": {"Mode": "PassThrough"},
                      "RevisionId": _rid(), "State": "Active",
                      "LastUpdateStatus": "Successful", "PackageType": "Zip",
                      "Architectures": ["x86_64"],
                      "EphemeralStorage": {"Size": 512}}}
            if publish or aliases:
                self._publish(fn, "")
            for a in aliases:
                fn["aliases"][a] = {"FunctionVersion": str(fn["next_version"] - 1),
                                    "Description": "", "RevisionId": _rid()}
            self._save(fn)
            return arn

    def summary(self):
        out = {}
        for acct in self.store.listdir("lambda"):
            if acct == "code":
                continue
            for region in self.store.listdir("lambda", acct):
                for f in self.store.listdir("lambda", acct, region):
                    if not f.endswith(".json"):
                        continue
                    fn = self.store.read_json("lambda", acct, region, f)
                    self._settle(fn)
                    c = fn["config"]
                    out[c["FunctionArn"]] = {
                        "CodeSha256": c["CodeSha256"], "RevisionId": c["RevisionId"],
                        "LastUpdateStatus": c["LastUpdateStatus"], "Tags": fn["tags"],
                        "Versions": {v: r["config"]["CodeSha256"]
                                     for v, r in fn["versions"].items()},
                        "Aliases": {n: a["FunctionVersion"]
                                    for n, a in fn["aliases"].items()}}
        return out
