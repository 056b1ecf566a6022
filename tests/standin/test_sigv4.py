"""SigV4 verification: botocore-signed requests accepted, every kind of bad
one refused with the error the service returns."""

import datetime
import hashlib
import json
import os
import tempfile
import unittest

import standin_testutil as u
from awsstandin import errors, sigv4

CREDS = {u.AK: {"secret": u.SK, "token": None, "account": u.ACCOUNT},
         "AKIDTOKEN": {"secret": "s2", "token": "tok", "account": "111111111111"}}


def headers_of(h):
    out = {}
    for k, v in h.items():
        out.setdefault(k.lower(), []).append(v)
    return out


def check(method, target, service, body=b"", headers=None, now=None, creds=CREDS,
          expect_service=None, mutate=None, **kw):
    t, h = u.sign(method, target.split("?")[0], service, body, headers, port=4566,
                  query=target.partition("?")[2], **kw)
    hh = headers_of(h)
    if mutate:
        mutate(hh)
    path, _, query = t.partition("?")
    return sigv4.verify(method, path, query, hh, body, expect_service or service,
                        creds, now=now)


class TestVerify(unittest.TestCase):
    def test_good_signatures(self):
        ident = check("GET", "/2015-03-31/functions/acme-hello", "lambda")
        self.assertEqual((ident.access_key, ident.account, ident.region),
                         (u.AK, u.ACCOUNT, "us-east-1"))
        check("PUT", "/bucket/a/b%20c.txt", "s3", b"data")
        check("POST", "/", "states", b"{}", {"X-Amz-Target": "AWSStepFunctions.X",
                                             "Content-Type": "application/x-amz-json-1.0"})

    def test_arn_in_path_is_double_encoded_like_botocore(self):
        check("GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000"
              "%3Afunction%3Aacme-hello", "lambda")

    def test_query_is_canonicalised(self):
        check("GET", "/2015-03-31/functions/f?Qualifier=1&Marker=a%20b", "lambda")
        check("GET", "/bucket?list-type=2&prefix=a%2Fb&encoding-type=url", "s3")

    def test_session_token(self):
        check("GET", "/bucket/k", "s3", ak="AKIDTOKEN", sk="s2", token="tok")
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("GET", "/bucket/k", "s3", ak="AKIDTOKEN", sk="s2", token="other")
        self.assertEqual(c.exception.kind, "bad_token")

    def test_wrong_secret(self):
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("GET", "/bucket/k", "s3", sk="wrong")
        self.assertEqual(c.exception.kind, "bad_signature")
        self.assertIn("GET\n/bucket/k", c.exception.info["canonical_request"])

    def test_unknown_key(self):
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("GET", "/bucket/k", "s3", ak="AKIDNOBODY")
        self.assertEqual(c.exception.kind, "unknown_key")

    def test_stale_and_future_dates(self):
        now = datetime.datetime.utcnow()
        for delta in (16, -16):
            with self.assertRaises(sigv4.AuthFailure) as c:
                check("GET", "/bucket/k", "s3",
                      when=now - datetime.timedelta(minutes=delta))
            self.assertEqual(c.exception.kind, "skewed")
        check("GET", "/bucket/k", "s3", when=now - datetime.timedelta(minutes=14))

    def test_tampered_request(self):
        def change_date(h):
            h["x-amz-date"] = [h["x-amz-date"][0][:-3] + "00Z"]
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("GET", "/bucket/k", "s3", mutate=change_date,
                  when=datetime.datetime.utcnow().replace(second=30))
        self.assertEqual(c.exception.kind, "bad_signature")

    def test_s3_body_must_match_content_sha256(self):
        t, h = u.sign("PUT", "/bucket/k", "s3", b"good", port=4566)
        with self.assertRaises(sigv4.AuthFailure) as c:
            sigv4.verify("PUT", "/bucket/k", "", headers_of(h), b"evil", "s3", CREDS)
        self.assertEqual(c.exception.kind, "sha_mismatch")
        self.assertEqual(c.exception.info["computed"], hashlib.sha256(b"evil").hexdigest())

    def test_lambda_body_is_signed(self):
        t, h = u.sign("PUT", "/2015-03-31/functions/f/code", "lambda", b'{"a":1}', port=4566)
        with self.assertRaises(sigv4.AuthFailure) as c:
            sigv4.verify("PUT", "/2015-03-31/functions/f/code", "", headers_of(h),
                         b'{"a":2}', "lambda", CREDS)
        self.assertEqual(c.exception.kind, "bad_signature")

    def test_unsigned_payload_only_for_s3(self):
        check("PUT", "/bucket/k", "s3", b"x",
              mutate=None, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})

    def test_streaming_payload_refused(self):
        def streaming(h):
            h["x-amz-content-sha256"] = ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD"]
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("PUT", "/bucket/k", "s3", b"x", mutate=streaming)
        self.assertEqual(c.exception.kind, "unsupported")

    def test_s3_needs_content_sha256(self):
        def drop(h):
            del h["x-amz-content-sha256"]
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("GET", "/bucket/k", "s3", mutate=drop)
        self.assertEqual(c.exception.kind, "sha_missing")

    def test_scope_must_name_the_protocols_service(self):
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("GET", "/2015-03-31/functions/f", "s3", expect_service="lambda")
        self.assertEqual(c.exception.kind, "wrong_service")

    def test_missing_and_malformed(self):
        with self.assertRaises(sigv4.AuthFailure) as c:
            sigv4.verify("GET", "/b/k", "", {}, b"", "s3", CREDS)
        self.assertEqual(c.exception.kind, "missing")
        for bad in ("AWS4-HMAC-SHA256 Credential=x", "Basic abc",
                    f"AWS4-HMAC-SHA256 Credential={u.AK}/20200101/us-east-1/s3/aws4_request,"
                    " SignedHeaders=x-amz-date;host, Signature=" + "0" * 64):
            with self.assertRaises(sigv4.AuthFailure) as c:
                sigv4.verify("GET", "/b/k", "", {"authorization": [bad]}, b"", "s3", CREDS)
            self.assertEqual(c.exception.kind, "malformed", bad)

    def test_host_must_be_signed(self):
        def unsign_host(h):
            h["authorization"] = [h["authorization"][0].replace("SignedHeaders=host;",
                                                                "SignedHeaders=")]
        with self.assertRaises(sigv4.AuthFailure) as c:
            check("GET", "/bucket/k", "s3", mutate=unsign_host)
        self.assertEqual(c.exception.kind, "malformed")


