#!/usr/bin/env python3
"""Write the cross-check requests: tests/sigv4/requests/NAME/{request.txt,context.json}.

Each request is shaped like a call the deployer makes: S3 PutObject /
GetObject / DeleteObject on the lock and release objects (If-None-Match,
If-Match, UNSIGNED-PAYLOAD or a signed body), Lambda GetFunction /
UpdateFunctionCode / ListTags / PublishVersion (REST JSON), Step Functions
DescribeStateMachine / UpdateStateMachine / ListTagsForResource (JSON 1.0
with X-Amz-Target). A name ending in -presign is signed in the query form.
tests/sigv4/cross_check.sh signs each with `stepdeploy sign` and with the
peer (@smithy/signature-v4, ../shared/peers/sign.js) and compares.

    python3 tests/sigv4/gen_requests.py      (rewrites tests/sigv4/requests/)
"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "requests")

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = ("IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJGMEQCIEXAMPLE+"
         "token/with+slashes=and=padding==")
WHEN = "2026-11-25T12:00:00Z"
ACCOUNT = "000000000000"
BUCKET_HOST = "deploy-bucket.s3.us-east-1.amazonaws.com"
LAMBDA_HOST = "lambda.us-east-1.amazonaws.com"
STATES_HOST = "states.us-east-1.amazonaws.com"
FN_ARN = "arn:aws:lambda:us-east-1:%s:function:acme-hello" % ACCOUNT
FN_ARN_ENC = FN_ARN.replace(":", "%3A")
SM_ARN = "arn:aws:states:us-east-1:%s:stateMachine:acme-hello" % ACCOUNT
LOCK = "/acme/hello/production/lock"
LOCK_BODY = json.dumps({"release_id": "r-2026-11-25-001", "holder": "uploader@build-1",
                        "expires_at": "2026-11-25T12:15:00Z"}, separators=(",", ":"))
ETAG = '"9b2cf535f27731c974343645a3985328"'
DEFINITION = json.dumps({"StartAt": "Hello", "States": {"Hello": {
    "Type": "Task", "Resource": FN_ARN, "End": True}}}, separators=(",", ":"))


def case(name, method, host, path, headers=(), body=b"", query=None, service="s3",
         region="us-east-1", when=WHEN, token=None, sign_body=False,
         unsigned_payload=False, content_length=None):
    if isinstance(body, str):
        body = body.encode("utf-8")
    target = path + ("?" + query if query is not None else "")
    lines = ["%s %s HTTP/1.1" % (method, target), "Host:" + host]
    for n, v in headers:
        lines.append("%s:%s" % (n, v))
    if content_length or (content_length is None and body):
        lines.append("Content-Length:%d" % len(body))
    raw = ("\n".join(lines) + "\n").encode("utf-8")
    if body:
        raw += b"\n" + body
    ctx = {"credentials": {"access_key_id": AKID, "secret_access_key": SECRET},
           "region": region, "service": service, "timestamp": when,
           "expiration_in_seconds": 3600}
    if token:
        ctx["credentials"]["token"] = token
    if sign_body:
        ctx["sign_body"] = True
    if unsigned_payload:
        ctx["unsigned_payload"] = True
    d = os.path.join(OUT, name)
    os.makedirs(d)
    with open(os.path.join(d, "request.txt"), "wb") as f:
        f.write(raw)
    with open(os.path.join(d, "context.json"), "w") as f:
        json.dump(ctx, f, indent=4, sort_keys=True)
        f.write("\n")


def lam(name, method, path, **kw):
    kw.setdefault("service", "lambda")
    case(name, method, kw.pop("host", LAMBDA_HOST), path, **kw)


def sfn(name, action, payload, headers=None, **kw):
    h = headers if headers is not None else [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", "AWSStepFunctions." + action)]
    case(name, "POST", kw.pop("host", STATES_HOST), "/", headers=h,
         body=json.dumps(payload, separators=(",", ":")), service="states", **kw)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    js = [("Content-Type", "application/json")]

    # ---- S3: the lock, the release objects (service s3: no normalisation,
    # the path encoded once, x-amz-content-sha256 always sent).
    case("s3-put-lock-if-none-match", "PUT", BUCKET_HOST, LOCK, js + [("If-None-Match", "*")],
         LOCK_BODY, unsigned_payload=True)
    case("s3-put-lock-signed-body", "PUT", BUCKET_HOST, LOCK, js + [("If-None-Match", "*")],
         LOCK_BODY, sign_body=True)
    case("s3-put-lock-takeover-if-match", "PUT", BUCKET_HOST, LOCK, js + [("If-Match", ETAG)],
         LOCK_BODY, sign_body=True)
    case("s3-get-lock", "GET", BUCKET_HOST, LOCK, unsigned_payload=True)
    case("s3-get-lock-if-none-match", "GET", BUCKET_HOST, LOCK, [("If-None-Match", ETAG)],
         sign_body=True)
    case("s3-delete-lock-if-match", "DELETE", BUCKET_HOST, LOCK, [("If-Match", ETAG)],
         unsigned_payload=True)
    case("s3-put-release-json", "PUT", BUCKET_HOST,
         "/acme/hello/production/r-2026-11-25-001/release.json", js,
         json.dumps({"release_id": "r-2026-11-25-001", "project_name": "acme/hello"}),
         sign_body=True)
    case("s3-put-lambda-zip", "PUT", BUCKET_HOST,
         "/acme/hello/production/r-2026-11-25-001/lambda.zip",
         [("Content-Type", "application/zip")], b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe",
         unsigned_payload=True)
    case("s3-key-with-escapes", "PUT", BUCKET_HOST,
         "/acme/hello/my%20file%2Bv%3D1%21%28x%29.txt", [("Content-Type", "text/plain")],
         "hello", unsigned_payload=True)
    case("s3-path-style", "GET", "s3.us-east-1.amazonaws.com", "/deploy-bucket" + LOCK,
         unsigned_payload=True)
    case("s3-put-lock-session-token", "PUT", BUCKET_HOST, LOCK,
         js + [("If-None-Match", "*")], LOCK_BODY, unsigned_payload=True, token=TOKEN)
    case("s3-get-version", "GET", BUCKET_HOST, LOCK,
         query="versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", sign_body=True)
    case("s3-list-objects-v2", "GET", BUCKET_HOST, "/",
         query="list-type=2&prefix=acme%2Fhello%2F&delimiter=%2F&max-keys=100", sign_body=True)
    case("s3-get-eu-west-1", "GET", "deploy-bucket.s3.eu-west-1.amazonaws.com", LOCK,
         region="eu-west-1", unsigned_payload=True)
    case("s3-get-result-presign", "GET", BUCKET_HOST,
         "/acme/hello/production/r-2026-11-25-001/result.json")

    # ---- Lambda (REST JSON; the ARN in the path is encoded on the wire,
    # and encoded again for the signature).
    lam("lambda-get-function", "GET", "/2015-03-31/functions/acme-hello")
    lam("lambda-get-function-arn", "GET", "/2015-03-31/functions/" + FN_ARN_ENC)
    lam("lambda-get-function-qualifier", "GET", "/2015-03-31/functions/acme-hello",
        query="Qualifier=%24LATEST")
    lam("lambda-update-function-code", "PUT", "/2015-03-31/functions/acme-hello/code",
        headers=js, body=json.dumps({"S3Bucket": "deploy-bucket",
                                     "S3Key": "acme/hello/production/r-2026-11-25-001/lambda.zip",
                                     "RevisionId": "abc", "Publish": False}))
    lam("lambda-update-function-code-token", "PUT",
        "/2015-03-31/functions/" + FN_ARN_ENC + "/code", headers=js,
        body=json.dumps({"S3Bucket": "deploy-bucket", "S3Key": "k"}), token=TOKEN)
    lam("lambda-list-tags", "GET", "/2017-03-31/tags/" + FN_ARN_ENC)
    lam("lambda-publish-version", "POST", "/2015-03-31/functions/acme-hello/versions",
        headers=js, body=json.dumps({"CodeSha256": "n5Yk9mXvTqJQ4z0Zc3pXh2oWk1Q5b8Yy3uJ0eE9Zr0A=",
                                     "Description": "r-2026-11-25-001"}))
    lam("lambda-get-function-configuration", "GET",
        "/2015-03-31/functions/acme-hello/configuration",
        headers=[("X-Amz-User-Agent", "stepdeploy/0.1"), ("Accept", "application/json")])
    lam("lambda-get-function-eu-west-1", "GET", "/2015-03-31/functions/acme-hello",
        host="lambda.eu-west-1.amazonaws.com", region="eu-west-1", when="2027-01-01T00:00:00Z")
    lam("lambda-get-function-presign", "GET", "/2015-03-31/functions/acme-hello",
        query="Qualifier=1")
    lam("lambda-update-code-repeated-header", "PUT", "/2015-03-31/functions/acme-hello/code",
        headers=js + [("X-Deploy-Tag", "release"), ("X-Deploy-Tag", "r-2026-11-25-001")],
        body=json.dumps({"ZipFile": "UEsDBBQAAAAIAA=="}))

    # ---- Step Functions (JSON 1.0, POST /, the action in X-Amz-Target).
    sfn("states-describe-state-machine", "DescribeStateMachine", {"stateMachineArn": SM_ARN})
    sfn("states-update-state-machine", "UpdateStateMachine",
        {"stateMachineArn": SM_ARN, "definition": DEFINITION, "publish": False})
    sfn("states-list-tags-for-resource", "ListTagsForResource", {"resourceArn": SM_ARN})
    sfn("states-describe-session-token", "DescribeStateMachine", {"stateMachineArn": SM_ARN},
        token=TOKEN)
    sfn("states-update-header-spacing", "UpdateStateMachine",
        {"stateMachineArn": SM_ARN, "definition": DEFINITION},
        headers=[("content-type", "  application/x-amz-json-1.0 "),
                 ("X-AMZ-TARGET", "\tAWSStepFunctions.UpdateStateMachine   ")])
    sfn("states-describe-leap-day", "DescribeStateMachine", {"stateMachineArn": SM_ARN},
        when="2028-02-29T23:59:59Z")


if __name__ == "__main__":
    main()
