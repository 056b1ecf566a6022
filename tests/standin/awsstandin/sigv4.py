"""SigV4 verification with botocore's signer (not stepdeploy's own code).

The server rebuilds the request a client signed (method, path, query, the
headers named in SignedHeaders, the payload hash) and lets botocore's
SigV4Auth / S3SigV4Auth compute the canonical request, the string to sign and
the signature from the secret it holds for the access key.
"""

import configparser
import datetime
import hashlib
import hmac
import re
from urllib.parse import unquote

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

MAX_SKEW = datetime.timedelta(minutes=15)
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_SIG_RE = re.compile(r"^[0-9a-f]{64}$")
_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")


class AuthFailure(Exception):
    """Why a request is refused; kind is one of
    missing, malformed, unknown_key, bad_token, wrong_service, skewed,
    bad_signature, sha_missing, sha_mismatch, unsupported.
    info: details for the error body (canonical request, ...)."""

    def __init__(self, kind, message, **info):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.info = info


class Identity:
    def __init__(self, access_key, account, region, service):
        self.access_key = access_key
        self.account = account
        self.region = region
        self.service = service


def load_credentials(path, default_account):
    """{access key: {secret, token, account}} from an INI credentials file
    (~/.aws/credentials format); every profile is accepted."""
    cp = configparser.RawConfigParser()
    with open(path, encoding="utf-8") as f:
        cp.read_file(f)
    out = {}
    for section in cp.sections():
        s = cp[section]
        ak = s.get("aws_access_key_id", "").strip()
        sk = s.get("aws_secret_access_key", "").strip()
        if not ak or not sk:
            continue
        out[ak] = {
            "secret": sk,
            "token": s.get("aws_session_token", "").strip() or None,
            "account": s.get("aws_account_id", "").strip() or default_account,
        }
    if not out:
        raise ValueError(f"{path}: no profile with aws_access_key_id and "
                         "aws_secret_access_key")
    return out


def parse_authorization(value):
    """(access_key, date, region, service, signed_headers, signature)."""
    if not value.startswith("AWS4-HMAC-SHA256 "):
        raise AuthFailure("malformed", "Unsupported Authorization Type")
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, sep, v = part.strip().partition("=")
        if not sep:
            raise AuthFailure("malformed",
                              f"Authorization header requires existence of "
                              f"'=' in '{part.strip()}'")
        fields[k] = v
    for need in ("Credential", "SignedHeaders", "Signature"):
        if need not in fields:
            raise AuthFailure("malformed",
                              f"Authorization header requires '{need}' parameter.")
    cred = fields["Credential"].split("/")
    if len(cred) != 5 or cred[4] != "aws4_request" or not all(cred):
        raise AuthFailure("malformed",
                          "Credential should be scoped to a valid region, "
                          "service and 'aws4_request'.")
    signed = fields["SignedHeaders"].split(";")
    if any(h != h.lower() or not h for h in signed) or signed != sorted(signed):
        raise AuthFailure("malformed", "SignedHeaders must be lower case, "
                                       "sorted and separated by ';'.")
    if not _SIG_RE.match(fields["Signature"]):
        raise AuthFailure("malformed", "Signature must be 64 hex digits.")
    return cred[0], cred[1], cred[2], cred[3], signed, fields["Signature"]


class _ServerMixin:
    """Canonicalise exactly the headers the client named in SignedHeaders
    (a server cannot guess them as a client-side signer does)."""

    signed_names = ()
    incoming = None

    def headers_to_sign(self, request):
        hm = HTTPHeaders()
        for name in self.signed_names:
            for v in self.incoming.get(name, []):
                hm[name] = v
        return hm


class _ServerSigV4(_ServerMixin, SigV4Auth):
    pass


class _ServerS3SigV4(_ServerMixin, S3SigV4Auth):
    pass


def _query_params(raw_query):
    """The query as decoded (key, value) pairs; botocore re-encodes them
    the canonical way."""
    out = []
    if raw_query:
        for pair in raw_query.split("&"):
            k, _, v = pair.partition("=")
            out.append((unquote(k), unquote(v)))
    return out


