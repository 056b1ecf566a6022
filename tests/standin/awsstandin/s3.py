"""S3: REST/XML, path-style and virtual-hosted addressing.

CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, ListBuckets,
ListObjects(V2), PutObject (If-None-Match: *, If-Match), GetObject,
HeadObject (If-Match, If-None-Match), DeleteObject (If-Match).
"""

import base64
import datetime
import email.utils
import hashlib
import ipaddress
import re
import time
import uuid
from urllib.parse import quote
from xml.sax.saxutils import escape

from .errors import AwsError, not_implemented

XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_VHOST_RE = re.compile(r"^(?P<b>[a-z0-9][a-z0-9.-]*?)\.s3[.-]")
# Query parameters that select nothing beyond the operation itself.
_PLAIN_PARAMS = {"x-id", "list-type", "prefix", "max-keys", "continuation-token",
                 "start-after", "delimiter", "marker", "encoding-type",
                 "fetch-owner"}
_KEEP_HEADERS = ("content-type", "content-encoding", "content-disposition",
                 "content-language", "cache-control")


def valid_bucket_name(name):
    if not _BUCKET_RE.match(name) or ".." in name:
        return False
    try:
        ipaddress.ip_address(name)
        return False
    except ValueError:
        return True


def bucket_from_host(host):
    """The bucket of a virtual-hosted request (BUCKET.s3.REGION.amazonaws.com,
    BUCKET.s3.localhost, BUCKET.localhost), or None for path style."""
    h = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    h = h.lower()
    m = _VHOST_RE.match(h)
    if m:
        return m.group("b")
    if h.endswith(".localhost") and not h.startswith("s3."):
        return h[:-len(".localhost")]
    return None


def _now():
    return time.time()


def _http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


def _iso(ts):
    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def _xml(body):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def _okey(key):
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest() + ".json"


def _etags(value):
    return [v.strip().strip('"') for v in value.split(",")]


def identify(req):
    """Set req.bucket / req.key and return the operation name."""
    vb = bucket_from_host(req.host)
    path = req.path  # decoded
    if vb is not None:
        req.bucket = vb
        req.key = path[1:] if len(path) > 1 else None
    else:
        rest = path[1:]
        if not rest:
            req.bucket, req.key = None, None
        else:
            b, sep, k = rest.partition("/")
            req.bucket = b
            req.key = k if sep and k else None
    m = req.method
    extra = [p for p in req.query if p not in _PLAIN_PARAMS]
    if req.bucket is None:
        return "ListBuckets" if m == "GET" and not extra else "Unknown"
    if req.key is None:
        if extra == ["location"] and m == "GET":
            return "GetBucketLocation"
        if extra:
            return "Unknown"
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket",
                "DELETE": "DeleteBucket",
                "GET": "ListObjectsV2" if req.query.get("list-type") == "2"
                else "ListObjects"}.get(m, "Unknown")
    if extra or (m == "PUT" and "x-amz-copy-source" in req.headers):
        return "Unknown"
    return {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject",
            "DELETE": "DeleteObject"}.get(m, "Unknown")


