"""Step Functions through botocore's client (and signed raw requests for
the operations Debian's botocore does not know yet)."""

import json
import os
import stat
import unittest

import botocore.exceptions

import standin_testutil as u
from awsstandin import sfn

FAKE_VALIDATE = """#!/bin/sh
# a stand-in for build/stepdeploy: only 'validate'
[ "$1" = validate ] || { echo "stepdeploy: unknown command \\"$1\\"" >&2; exit 2; }
[ "$2" = --help ] && { echo "usage: stepdeploy validate DEFINITION [--json]"; exit 0; }
if grep -q Nope "$3"; then
  echo '{"result":"FAIL","diagnostics":[{"severity":"ERROR","code":"MISSING_TRANSITION_TARGET","message":"Missing Next target: Nope","location":"/States/A/Next"}]}'
  exit 1
fi
echo '{"result":"OK","diagnostics":[]}'
"""
FAKE_OLD = """#!/bin/sh
echo "stepdeploy: unknown command \\"$1\\"" >&2; exit 2
"""
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def script(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, stat.S_IRWXU)
    return path


class SfnCase(u.StandinCase):
    def setUp(self):
        super().setUp()
        self.st.seed(state_machines=[{"name": "acme-hello", "definition": u.DEFINITION,
                                      "tags": {"ProjectName": "acme/hello",
                                               "DeployWith": "stepdeploy"}}])
        self.sf = self.st.client("stepfunctions")

    def err(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as c:
            fn(**kw)
        return c.exception.response

    def call(self, op, body):
        s, h, b = u.signed(self.st, "POST", "/", "states", json.dumps(body).encode(),
                           {"X-Amz-Target": "AWSStepFunctions." + op,
                            "Content-Type": "application/x-amz-json-1.0"})
        return s, h, json.loads(b)


class TestStepFunctions(SfnCase):
    def test_describe(self):
        r = self.sf.describe_state_machine(stateMachineArn=u.SM_ARN)
        self.assertEqual((r["name"], r["status"], r["type"], r["definition"]),
                         ("acme-hello", "ACTIVE", "STANDARD", u.DEFINITION))
        s, _, b = self.call("DescribeStateMachine", {"stateMachineArn": u.SM_ARN})
        self.assertTrue(b["revisionId"])

    def test_does_not_exist(self):
        e = self.err(self.sf.describe_state_machine,
                     stateMachineArn=u.SM_ARN.replace("acme-hello", "nope"))
        self.assertEqual(e["Error"]["Code"], "StateMachineDoesNotExist")
        e = self.err(self.sf.update_state_machine,
                     stateMachineArn=u.SM_ARN.replace("acme-hello", "nope"),
                     definition=u.DEFINITION)
        self.assertEqual(e["Error"]["Code"], "StateMachineDoesNotExist")
        e = self.err(self.sf.describe_state_machine, stateMachineArn="arn:aws:nope")
        self.assertEqual(e["Error"]["Code"], "InvalidArn")
        s, h, b = self.call("DescribeStateMachine",
                            {"stateMachineArn": u.SM_ARN.replace("acme-hello", "nope")})
        self.assertEqual(s, 400)
        self.assertEqual(b["__type"],
                         "com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist")
        self.assertEqual(h["x-amzn-errortype"], "StateMachineDoesNotExist")

    def test_update(self):
        new = '{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}'
        before = self.call("DescribeStateMachine", {"stateMachineArn": u.SM_ARN})[2]
        r = self.sf.update_state_machine(stateMachineArn=u.SM_ARN, definition=new)
        self.assertIn("updateDate", r)
        after = self.call("DescribeStateMachine", {"stateMachineArn": u.SM_ARN})[2]
        self.assertEqual(after["definition"], new)
        self.assertNotEqual(after["revisionId"], before["revisionId"])
        self.sf.update_state_machine(stateMachineArn=u.SM_ARN,
                                     roleArn="arn:aws:iam::000000000000:role/other")
        e = self.err(self.sf.update_state_machine, stateMachineArn=u.SM_ARN,
                     roleArn="not-an-arn")
        self.assertEqual(e["Error"]["Code"], "InvalidArn")
        s, _, b = self.call("UpdateStateMachine", {"stateMachineArn": u.SM_ARN})
        self.assertEqual((s, b["__type"].split("#")[1]), (400, "MissingRequiredParameter"))

    def test_update_refuses_bad_json(self):
        e = self.err(self.sf.update_state_machine, stateMachineArn=u.SM_ARN,
                     definition='{"StartAt":')
        self.assertEqual(e["Error"]["Code"], "InvalidDefinition")
        self.assertEqual(self.sf.describe_state_machine(stateMachineArn=u.SM_ARN)
                         ["definition"], u.DEFINITION)

    def test_tags(self):
        t = self.sf.list_tags_for_resource(resourceArn=u.SM_ARN)["tags"]
        self.assertEqual(sorted((x["key"], x["value"]) for x in t),
                         [("DeployWith", "stepdeploy"), ("ProjectName", "acme/hello")])
        e = self.err(self.sf.list_tags_for_resource,
                     resourceArn=u.SM_ARN.replace("acme-hello", "nope"))
        self.assertEqual(e["Error"]["Code"], "ResourceNotFound")

    def test_publish_version(self):
        s, _, b = self.call("PublishStateMachineVersion", {"stateMachineArn": u.SM_ARN})
        self.assertEqual((s, b["stateMachineVersionArn"]), (200, u.SM_ARN + ":1"))
        s, _, b = self.call("PublishStateMachineVersion", {"stateMachineArn": u.SM_ARN})
        self.assertEqual(b["stateMachineVersionArn"], u.SM_ARN + ":1")  # unchanged
        s, _, b = self.call("PublishStateMachineVersion",
                            {"stateMachineArn": u.SM_ARN, "revisionId": "stale"})
        self.assertEqual((s, b["__type"].split("#")[1]), (400, "ConflictException"))
        new = '{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}'
        self.sf.update_state_machine(stateMachineArn=u.SM_ARN, definition=new)
        rev = self.call("DescribeStateMachine", {"stateMachineArn": u.SM_ARN})[2]["revisionId"]
        s, _, b = self.call("PublishStateMachineVersion",
                            {"stateMachineArn": u.SM_ARN, "revisionId": rev,
                             "description": "v2"})
        self.assertEqual(b["stateMachineVersionArn"], u.SM_ARN + ":2")
        v1 = self.sf.describe_state_machine(stateMachineArn=u.SM_ARN + ":1")
        self.assertEqual(v1["definition"], u.DEFINITION)
        s, _, b = self.call("ListStateMachineVersions", {"stateMachineArn": u.SM_ARN})
        self.assertEqual([v["stateMachineVersionArn"][-1] for v in
                          b["stateMachineVersions"]], ["2", "1"])
        s, _, b = self.call("UpdateStateMachine", {"stateMachineArn": u.SM_ARN,
                                                   "definition": u.DEFINITION,
                                                   "publish": True})
        self.assertEqual(b["stateMachineVersionArn"], u.SM_ARN + ":3")

    def test_unknown_target_and_bad_body(self):
        s, _, b = self.call("StartExecution", {})
        self.assertEqual((s, b["__type"].split("#")[1]), (400, "UnknownOperationException"))
        s, h, b = u.signed(self.st, "POST", "/", "states", b"{nope",
                           {"X-Amz-Target": "AWSStepFunctions.DescribeStateMachine",
                            "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual(h["x-amzn-errortype"], "SerializationException")

    def test_state_survives_restart(self):
        new = '{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}'
        self.sf.update_state_machine(stateMachineArn=u.SM_ARN, definition=new)
        self.restart()
        sf = self.st.client("stepfunctions")
        self.assertEqual(sf.describe_state_machine(stateMachineArn=u.SM_ARN)["definition"],
                         new)


class TestValidatorFake(SfnCase):
    """UpdateStateMachine runs `stepdeploy validate --json` when it exists."""

    def setUp(self):
        super().setUp()
        path = script(os.path.join(self.tmp, "stepdeploy"), FAKE_VALIDATE)
        self.st.app.sfn.validator = sfn.DefinitionValidator(path)

    def test_validator_verdict(self):
        bad = '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}'
        e = self.err(self.sf.update_state_machine, stateMachineArn=u.SM_ARN, definition=bad)
        self.assertEqual(e["Error"]["Code"], "InvalidDefinition")
        self.assertIn("MISSING_TRANSITION_TARGET", e["Error"]["Message"])
        self.assertIn("/States/A/Next", e["Error"]["Message"])
        self.sf.update_state_machine(stateMachineArn=u.SM_ARN, definition=u.DEFINITION)

    def test_without_validate_command_json_only(self):
        path = script(os.path.join(self.tmp, "old-stepdeploy"), FAKE_OLD)
        v = sfn.DefinitionValidator(path)
        self.assertFalse(v.available())
        self.assertIsNone(v.check('{"StartAt":"A","States":{"A":{"Next":"Nope"}}}'))
        self.assertIsNotNone(v.check("[1"))
        self.assertIsNotNone(v.check("[1]"))
        self.assertFalse(sfn.DefinitionValidator("/nonexistent").available())


class TestRealValidator(unittest.TestCase):
    """build/stepdeploy validate, when this build has it."""

    def test_real(self):
        v = sfn.DefinitionValidator(os.path.join(ROOT, "build", "stepdeploy"))
        if not v.available():
            self.skipTest("build/stepdeploy has no validate command yet")
        self.assertIsNone(v.check(u.DEFINITION))
        msg = v.check('{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}')
        self.assertIsNotNone(msg)
        self.assertIn("Nope", msg)


if __name__ == "__main__":
    unittest.main()
