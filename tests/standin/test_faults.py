"""Fault injection: rules, and each fault seen by botocore's clients."""

import json
import os
import threading
import time
import unittest

import botocore.exceptions

import standin_testutil as u
from awsstandin import faults


class TestRules(unittest.TestCase):
    def test_parse_errors(self):
        for bad in ({"faults": [{"fault": "boom"}]}, {"faults": [{"fault": "500", "nth": 0}]},
                    {"faults": [{"fault": "500", "bogus": 1}]}, {"nope": []},
                    [{"fault": "error", "status": 409}], [{"fault": "delay", "seconds": -1}],
                    [{"fault": "500", "when": "during"}]):
            with self.assertRaises(faults.FaultError, msg=bad):
                faults.parse_rules(bad)

    def test_nth_times_and_every(self):
        f = faults.Faults()
        f.set({"faults": [{"op": "s3:PutObject", "nth": [2, 4], "fault": "500"},
                          {"op": "GetFunction", "times": 2, "fault": "throttle"},
                          {"op": "states:*", "fault": "drop"}]})
        hits = [bool(f.match("s3", "PutObject", "/b/k")) for _ in range(5)]
        self.assertEqual(hits, [False, True, False, True, False])
        self.assertIsNone(f.match("s3", "GetObject", "/b/k"))
        hits = [bool(f.match("lambda", "GetFunction", "/x")) for _ in range(3)]
        self.assertEqual(hits, [True, True, False])
        self.assertEqual(f.match("states", "UpdateStateMachine", "/")["fault"], "drop")

    def test_path_filter_and_op_list(self):
        f = faults.Faults()
        f.set([{"op": ["PutObject", "DeleteObject"], "path": "/lock", "fault": "500"}])
        self.assertIsNone(f.match("s3", "PutObject", "/b/p/c/r/lambda.zip"))
        self.assertIsNotNone(f.match("s3", "DeleteObject", "/b/p/c/lock"))

    def test_file_is_reread(self):
        import tempfile
        d = tempfile.mkdtemp()
        path = os.path.join(d, "faults.json")
        f = faults.Faults(path)
        self.assertIsNone(f.match("s3", "PutObject", "/"))
        with open(path, "w") as fp:
            json.dump({"faults": [{"op": "PutObject", "fault": "500"}]}, fp)
        self.assertIsNotNone(f.match("s3", "PutObject", "/"))
        with open(path + ".new", "w") as fp:
            json.dump({"faults": []}, fp)
        os.replace(path + ".new", path)
        self.assertIsNone(f.match("s3", "PutObject", "/"))
        os.unlink(path)
        os.rmdir(d)