class S3:
    def __init__(self, store):
        self.store = store

    # ------------------------------------------------------------ helpers
    def _bucket(self, req, check_region=True):
        b = self.store.read_json("s3", req.bucket, "bucket.json")
        if b is None:
            raise AwsError(404, "NoSuchBucket", "The specified bucket does not exist",
                           fields={"BucketName": req.bucket})
        if b["account"] != req.identity.account:
            raise AwsError(403, "AccessDenied", "Access Denied")
        if check_region and b["region"] != req.identity.region:
            raise AwsError(400, "AuthorizationHeaderMalformed",
                           f"The authorization header is malformed; the region "
                           f"'{req.identity.region}' is wrong; expecting "
                           f"'{b['region']}'", fields={"Region": b["region"]},
                           headers=[("x-amz-bucket-region", b["region"])])
        return b

    def _object(self, req):
        return self.store.read_json("s3", req.bucket, "o", _okey(req.key))

    def _no_such_key(self, req):
        return AwsError(404, "NoSuchKey", "The specified key does not exist.",
                        fields={"Key": req.key})

    @staticmethod
    def _precondition(cond):
        return AwsError(412, "PreconditionFailed",
                        "At least one of the pre-conditions you specified did "
                        "not hold", fields={"Condition": cond})

    def _check_if_match(self, req, obj):
        im = req.header("if-match")
        if im is None:
            return
        if obj is None:
            raise self._no_such_key(req)
        tags = _etags(im)
        if "*" not in tags and obj["etag"].strip('"') not in tags:
            raise self._precondition("If-Match")

    def object_bytes(self, bucket, key):
        """(meta, data) of an object, or (None, None): for Lambda's S3 code."""
        meta = self.store.read_json("s3", bucket, "o", _okey(key))
        if meta is None:
            return None, None
        return meta, self.store.read_bytes("s3", bucket, "o", meta["blob"])

    # ------------------------------------------------------------ buckets
    def ListBuckets(self, req):
        out = []
        for name in self.store.listdir("s3"):
            b = self.store.read_json("s3", name, "bucket.json")
            if b and b["account"] == req.identity.account:
                out.append(f"<Bucket><Name>{escape(name)}</Name><CreationDate>"
                           f"{_iso(b['created'])}</CreationDate></Bucket>")
        body = (f'<ListAllMyBucketsResult xmlns="{XMLNS}"><Owner><ID>'
                f'{req.identity.account}</ID></Owner><Buckets>{"".join(out)}'
                f"</Buckets></ListAllMyBucketsResult>")
        return 200, [("Content-Type", "application/xml")], _xml(body)

    def CreateBucket(self, req):
        if not valid_bucket_name(req.bucket):
            raise AwsError(400, "InvalidBucketName", "The specified bucket is not valid.",
                           fields={"BucketName": req.bucket})
        region = req.identity.region
        if req.body.strip():
            m = re.search(rb"<LocationConstraint>([^<]*)</LocationConstraint>", req.body)
            if m is None and b"CreateBucketConfiguration" not in req.body:
                raise AwsError(400, "MalformedXML", "The XML you provided was "
                               "not well-formed or did not validate against "
                               "our published schema")
            if m and m.group(1):
                region = m.group(1).decode()
        old = self.store.read_json("s3", req.bucket, "bucket.json")
        if old is not None:
            if old["account"] != req.identity.account:
                raise AwsError(409, "BucketAlreadyExists", "The requested bucket "
                               "name is not available.", fields={"BucketName": req.bucket})
            if old["region"] != "us-east-1":
                raise AwsError(409, "BucketAlreadyOwnedByYou", "Your previous "
                               "request to create the named bucket succeeded "
                               "and you already own it.",
                               fields={"BucketName": req.bucket})
        else:
            self.store.write_json({"name": req.bucket, "region": region,
                                   "account": req.identity.account,
                                   "created": _now()}, "s3", req.bucket, "bucket.json")
        return 200, [("Location", "/" + req.bucket)], b""

    def HeadBucket(self, req):
        b = self._bucket(req, check_region=False)
        return 200, [("x-amz-bucket-region", b["region"])], b""

    def GetBucketLocation(self, req):
        b = self._bucket(req, check_region=False)
        loc = "" if b["region"] == "us-east-1" else b["region"]
        return 200, [("Content-Type", "application/xml")], _xml(
            f'<LocationConstraint xmlns="{XMLNS}">{loc}</LocationConstraint>')

    def DeleteBucket(self, req):
        self._bucket(req)
        if any(n.endswith(".json") for n in self.store.listdir("s3", req.bucket, "o")):
            raise AwsError(409, "BucketNotEmpty", "The bucket you tried to "
                           "delete is not empty", fields={"BucketName": req.bucket})
        import shutil
        shutil.rmtree(self.store.path("s3", req.bucket))
        return 204, [], b""

    def _list(self, req, v2):
        self._bucket(req)
        q = req.query
        prefix = q.get("prefix", "")
        delim = q.get("delimiter", "")
        try:
            max_keys = min(int(q.get("max-keys", "1000")), 1000)
        except ValueError:
            raise AwsError(400, "InvalidArgument", "Provided max-keys not an integer "
                           "or within integer range")
        after = q.get("continuation-token" if v2 and "continuation-token" in q
                      else ("start-after" if v2 else "marker"), "")
        enc = q.get("encoding-type") == "url"
        objs = []
        for n in self.store.listdir("s3", req.bucket, "o"):
            if n.endswith(".json"):
                o = self.store.read_json("s3", req.bucket, "o", n)
                if o and o["key"].startswith(prefix) and o["key"] > after:
                    objs.append(o)
        objs.sort(key=lambda o: o["key"])
        contents, prefixes, truncated, last = [], [], False, ""
        for o in objs:
            k = o["key"]
            if delim and delim in k[len(prefix):]:
                cp = k[:len(prefix) + k[len(prefix):].index(delim) + len(delim)]
                if cp in prefixes or cp <= after:
                    continue
                item = ("p", cp)
            else:
                item = ("o", o)
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if item[0] == "p":
                prefixes.append(item[1])
                last = item[1]
            else:
                contents.append(o)
                last = k
        e = (lambda s: escape(quote(s, safe="/"))) if enc else escape
        parts = [f'<ListBucketResult xmlns="{XMLNS}"><Name>{escape(req.bucket)}</Name>'
                 f"<Prefix>{e(prefix)}</Prefix><MaxKeys>{max_keys}</MaxKeys>"]
        if delim:
            parts.append(f"<Delimiter>{e(delim)}</Delimiter>")
        if enc:
            parts.append("<EncodingType>url</EncodingType>")
        parts.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if v2:
            parts.append(f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount>")
            if "continuation-token" in q:
                parts.append(f"<ContinuationToken>{escape(q['continuation-token'])}"
                             "</ContinuationToken>")
            if truncated:
                parts.append(f"<NextContinuationToken>{escape(last)}</NextContinuationToken>")
        else:
            parts.append(f"<Marker>{e(q.get('marker', ''))}</Marker>")
            if truncated:
                parts.append(f"<NextMarker>{e(last)}</NextMarker>")
        for o in contents:
            parts.append(f"<Contents><Key>{e(o['key'])}</Key><LastModified>"
                         f"{_iso(o['last_modified'])}</LastModified><ETag>"
                         f"{escape(o['etag'])}</ETag><Size>{o['size']}</Size>"
                         "<StorageClass>STANDARD</StorageClass></Contents>")
        for p in prefixes:
            parts.append(f"<CommonPrefixes><Prefix>{e(p)}</Prefix></CommonPrefixes>")
        parts.append("</ListBucketResult>")
        return 200, [("Content-Type", "application/xml")], _xml("".join(parts))

    def ListObjects(self, req):
        return self._list(req, False)

    def ListObjectsV2(self, req):
        return self._list(req, True)

    # ------------------------------------------------------------ objects
    def PutObject(self, req):
        self._bucket(req)
        if len(req.key.encode()) > 1024:
            raise AwsError(400, "KeyTooLongError", "Your key is too long")
        md5 = hashlib.md5(req.body).digest()
        cmd5 = req.header("content-md5")
        if cmd5 is not None:
            try:
                want = base64.b64decode(cmd5, validate=True)
            except ValueError:
                want = b""
            if len(want) != 16:
                raise AwsError(400, "InvalidDigest", "The Content-MD5 you "
                               "specified was invalid.", fields={"Content-MD5": cmd5})
            if want != md5:
                raise AwsError(400, "BadDigest", "The Content-MD5 you specified "
                               "did not match what we received.",
                               fields={"ExpectedDigest": cmd5,
                                       "CalculatedDigest": base64.b64encode(md5).decode()})
        old = self._object(req)
        inm = req.header("if-none-match")
        if inm is not None:
            if inm.strip() != "*":
                raise not_implemented("s3", "If-None-Match other than *")
            if old is not None:
                raise self._precondition("If-None-Match")
        self._check_if_match(req, old)
        okey = _okey(req.key)
        blob = okey[:-5] + "." + uuid.uuid4().hex + ".bin"
        self.store.write_bytes(req.body, "s3", req.bucket, "o", blob)
        etag = '"' + md5.hex() + '"'
        meta = {"key": req.key, "etag": etag, "size": len(req.body),
                "last_modified": _now(), "blob": blob,
                "headers": {h: req.header(h) for h in _KEEP_HEADERS
                            if req.header(h) is not None},
                "meta": {k: v[0] for k, v in req.headers.items()
                         if k.startswith("x-amz-meta-")}}
        meta["headers"].setdefault("content-type", "binary/octet-stream")
        self.store.write_json(meta, "s3", req.bucket, "o", okey)
        if old is not None:
            self.store.remove("s3", req.bucket, "o", old["blob"])
        return 200, [("ETag", etag)], b""

    def _object_headers(self, obj):
        h = [("ETag", obj["etag"]), ("Last-Modified", _http_date(obj["last_modified"])),
             ("Accept-Ranges", "bytes")]
        h += [(k.title(), v) for k, v in sorted(obj["headers"].items())]
        h += sorted(obj["meta"].items())
        return h

    def _get(self, req, head):
        self._bucket(req)
        obj = self._object(req)
        if obj is None:
            raise self._no_such_key(req)
        im = req.header("if-match")
        if im is not None and "*" not in _etags(im) and \
                obj["etag"].strip('"') not in _etags(im):
            raise self._precondition("If-Match")
        inm = req.header("if-none-match")
        if inm is not None and ("*" in _etags(inm) or
                                obj["etag"].strip('"') in _etags(inm)):
            return 304, [("ETag", obj["etag"]),
                         ("Last-Modified", _http_date(obj["last_modified"]))], b""
        headers = self._object_headers(obj)
        if head:
            return 200, headers + [("Content-Length", str(obj["size"]))], None
        data = self.store.read_bytes("s3", req.bucket, "o", obj["blob"]) or b""
        rng = req.header("range")
        m = re.match(r"^bytes=(\d*)-(\d*)$", rng.strip()) if rng else None
        if m and (m.group(1) or m.group(2)):  # one range; others: the whole object
            size = len(data)
            if m.group(1):
                first = int(m.group(1))
                last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                first, last = max(size - int(m.group(2)), 0), size - 1
            if first >= size or first > last:
                raise AwsError(416, "InvalidRange", "The requested range is not "
                               "satisfiable", fields={"RangeRequested": rng,
                                                      "ActualObjectSize": size})
            return 206, headers + [("Content-Range", f"bytes {first}-{last}/{size}")], \
                data[first:last + 1]
        return 200, headers, data

    def GetObject(self, req):
        return self._get(req, False)

    def HeadObject(self, req):
        return self._get(req, True)

    def DeleteObject(self, req):
        self._bucket(req)
        obj = self._object(req)
        self._check_if_match(req, obj)
        if obj is not None:
            self.store.remove("s3", req.bucket, "o", _okey(req.key))
            self.store.remove("s3", req.bucket, "o", obj["blob"])
        return 204, [], b""

    # ------------------------------------------------------------ seeding
    def seed_bucket(self, name, account, region):
        if not valid_bucket_name(name):
            raise ValueError(f"invalid bucket name: {name}")
        if self.store.read_json("s3", name, "bucket.json") is None:
            self.store.write_json({"name": name, "region": region, "account": account,
                                   "created": _now()}, "s3", name, "bucket.json")

    def summary(self):
        out = {}
        for name in self.store.listdir("s3"):
            b = self.store.read_json("s3", name, "bucket.json")
            if b is None:
                continue
            objs = {}
            for n in self.store.listdir("s3", name, "o"):
                if n.endswith(".json"):
                    o = self.store.read_json("s3", name, "o", n)
                    if o:
                        objs[o["key"]] = {"etag": o["etag"], "size": o["size"]}
            out[name] = {"region": b["region"], "account": b["account"],
                         "objects": objs}
        return out
