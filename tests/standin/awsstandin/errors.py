"""AWS errors and how each service puts them on the wire."""

import json
from xml.sax.saxutils import escape

# Step Functions prefixes __type with the Coral namespace of the error, as
# AWS does; botocore (and any careful client) keeps what follows the '#'.
_SFN_NS = {
    "ThrottlingException": "com.amazon.coral.availability#",
    "InternalFailure": "com.amazon.coral.service#",
    "UnknownOperationException": "com.amazon.coral.service#",
    "SerializationException": "com.amazon.coral.service#",
    "AccessDeniedException": "com.amazon.coral.service#",
}
_SFN_MODEL_NS = "com.amazonaws.swf.service.v2.model#"


class AwsError(Exception):
    """An error response: HTTP status, AWS error code, message.

    fields: extra elements of S3's <Error> (in order) or extra JSON members.
    auth: an authentication error (rendered as the service's front end does).
    """

    def __init__(self, status, code, message, fields=None, headers=None,
                 auth=False, kind="User"):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields.items()) if isinstance(fields, dict) else list(fields or [])
        self.headers = list(headers or [])
        self.auth = auth
        self.kind = kind


def render(service, err, request_id, method="GET"):
    """(status, headers, body) of err as service returns it."""
    headers = list(err.headers)
    if service == "s3":
        headers += [("x-amz-request-id", request_id),
                    ("x-amz-id-2", "standin/" + request_id)]
        if method == "HEAD":  # S3 sends no body for HEAD errors
            return err.status, headers, b""
        parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
                 f"<Code>{escape(err.code)}</Code>",
                 f"<Message>{escape(err.message)}</Message>"]
        for k, v in err.fields:
            parts.append(f"<{k}>{escape(str(v))}</{k}>")
        parts.append(f"<RequestId>{request_id}</RequestId>"
                     f"<HostId>standin/{request_id}</HostId></Error>")
        headers.append(("Content-Type", "application/xml"))
        return err.status, headers, "".join(parts).encode()
    headers += [("x-amzn-RequestId", request_id),
                ("x-amzn-ErrorType", err.code)]
    if err.auth:
        obj = {"__type": err.code, "message": err.message}
    elif service == "lambda":
        obj = {"Type": err.kind, "Message": err.message}
    else:
        ns = _SFN_NS.get(err.code, _SFN_MODEL_NS)
        obj = {"__type": ns + err.code, "message": err.message}
    for k, v in err.fields:
        obj[k] = v
    ctype = "application/json" if service == "lambda" else "application/x-amz-json-1.0"
    headers.append(("Content-Type", ctype))
    return err.status, headers, json.dumps(obj).encode()


# ---------------------------------------------------------------- common errors
def internal(service):
    """The 500 each service returns for an internal error."""
    if service == "s3":
        return AwsError(500, "InternalError",
                        "We encountered an internal error. Please try again.")
    if service == "lambda":
        return AwsError(500, "ServiceException",
                        "An error occurred and the request cannot be processed.",
                        kind="Service")
    return AwsError(500, "InternalFailure",
                    "The request processing has failed because of an unknown "
                    "error, exception or failure.")


def throttle(service):
    """The throttling error each service returns."""
    if service == "s3":
        return AwsError(503, "SlowDown", "Please reduce your request rate.")
    if service == "lambda":
        return AwsError(429, "TooManyRequestsException", "Rate exceeded",
                        fields={"Reason": "CallerRateLimitExceeded"},
                        headers=[("Retry-After", "1")])
    return AwsError(400, "ThrottlingException", "Rate exceeded")


def not_implemented(service, what):
    if service == "s3":
        return AwsError(501, "NotImplemented",
                        "A header you provided implies functionality that is "
                        "not implemented", fields={"Detail": what})
    return AwsError(400 if service == "states" else 404,
                    "UnknownOperationException",
                    f"The stand-in does not implement {what}")