class TestFaultsOnTheWire(u.StandinCase):
    def setUp(self):
        super().setUp()
        self.st.seed(buckets=["acme-stepdeploy"],
                     functions=[{"name": "acme-hello", "zip_base64":
                                 __import__("base64").b64encode(u.make_zip()).decode()}],
                     state_machines=[{"name": "acme-hello", "definition": u.DEFINITION}])

    def fault(self, *rules):
        s, out = self.st.control("POST", "faults", {"faults": list(rules)})
        self.assertEqual(s, 200, out)
        return out

    def code(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as c:
            fn(**kw)
        r = c.exception.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]

    def calls(self, op):
        return self.st.control("GET", "calls?op=" + op)[1]["calls"]

    def test_500_per_service(self):
        self.fault({"op": "*", "fault": "500"})
        s3, lam, sf = (self.st.client(s) for s in ("s3", "lambda", "stepfunctions"))
        self.assertEqual(self.code(s3.get_object, Bucket="acme-stepdeploy", Key="k"),
                         ("InternalError", 500))
        self.assertEqual(self.code(lam.get_function, FunctionName="acme-hello"),
                         ("ServiceException", 500))
        self.assertEqual(self.code(sf.describe_state_machine, stateMachineArn=u.SM_ARN),
                         ("InternalFailure", 500))

    def test_throttle_per_service(self):
        self.fault({"op": "*", "fault": "throttle"})
        s3, lam, sf = (self.st.client(s) for s in ("s3", "lambda", "stepfunctions"))
        self.assertEqual(self.code(s3.put_object, Bucket="acme-stepdeploy", Key="k",
                                   Body=b""), ("SlowDown", 503))
        self.assertEqual(self.code(lam.get_function, FunctionName="acme-hello"),
                         ("TooManyRequestsException", 429))
        self.assertEqual(self.code(sf.describe_state_machine, stateMachineArn=u.SM_ARN),
                         ("ThrottlingException", 400))

    def test_nth_call_and_client_retry(self):
        self.fault({"op": "PutObject", "nth": 1, "fault": "throttle"})
        s3 = self.st.client("s3", retries=3)
        s3.put_object(Bucket="acme-stepdeploy", Key="k", Body=b"v")  # retried
        self.assertEqual([c["status"] for c in self.calls("PutObject")], [503, 200])

    def test_error_fault(self):
        self.fault({"op": "UpdateFunctionCode", "fault": "error", "status": 409,
                    "code": "ResourceConflictException", "message": "busy"})
        lam = self.st.client("lambda")
        self.assertEqual(self.code(lam.update_function_code, FunctionName="acme-hello",
                                   ZipFile=u.make_zip("b")),
                         ("ResourceConflictException", 409))

    def test_delay_beyond_client_timeout(self):
        self.fault({"op": "GetObject", "fault": "delay", "seconds": 3})
        s3 = self.st.client("s3", timeout=0.5)
        t0 = time.time()
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            s3.get_object(Bucket="acme-stepdeploy", Key="k")
        self.assertLess(time.time() - t0, 2.5)
        held = self.st.control("GET", "paused?kind=delay&wait=2")[1]["paused"]
        self.assertEqual(held[0]["op"], "GetObject")
        self.assertEqual(self.st.control("POST", "release", {})[1]["released"], 1)

    def test_drop_after_applies_the_operation(self):
        self.fault({"op": "PutObject", "fault": "drop"})
        s3 = self.st.client("s3")
        with self.assertRaises((botocore.exceptions.ConnectionClosedError,
                                botocore.exceptions.EndpointConnectionError)):
            s3.put_object(Bucket="acme-stepdeploy", Key="k", Body=b"applied")
        self.st.control("DELETE", "faults")
        self.assertEqual(s3.get_object(Bucket="acme-stepdeploy", Key="k")["Body"].read(),
                         b"applied")
        self.assertTrue(self.calls("PutObject")[0]["dropped"])

    def test_drop_mid_body(self):
        s3 = self.st.client("s3")
        s3.put_object(Bucket="acme-stepdeploy", Key="big", Body=b"x" * 10000)
        self.fault({"op": "GetObject", "fault": "drop"})
        with self.assertRaises(Exception) as c:
            s3.get_object(Bucket="acme-stepdeploy", Key="big")["Body"].read()
        self.assertNotIsInstance(c.exception, AssertionError)

    def test_drop_before_does_not_apply(self):
        self.fault({"op": "PutObject", "fault": "drop", "when": "before"})
        s3 = self.st.client("s3")
        with self.assertRaises(botocore.exceptions.ConnectionClosedError):
            s3.put_object(Bucket="acme-stepdeploy", Key="k", Body=b"never")
        self.st.control("DELETE", "faults")
        self.assertEqual(self.code(s3.head_object, Bucket="acme-stepdeploy", Key="k"),
                         ("404", 404))

    def test_pause_and_release(self):
        self.fault({"op": "UpdateStateMachine", "fault": "pause"})
        sf = self.st.client("stepfunctions")
        new = '{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}'
        result = {}

        def call():
            try:
                result["r"] = sf.update_state_machine(stateMachineArn=u.SM_ARN,
                                                      definition=new)
            except Exception as e:  # noqa: BLE001
                result["e"] = e
        t = threading.Thread(target=call)
        t.start()
        held = self.st.control("GET", "paused?wait=5")[1]["paused"]
        self.assertEqual([h["op"] for h in held], ["UpdateStateMachine"])
        # not applied while paused
        self.assertEqual(self.st.app.summary()["states"][u.SM_ARN]["definition"],
                         u.DEFINITION)
        self.assertEqual(self.st.control("POST", "release",
                                         {"op": "UpdateStateMachine"})[1]["released"], 1)
        t.join(10)
        self.assertIn("r", result)
        self.assertEqual(self.st.app.summary()["states"][u.SM_ARN]["definition"], new)

    def test_pause_released_with_drop(self):
        self.fault({"op": "DeleteObject", "fault": "pause"})
        s3 = self.st.client("s3")
        s3.put_object(Bucket="acme-stepdeploy", Key="lock", Body=b"l")
        err = {}

        def call():
            try:
                s3.delete_object(Bucket="acme-stepdeploy", Key="lock")
            except Exception as e:  # noqa: BLE001
                err["e"] = e
        t = threading.Thread(target=call)
        t.start()
        held = self.st.control("GET", "paused?wait=5")[1]["paused"]
        self.st.control("POST", "release", {"id": held[0]["id"], "action": "drop"})
        t.join(10)
        self.assertIsInstance(err.get("e"), botocore.exceptions.ConnectionClosedError)
        s3.head_object(Bucket="acme-stepdeploy", Key="lock")  # still there

    def test_pause_after_applies_then_holds(self):
        self.fault({"op": "PutObject", "fault": "pause", "when": "after"})
        s3 = self.st.client("s3")
        t = threading.Thread(target=lambda: s3.put_object(Bucket="acme-stepdeploy",
                                                          Key="k", Body=b"v"))
        t.start()
        self.assertEqual(len(self.st.control("GET", "paused?wait=5")[1]["paused"]), 1)
        self.assertIn("k", self.st.app.summary()["s3"]["acme-stepdeploy"]["objects"])
        self.st.control("POST", "release", {})
        t.join(10)

    def test_faults_file(self):
        path = os.path.join(self.tmp, "faults.json")
        self.restart(faults=path)
        lam = self.st.client("lambda")
        lam.get_function(FunctionName="acme-hello")
        with open(path, "w") as f:
            json.dump({"faults": [{"op": "lambda:GetFunction", "fault": "500"}]}, f)
        self.assertEqual(self.code(lam.get_function, FunctionName="acme-hello"),
                         ("ServiceException", 500))
        listed = self.st.control("GET", "faults")[1]["faults"]
        self.assertEqual((listed[0]["origin"], listed[0]["fired"]), ("file", 1))

    def test_calls_log_survives_restart(self):
        s3 = self.st.client("s3")
        s3.put_object(Bucket="acme-stepdeploy", Key="k", Body=b"v")
        self.restart()
        calls = self.st.control("GET", "calls")[1]["calls"]
        self.assertEqual([(c["op"], c["status"]) for c in calls], [("PutObject", 200)])
        s3 = self.st.client("s3")
        s3.get_object(Bucket="acme-stepdeploy", Key="k")
        calls = self.st.control("GET", "calls?since=1")[1]["calls"]
        self.assertEqual([(c["seq"], c["op"]) for c in calls], [(2, "GetObject")])

    def test_bad_rules_refused(self):
        s, out = self.st.control("POST", "faults", {"faults": [{"fault": "nope"}]})
        self.assertEqual(s, 400)
        self.assertIn("fault", out["error"])


if __name__ == "__main__":
    unittest.main()
