"""S3 through botocore's client and botocore-signed raw requests."""

import base64
import hashlib
import unittest

import botocore.exceptions

import standin_testutil as u


class TestS3(u.StandinCase):
    def setUp(self):
        super().setUp()
        self.s3 = self.st.client("s3")
        self.s3.create_bucket(Bucket="acme-stepdeploy")

    def err(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as c:
            fn(**kw)
        return c.exception.response

    def put(self, key, body, headers=None, method="PUT", host=None, path=None):
        return u.signed(self.st, method, path or f"/acme-stepdeploy/{key}", "s3", body,
                        headers, host=host)

    def test_put_get_head_delete(self):
        r = self.s3.put_object(Bucket="acme-stepdeploy", Key="p/c/r1/release.json",
                               Body=b'{"a":1}', ContentType="application/json",
                               Metadata={"who": "ci"})
        etag = '"' + hashlib.md5(b'{"a":1}').hexdigest() + '"'
        self.assertEqual(r["ETag"], etag)
        g = self.s3.get_object(Bucket="acme-stepdeploy", Key="p/c/r1/release.json")
        self.assertEqual(g["Body"].read(), b'{"a":1}')
        self.assertEqual((g["ETag"], g["ContentType"], g["Metadata"]),
                         (etag, "application/json", {"who": "ci"}))
        h = self.s3.head_object(Bucket="acme-stepdeploy", Key="p/c/r1/release.json")
        self.assertEqual((h["ContentLength"], h["ETag"]), (7, etag))
        self.s3.delete_object(Bucket="acme-stepdeploy", Key="p/c/r1/release.json")
        e = self.err(self.s3.get_object, Bucket="acme-stepdeploy", Key="p/c/r1/release.json")
        self.assertEqual(e["Error"]["Code"], "NoSuchKey")
        e = self.err(self.s3.head_object, Bucket="acme-stepdeploy", Key="p/c/r1/release.json")
        self.assertEqual(e["Error"]["Code"], "404")
        # deleting a missing key is not an error
        self.s3.delete_object(Bucket="acme-stepdeploy", Key="p/c/r1/release.json")

    def test_odd_keys(self):
        for key in ("a b/c+d=e&f.txt", "ü/ä.zip", "x%2Fy"):
            self.s3.put_object(Bucket="acme-stepdeploy", Key=key, Body=b"1")
            self.assertEqual(self.s3.get_object(Bucket="acme-stepdeploy",
                                                Key=key)["Body"].read(), b"1")
        keys = [o["Key"] for o in
                self.s3.list_objects_v2(Bucket="acme-stepdeploy")["Contents"]]
        self.assertEqual(sorted(keys), sorted(["a b/c+d=e&f.txt", "ü/ä.zip", "x%2Fy"]))

    def test_no_such_bucket(self):
        e = self.err(self.s3.get_object, Bucket="nope-bucket", Key="k")
        self.assertEqual(e["Error"]["Code"], "NoSuchBucket")
        e = self.err(self.s3.put_object, Bucket="nope-bucket", Key="k", Body=b"")
        self.assertEqual(e["Error"]["Code"], "NoSuchBucket")

    def test_create_bucket(self):
        self.s3.create_bucket(Bucket="acme-stepdeploy")  # us-east-1: yours again, 200
        e = self.err(self.s3.create_bucket, Bucket="Bad_Name")
        self.assertEqual(e["Error"]["Code"], "InvalidBucketName")
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertEqual(names, ["acme-stepdeploy"])

    def test_if_none_match_creates_only(self):
        s, h, _ = self.put("lock", b"one", {"If-None-Match": "*"})
        self.assertEqual(s, 200)
        etag = h["etag"]
        s, _, b = self.put("lock", b"two", {"If-None-Match": "*"})
        self.assertEqual(s, 412)
        self.assertIn(b"<Code>PreconditionFailed</Code>", b)
        self.assertIn(b"<Condition>If-None-Match</Condition>", b)
        g = self.s3.get_object(Bucket="acme-stepdeploy", Key="lock")
        self.assertEqual((g["Body"].read(), g["ETag"]), (b"one", etag))
        s, _, b = self.put("lock", b"two", {"If-None-Match": '"abc"'})
        self.assertEqual(s, 501)

    def test_racing_creates_exactly_one_wins(self):
        import threading
        results = []

        def take(i):
            results.append(self.put("race-lock", f"holder {i}".encode(),
                                    {"If-None-Match": "*"})[0])
        threads = [threading.Thread(target=take, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(sorted(results), [200] + [412] * 11)

    def test_if_match_put(self):
        _, h, _ = self.put("lock", b"one")
        s, _, b = self.put("lock", b"two", {"If-Match": '"0123"'})
        self.assertEqual(s, 412)
        self.assertIn(b"<Condition>If-Match</Condition>", b)
        s, h2, _ = self.put("lock", b"two", {"If-Match": h["etag"]})
        self.assertEqual(s, 200)
        self.assertNotEqual(h2["etag"], h["etag"])
        s, _, b = self.put("missing", b"x", {"If-Match": h["etag"]})
        self.assertEqual(s, 404)
        self.assertIn(b"<Code>NoSuchKey</Code>", b)

    def test_if_match_delete(self):
        _, h, _ = self.put("lock", b"one")
        s, _, b = self.put("lock", b"", {"If-Match": '"ffff"'}, method="DELETE")
        self.assertEqual(s, 412)
        self.s3.head_object(Bucket="acme-stepdeploy", Key="lock")
        s, _, _ = self.put("lock", b"", {"If-Match": h["etag"]}, method="DELETE")
        self.assertEqual(s, 204)
        e = self.err(self.s3.head_object, Bucket="acme-stepdeploy", Key="lock")
        self.assertEqual(e["Error"]["Code"], "404")

    def test_conditional_get(self):
        _, h, _ = self.put("k", b"v")
        s, _, _ = self.put("k", b"", {"If-None-Match": h["etag"]}, method="GET")
        self.assertEqual(s, 304)
        s, _, _ = self.put("k", b"", {"If-Match": '"nope"'}, method="GET")
        self.assertEqual(s, 412)

    def test_range_get(self):
        self.s3.put_object(Bucket="acme-stepdeploy", Key="r", Body=b"0123456789")
        for rng, want in (("bytes=2-4", b"234"), ("bytes=7-", b"789"),
                          ("bytes=-2", b"89"), ("bytes=8-99", b"89")):
            g = self.s3.get_object(Bucket="acme-stepdeploy", Key="r", Range=rng)
            self.assertEqual(g["Body"].read(), want, rng)
            self.assertEqual(g["ResponseMetadata"]["HTTPStatusCode"], 206)
        e = self.err(self.s3.get_object, Bucket="acme-stepdeploy", Key="r",
                     Range="bytes=10-")
        self.assertEqual(e["Error"]["Code"], "InvalidRange")

    def test_content_md5(self):
        good = base64.b64encode(hashlib.md5(b"v").digest()).decode()
        self.assertEqual(self.put("k", b"v", {"Content-MD5": good})[0], 200)
        s, _, b = self.put("k", b"w", {"Content-MD5": good})
        self.assertEqual(s, 400)
        self.assertIn(b"BadDigest", b)

    def test_virtual_hosted_addressing(self):
        port = self.st.port
        for host in (f"acme-stepdeploy.s3.localhost:{port}",
                     f"acme-stepdeploy.localhost:{port}",
                     "acme-stepdeploy.s3.us-east-1.amazonaws.com"):
            s, h, _ = self.put(None, b"vh", path="/vkey", host=host)
            self.assertEqual(s, 200, host)
            s, _, b = self.put(None, b"", path="/vkey", host=host, method="GET")
            self.assertEqual((s, b), (200, b"vh"))
        self.assertEqual(self.s3.get_object(Bucket="acme-stepdeploy",
                                            Key="vkey")["Body"].read(), b"vh")

    def test_list_objects(self):
        for k in ("p/a", "p/b", "p/sub/c", "q"):
            self.s3.put_object(Bucket="acme-stepdeploy", Key=k, Body=b"")
        r = self.s3.list_objects_v2(Bucket="acme-stepdeploy", Prefix="p/", Delimiter="/")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["p/a", "p/b"])
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["p/sub/"])
        r = self.s3.list_objects_v2(Bucket="acme-stepdeploy", MaxKeys=2)
        self.assertTrue(r["IsTruncated"])
        r = self.s3.list_objects_v2(Bucket="acme-stepdeploy", MaxKeys=2,
                                    ContinuationToken=r["NextContinuationToken"])
        self.assertEqual([o["Key"] for o in r["Contents"]], ["p/sub/c", "q"])
        r = self.s3.list_objects(Bucket="acme-stepdeploy", Prefix="q")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["q"])

    def test_unimplemented_is_501(self):
        e = self.err(self.s3.get_object_tagging, Bucket="acme-stepdeploy", Key="k")
        self.assertEqual(e["Error"]["Code"], "NotImplemented")

    def test_other_region_is_redirected(self):
        # a bucket in eu-west-1, a request signed for us-east-1
        self.st.app.s3.seed_bucket("eu-bucket", u.ACCOUNT, "eu-west-1")
        s, h, b = u.signed(self.st, "GET", "/eu-bucket/k", "s3")
        self.assertEqual(s, 400)
        self.assertIn(b"<Region>eu-west-1</Region>", b)

    def test_state_survives_restart(self):
        self.s3.put_object(Bucket="acme-stepdeploy", Key="k", Body=b"kept")
        self.restart()
        s3 = self.st.client("s3")
        self.assertEqual(s3.get_object(Bucket="acme-stepdeploy", Key="k")["Body"].read(),
                         b"kept")


if __name__ == "__main__":
    unittest.main()