def verify(method, raw_path, raw_query, headers, body, service, creds, now=None):
    """Check a request's SigV4 signature; return its Identity.

    headers: {lower-case name: [values]}; service: the service the request's
    wire protocol belongs to ("s3", "lambda", "states"); creds: from
    load_credentials.  Raises AuthFailure.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    auth = headers.get("authorization")
    if not auth:
        if "x-amz-signature" in raw_query.lower():
            raise AuthFailure("unsupported",
                              "Query-string (presigned) authentication is not "
                              "supported by the stand-in")
        raise AuthFailure("missing", "Missing Authentication Token")
    akid, date, region, scope_service, signed, signature = \
        parse_authorization(auth[0])
    entry = creds.get(akid)
    if entry is None:
        raise AuthFailure("unknown_key",
                          "The AWS Access Key Id you provided does not exist "
                          "in our records.", access_key=akid)
    if scope_service != service:
        raise AuthFailure("wrong_service",
                          f"Credential should be scoped to correct service: "
                          f"'{service}'.", scope_service=scope_service)
    if "host" not in signed:
        raise AuthFailure("malformed", "'Host' must be a signed header.")
    amz_date = (headers.get("x-amz-date") or [""])[0]
    if not _DATE_RE.match(amz_date) or "x-amz-date" not in signed:
        raise AuthFailure("malformed",
                          "AWS authentication requires a valid, signed "
                          "x-amz-date header")
    if amz_date[:8] != date:
        raise AuthFailure("malformed",
                          f"Date in Credential scope does not match YYYYMMDD "
                          f"from ISO-8601 version of date from HTTP: "
                          f"'{date}' != '{amz_date[:8]}'")
    token = (headers.get("x-amz-security-token") or [None])[0]
    if token != entry["token"]:
        raise AuthFailure("bad_token",
                          "The security token included in the request is invalid.")
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    if abs(now - when) > MAX_SKEW:
        raise AuthFailure("skewed", "Signature expired", request_time=amz_date,
                          server_time=now.strftime("%Y%m%dT%H%M%SZ"))
    sha_header = (headers.get("x-amz-content-sha256") or [None])[0]
    if service == "s3" and sha_header is None:
        raise AuthFailure("sha_missing", "Missing required header for this "
                                         "request: x-amz-content-sha256")
    if sha_header is not None and sha_header.startswith("STREAMING-"):
        raise AuthFailure("unsupported",
                          f"x-amz-content-sha256 {sha_header} (aws-chunked "
                          "uploads) is not supported by the stand-in")

    cls = _ServerS3SigV4 if service == "s3" else _ServerSigV4
    signer = cls(Credentials(akid, entry["secret"], entry["token"]),
                 scope_service, region)
    signer.signed_names = signed
    signer.incoming = headers
    req_headers = {}
    if sha_header is not None:
        req_headers["X-Amz-Content-SHA256"] = sha_header
    host = headers["host"][0] if headers.get("host") else "localhost"
    request = AWSRequest(method=method, url=f"http://{host}{raw_path}",
                         headers=req_headers, data=body,
                         params=_query_params(raw_query))
    request.context["timestamp"] = amz_date
    canonical = signer.canonical_request(request)
    sts = signer.string_to_sign(request, canonical)
    expected = signer.signature(sts, request)
    if not hmac.compare_digest(expected, signature):
        raise AuthFailure("bad_signature",
                          "The request signature we calculated does not match "
                          "the signature you provided.",
                          access_key=akid, canonical_request=canonical,
                          string_to_sign=sts, signature_provided=signature)
    if sha_header is not None and sha_header != UNSIGNED_PAYLOAD:
        computed = hashlib.sha256(body).hexdigest()
        if computed != sha_header.lower():
            raise AuthFailure("sha_mismatch",
                              "The provided 'x-amz-content-sha256' header does "
                              "not match what was computed.",
                              client=sha_header, computed=computed)
    elif sha_header == UNSIGNED_PAYLOAD and service != "s3":
        raise AuthFailure("bad_signature", "UNSIGNED-PAYLOAD is only allowed "
                                           "for S3", access_key=akid)
    return Identity(akid, entry["account"], region, service)


def auth_error(service, failure):
    """The AwsError a service returns for an AuthFailure."""
    from .errors import AwsError
    k, msg, info = failure.kind, failure.message, failure.info
    if service == "s3":
        table = {
            "missing": (403, "AccessDenied", "Access Denied", {}),
            "malformed": (400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; " + msg, {}),
            "unknown_key": (403, "InvalidAccessKeyId", msg,
                            {"AWSAccessKeyId": info.get("access_key", "")}),
            "bad_token": (400, "InvalidToken", "The provided token is "
                          "malformed or otherwise invalid.", {}),
            "wrong_service": (400, "AuthorizationHeaderMalformed",
                              "The authorization header is malformed; "
                              f"incorrect service \"{info.get('scope_service')}\"."
                              " This endpoint belongs to \"s3\".", {}),
            "skewed": (403, "RequestTimeTooSkewed",
                       "The difference between the request time and the "
                       "current time is too large.",
                       {"RequestTime": info.get("request_time", ""),
                        "ServerTime": info.get("server_time", ""),
                        "MaxAllowedSkewMilliseconds": "900000"}),
            "bad_signature": (403, "SignatureDoesNotMatch",
                              "The request signature we calculated does not "
                              "match the signature you provided. Check your "
                              "key and signing method.",
                              {"AWSAccessKeyId": info.get("access_key", ""),
                               "StringToSign": info.get("string_to_sign", ""),
                               "SignatureProvided": info.get("signature_provided", ""),
                               "CanonicalRequest": info.get("canonical_request", "")}),
            "sha_missing": (400, "InvalidRequest", msg, {}),
            "sha_mismatch": (400, "XAmzContentSHA256Mismatch", msg,
                             {"ClientComputedContentSHA256": info.get("client", ""),
                              "S3ComputedContentSHA256": info.get("computed", "")}),
            "unsupported": (501, "NotImplemented", msg, {}),
        }
        status, code, message, fields = table[k]
        return AwsError(status, code, message, fields=fields)
    if k == "missing":
        return AwsError(403, "MissingAuthenticationTokenException", msg, auth=True)
    if k == "malformed":
        return AwsError(400, "IncompleteSignatureException", msg, auth=True)
    if k in ("unknown_key", "bad_token"):
        return AwsError(403, "UnrecognizedClientException",
                        "The security token included in the request is invalid.",
                        auth=True)
    if k == "skewed":
        return AwsError(403, "InvalidSignatureException",
                        f"Signature expired: {info['request_time']} is now "
                        f"earlier than the current time {info['server_time']} "
                        f"- 15 min.", auth=True)
    if k == "bad_signature":
        detail = ""
        if "canonical_request" in info:
            detail = ("\n\nThe Canonical String for this request should have "
                      f"been\n'{info['canonical_request']}'\n\nThe "
                      f"String-to-Sign should have been\n'{info['string_to_sign']}'\n")
        return AwsError(403, "InvalidSignatureException",
                        "The request signature we calculated does not match "
                        "the signature you provided. Check your AWS Secret "
                        "Access Key and signing method. Consult the service "
                        "documentation for details." + detail, auth=True)
    if k == "unsupported":
        return AwsError(400, "InvalidSignatureException", msg, auth=True)
    return AwsError(403, "InvalidSignatureException", msg, auth=True)