class TestErrorShapes(unittest.TestCase):
    def shape(self, service, kind, **info):
        e = sigv4.auth_error(service, sigv4.AuthFailure(kind, "m", **info))
        return errors.render(service, e, "RID")

    def test_s3(self):
        for kind, status, code in (("bad_signature", 403, "SignatureDoesNotMatch"),
                                   ("unknown_key", 403, "InvalidAccessKeyId"),
                                   ("skewed", 403, "RequestTimeTooSkewed"),
                                   ("sha_mismatch", 400, "XAmzContentSHA256Mismatch"),
                                   ("missing", 403, "AccessDenied")):
            s, h, b = self.shape("s3", kind)
            self.assertEqual(s, status)
            self.assertIn(f"<Code>{code}</Code>".encode(), b)
            self.assertIn(("Content-Type", "application/xml"), h)

    def test_json_services(self):
        for service in ("lambda", "states"):
            for kind, status, code in (
                    ("bad_signature", 403, "InvalidSignatureException"),
                    ("unknown_key", 403, "UnrecognizedClientException"),
                    ("skewed", 403, "InvalidSignatureException"),
                    ("missing", 403, "MissingAuthenticationTokenException")):
                s, h, b = self.shape(service, kind, request_time="20200101T000000Z",
                                     server_time="20200101T010000Z")
                self.assertEqual(s, status)
                self.assertEqual(json.loads(b)["__type"], code)
                self.assertIn(("x-amzn-ErrorType", code), h)

    def test_skew_message(self):
        _, _, b = self.shape("lambda", "skewed", request_time="20200101T000000Z",
                             server_time="20200101T010000Z")
        self.assertIn("Signature expired", json.loads(b)["message"])


class TestCredentialsFile(unittest.TestCase):
    def test_profiles(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n"
                    "[other]\naws_access_key_id=A2\naws_secret_access_key=S2\n"
                    "aws_session_token=T\naws_account_id=123456789012\n[empty]\n")
        try:
            c = sigv4.load_credentials(f.name, "000000000000")
        finally:
            os.unlink(f.name)
        self.assertEqual(c["A1"], {"secret": "S1", "token": None, "account": "000000000000"})
        self.assertEqual(c["A2"]["account"], "123456789012")
        self.assertEqual(c["A2"]["token"], "T")

    def test_no_keys(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("[default]\nregion = us-east-1\n")
        try:
            with self.assertRaises(ValueError):
                sigv4.load_credentials(f.name, "000000000000")
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
