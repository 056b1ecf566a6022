"""Lambda through botocore's client."""

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request

import botocore.exceptions

import standin_testutil as u

ZIP_A = u.make_zip("a")
ZIP_B = u.make_zip("b")


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class TestLambda(u.StandinCase):
    app_kw = {"update_delay": 0.3}

    def setUp(self):
        super().setUp()
        self.st.seed(functions=[{"name": "acme-hello",
                                 "zip_base64": base64.b64encode(ZIP_A).decode(),
                                 "tags": {"ProjectName": "acme/hello",
                                          "ConfigName": "production",
                                          "DeployWith": "stepdeploy"},
                                 "aliases": ["live"]}],
                     buckets=["acme-stepdeploy"])
        self.lam = self.st.client("lambda")

    def err(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as c:
            fn(**kw)
        return c.exception.response

    def wait_successful(self, name="acme-hello", limit=10):
        deadline = time.time() + limit
        while time.time() < deadline:
            c = self.lam.get_function_configuration(FunctionName=name)
            if c["LastUpdateStatus"] == "Successful":
                return c
            time.sleep(0.05)
        self.fail("update never finished")

    def test_get_function(self):
        r = self.lam.get_function(FunctionName="acme-hello")
        c = r["Configuration"]
        self.assertEqual(c["CodeSha256"], b64sha(ZIP_A))
        self.assertEqual((c["State"], c["LastUpdateStatus"], c["Version"]),
                         ("Active", "Successful", "$LATEST"))
        self.assertEqual(c["FunctionArn"], u.FN_ARN)
        self.assertTrue(c["RevisionId"])
        self.assertEqual(r["Tags"]["DeployWith"], "stepdeploy")
        with urllib.request.urlopen(r["Code"]["Location"], timeout=10) as f:
            self.assertEqual(f.read(), ZIP_A)
        bad = r["Code"]["Location"].replace("token=", "token=00")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(bad, timeout=10)
        self.assertEqual(e.exception.code, 403)
        for name in (u.FN_ARN, "000000000000:function:acme-hello"):
            self.assertEqual(self.lam.get_function(FunctionName=name)
                             ["Configuration"]["FunctionName"], "acme-hello")

    def test_not_found(self):
        for fn in (self.lam.get_function, self.lam.get_function_configuration,
                   self.lam.list_versions_by_function):
            e = self.err(fn, FunctionName="nope")
            self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
            self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], 404)
        e = self.err(self.lam.list_tags,
                     Resource=u.FN_ARN.replace("acme-hello", "nope"))
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
        e = self.err(self.lam.get_function, FunctionName="acme-hello", Qualifier="7")
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
        # another region's function does not exist here
        e = self.err(self.lam.get_function,
                     FunctionName=u.FN_ARN.replace("us-east-1", "eu-west-1"))
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")

    def test_update_zip_in_progress_then_successful(self):
        before = self.lam.get_function_configuration(FunctionName="acme-hello")
        r = self.lam.update_function_code(FunctionName="acme-hello", ZipFile=ZIP_B)
        self.assertEqual(r["LastUpdateStatus"], "InProgress")
        self.assertEqual(r["CodeSha256"], b64sha(ZIP_B))
        self.assertNotEqual(r["RevisionId"], before["RevisionId"])
        e = self.err(self.lam.update_function_code, FunctionName="acme-hello",
                     ZipFile=ZIP_A)
        self.assertEqual(e["Error"]["Code"], "ResourceConflictException")
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], 409)
        done = self.wait_successful()
        self.assertEqual(done["CodeSha256"], b64sha(ZIP_B))
        self.assertNotEqual(done["RevisionId"], r["RevisionId"])  # as Lambda does

    def test_update_delay_is_configurable_and_survives_restart(self):
        self.st.control("POST", "config", {"lambda_update_delay": 60})
        self.lam.update_function_code(FunctionName="acme-hello", ZipFile=ZIP_B)
        self.restart(update_delay=None)
        lam = self.st.client("lambda")
        c = lam.get_function_configuration(FunctionName="acme-hello")
        self.assertEqual((c["LastUpdateStatus"], c["CodeSha256"]),
                         ("InProgress", b64sha(ZIP_B)))

    def test_update_from_s3(self):
        s3 = self.st.client("s3")
        s3.put_object(Bucket="acme-stepdeploy", Key="r1/lambda.zip", Body=ZIP_B)
        r = self.lam.update_function_code(FunctionName="acme-hello",
                                          S3Bucket="acme-stepdeploy",
                                          S3Key="r1/lambda.zip")
        self.assertEqual(r["CodeSha256"], b64sha(ZIP_B))
        self.wait_successful()
        e = self.err(self.lam.update_function_code, FunctionName="acme-hello",
                     S3Bucket="acme-stepdeploy", S3Key="missing.zip")
        self.assertEqual(e["Error"]["Code"], "InvalidParameterValueException")

    def test_update_rejects_bad_zip_and_revision(self):
        e = self.err(self.lam.update_function_code, FunctionName="acme-hello",
                     ZipFile=b"not a zip")
        self.assertEqual(e["Error"]["Code"], "InvalidParameterValueException")
        e = self.err(self.lam.update_function_code, FunctionName="acme-hello",
                     ZipFile=ZIP_B, RevisionId="stale")
        self.assertEqual(e["Error"]["Code"], "PreconditionFailedException")
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], 412)
        rev = self.lam.get_function(FunctionName="acme-hello")["Configuration"]["RevisionId"]
        self.lam.update_function_code(FunctionName="acme-hello", ZipFile=ZIP_B,
                                      RevisionId=rev)

    def test_dry_run_changes_nothing(self):
        self.lam.update_function_code(FunctionName="acme-hello", ZipFile=ZIP_B, DryRun=True)
        c = self.lam.get_function_configuration(FunctionName="acme-hello")
        self.assertEqual((c["CodeSha256"], c["LastUpdateStatus"]),
                         (b64sha(ZIP_A), "Successful"))

    def test_publish_and_list_versions(self):
        # the seed published version 1 for the alias
        v = self.lam.publish_version(FunctionName="acme-hello")
        self.assertEqual(v["Version"], "1")  # nothing changed: the same version
        self.lam.update_function_code(FunctionName="acme-hello", ZipFile=ZIP_B)
        e = self.err(self.lam.publish_version, FunctionName="acme-hello")
        self.assertEqual(e["Error"]["Code"], "ResourceConflictException")
        c = self.wait_successful()
        e = self.err(self.lam.publish_version, FunctionName="acme-hello",
                     CodeSha256=b64sha(ZIP_A))
        self.assertEqual(e["Error"]["Code"], "InvalidParameterValueException")
        e = self.err(self.lam.publish_version, FunctionName="acme-hello",
                     RevisionId="stale")
        self.assertEqual(e["Error"]["Code"], "PreconditionFailedException")
        v = self.lam.publish_version(FunctionName="acme-hello", CodeSha256=c["CodeSha256"],
                                     RevisionId=c["RevisionId"], Description="two")
        self.assertEqual((v["Version"], v["CodeSha256"], v["Description"]),
                         ("2", b64sha(ZIP_B), "two"))
        self.assertEqual(v["FunctionArn"], u.FN_ARN + ":2")
        vs = self.lam.list_versions_by_function(FunctionName="acme-hello")["Versions"]
        self.assertEqual([x["Version"] for x in vs], ["$LATEST", "1", "2"])
        g = self.lam.get_function(FunctionName="acme-hello", Qualifier="1")
        self.assertEqual(g["Configuration"]["CodeSha256"], b64sha(ZIP_A))
        with urllib.request.urlopen(g["Code"]["Location"], timeout=10) as f:
            self.assertEqual(f.read(), ZIP_A)
        page = self.lam.list_versions_by_function(FunctionName="acme-hello", MaxItems=2)
        self.assertEqual(len(page["Versions"]), 2)
        self.assertIn("NextMarker", page)

    def test_list_tags(self):
        t = self.lam.list_tags(Resource=u.FN_ARN)["Tags"]
        self.assertEqual(t, {"ProjectName": "acme/hello", "ConfigName": "production",
                             "DeployWith": "stepdeploy"})

    def test_aliases(self):
        a = self.lam.get_alias(FunctionName="acme-hello", Name="live")
        self.assertEqual((a["FunctionVersion"], a["AliasArn"]), ("1", u.FN_ARN + ":live"))
        self.lam.update_function_code(FunctionName="acme-hello", ZipFile=ZIP_B)
        self.wait_successful()
        self.lam.publish_version(FunctionName="acme-hello")
        e = self.err(self.lam.update_alias, FunctionName="acme-hello", Name="live",
                     FunctionVersion="2", RevisionId="stale")
        self.assertEqual(e["Error"]["Code"], "PreconditionFailedException")
        a2 = self.lam.update_alias(FunctionName="acme-hello", Name="live",
                                   FunctionVersion="2", RevisionId=a["RevisionId"])
        self.assertEqual(a2["FunctionVersion"], "2")
        self.assertNotEqual(a2["RevisionId"], a["RevisionId"])
        e = self.err(self.lam.update_alias, FunctionName="acme-hello", Name="live",
                     FunctionVersion="9")
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
        e = self.err(self.lam.get_alias, FunctionName="acme-hello", Name="nope")
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
        c = self.lam.get_function_configuration(FunctionName="acme-hello", Qualifier="live")
        self.assertEqual(c["CodeSha256"], b64sha(ZIP_B))
        self.lam.create_alias(FunctionName="acme-hello", Name="blue", FunctionVersion="1")
        names = [x["Name"] for x in self.lam.list_aliases(FunctionName="acme-hello")["Aliases"]]
        self.assertEqual(names, ["blue", "live"])
        e = self.err(self.lam.create_alias, FunctionName="acme-hello", Name="blue",
                     FunctionVersion="1")
        self.assertEqual(e["Error"]["Code"], "ResourceConflictException")

    def test_error_shape_on_the_wire(self):
        s, h, b = u.signed(self.st, "GET", "/2015-03-31/functions/nope", "lambda")
        self.assertEqual(s, 404)
        self.assertEqual(h["x-amzn-errortype"], "ResourceNotFoundException")
        self.assertEqual(json.loads(b)["Type"], "User")
        self.assertIn("Function not found", json.loads(b)["Message"])
        s, h, b = u.signed(self.st, "PUT", "/2015-03-31/functions/acme-hello/code",
                           "lambda", b"{not json")
        self.assertEqual(h["x-amzn-errortype"], "InvalidRequestContentException")

    def test_seed_cli_parser(self):
        from awsstandin import seed
        d, spec = seed.parse_args(["--dir", "D", "--function", "f", "--zip", "z",
                                   "--tag", "A=1", "--alias", "live",
                                   "--state-machine", "m", "--definition", "x.json",
                                   "--tag", "B=2", "--bucket", "b"])
        self.assertEqual(d, "D")
        self.assertEqual(spec["functions"], [{"name": "f", "zip_file": "z",
                                              "tags": {"A": "1"}, "aliases": ["live"]}])
        self.assertEqual(spec["state_machines"], [{"name": "m", "definition_file": "x.json",
                                                   "tags": {"B": "2"}}])
        for bad in (["--dir", "D", "--tag", "A=1"], ["--function", "f"],
                    ["--dir", "D", "--state-machine", "m", "--zip", "z"],
                    ["--dir", "D", "--function", "f", "--tag", "novalue"]):
            with self.assertRaises(seed.SeedError):
                seed.parse_args(bad)


if __name__ == "__main__":
    import unittest
    unittest.main()
