"""HTTP/1.1 behaviour, dispatch by wire protocol, the control endpoint and
the launcher."""

import json
import os
import signal
import socket
import subprocess
import time
import unittest

import standin_testutil as u

HERE = os.path.dirname(os.path.abspath(__file__))


def read_response(sock):
    """(status, headers, body) of one response read from sock."""
    f = sock.makefile("rb")
    status = int(f.readline().split()[1])
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    return status, headers, f.read(n)


class TestHttp(u.StandinCase):
    nports = 3

    def setUp(self):
        super().setUp()
        self.st.seed(buckets=["acme-stepdeploy"])

    def test_expect_100_continue(self):
        body = b"x" * 5000
        target, h = u.sign("PUT", "/acme-stepdeploy/k", "s3", body, port=self.st.port)
        h["Expect"] = "100-continue"
        h["Content-Length"] = str(len(body))
        with socket.create_connection(("127.0.0.1", self.st.port), timeout=10) as s:
            s.sendall((f"PUT {target} HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode())
            interim = s.recv(25)
            self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim)
            s.sendall(body)
            status, headers, _ = read_response(s)
        self.assertEqual(status, 200)
        self.assertIn("etag", headers)

    def test_keep_alive_and_chunked_body(self):
        body = b"chunked body"
        with socket.create_connection(("127.0.0.1", self.st.port), timeout=10) as s:
            for i in range(3):
                target, h = u.sign("PUT", f"/acme-stepdeploy/k{i}", "s3", body,
                                   port=self.st.port)
                h["Transfer-Encoding"] = "chunked"
                s.sendall((f"PUT {target} HTTP/1.1\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode() +
                    b"5\r\nchunk\r\n7\r\ned body\r\n0\r\n\r\n")
                status, _, _ = read_response(s)
                self.assertEqual(status, 200)
        got = self.st.client("s3").get_object(Bucket="acme-stepdeploy", Key="k2")
        self.assertEqual(got["Body"].read(), body)

    def test_every_port_serves_every_service(self):
        self.st.seed(functions=[{"name": "acme-hello", "zip_base64":
                                 __import__("base64").b64encode(u.make_zip()).decode()}])
        for port in self.st.app.ports:
            self.st.client("s3", port=port).head_bucket(Bucket="acme-stepdeploy")
            self.st.client("lambda", port=port).get_function(FunctionName="acme-hello")

    def test_unsigned_refused_per_service(self):
        s, h, b = u.raw(self.st.port, "GET", "/acme-stepdeploy/k",
                        {"Host": f"127.0.0.1:{self.st.port}"})
        self.assertEqual(s, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", b)
        s, h, b = u.raw(self.st.port, "GET", "/2015-03-31/functions/acme-hello",
                        {"Host": "x"})
        self.assertEqual((s, h["x-amzn-errortype"]),
                         (403, "MissingAuthenticationTokenException"))
        s, h, b = u.raw(self.st.port, "POST", "/",
                        {"Host": "x", "X-Amz-Target": "AWSStepFunctions.DescribeStateMachine",
                         "Content-Type": "application/x-amz-json-1.0"}, b"{}")
        self.assertEqual((s, json.loads(b)["__type"]),
                         (403, "MissingAuthenticationTokenException"))
        calls = self.st.control("GET", "calls")[1]["calls"]
        self.assertEqual([c["auth"] for c in calls], ["missing"] * 3)

    def test_scope_service_checked(self):
        # a Lambda request signed for s3 (say, sent to the wrong endpoint)
        target, h = u.sign("GET", "/2015-03-31/functions/acme-hello", "s3",
                           port=self.st.port)
        s, h, b = u.raw(self.st.port, "GET", target, h)
        self.assertEqual((s, h["x-amzn-errortype"]), (403, "InvalidSignatureException"))
        self.assertIn("correct service: 'lambda'", json.loads(b)["message"])

    def test_bad_signature_wire_shapes(self):
        s, h, b = u.signed(self.st, "GET", "/acme-stepdeploy/k", "s3", sk="wrong")
        self.assertEqual(s, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", b)
        s, h, b = u.signed(self.st, "GET", "/2015-03-31/functions/f", "lambda", ak="AKIDX")
        self.assertEqual((s, json.loads(b)["__type"]), (403, "UnrecognizedClientException"))
        self.assertEqual(h["x-amzn-errortype"], "UnrecognizedClientException")

    def test_credentials_file_reloaded(self):
        with open(self.st.cred_path, "a") as f:
            f.write("[second]\naws_access_key_id = AKIDSECOND\n"
                    "aws_secret_access_key = second\n")
        s, _, _ = u.signed(self.st, "HEAD", "/acme-stepdeploy", "s3", ak="AKIDSECOND",
                           sk="second")
        self.assertEqual(s, 200)

    def test_control_endpoint(self):
        s, out = self.st.control("GET", "health")
        self.assertEqual((s, out["ports"]), (200, self.st.app.ports))
        self.assertEqual(self.st.control("GET", "nope")[0], 404)
        self.assertEqual(self.st.control("POST", "config", {"bogus": 1})[0], 400)
        s, out = self.st.control("POST", "seed", {
            "functions": [{"name": "f2", "zip_base64":
                           __import__("base64").b64encode(u.make_zip()).decode(),
                           "tags": {"A": "1"}}],
            "state_machines": [{"name": "m2", "definition": {"StartAt": "A", "States": {
                "A": {"Type": "Succeed"}}}}]})
        self.assertEqual(s, 200, out)
        state = self.st.control("GET", "state")[1]
        self.assertIn(u.FN_ARN.replace("acme-hello", "f2"), state["lambda"])
        self.assertIn(u.SM_ARN.replace("acme-hello", "m2"), state["states"])
        self.assertEqual(self.st.control("POST", "seed", {"functions": [{"name": "x"}]})[0],
                         400)


class TestLauncher(unittest.TestCase):
    """tests/standin/standin as a program: seed, serve, SIGTERM."""

    def test_seed_and_serve(self):
        import tempfile
        tmp = tempfile.mkdtemp(prefix="standin-ut.")
        creds = os.path.join(tmp, "creds")
        with open(creds, "w") as f:
            f.write(f"[default]\naws_access_key_id={u.AK}\naws_secret_access_key={u.SK}\n")
        zpath = os.path.join(tmp, "a.zip")
        with open(zpath, "wb") as f:
            f.write(u.make_zip())
        dpath = os.path.join(tmp, "def.json")
        with open(dpath, "w") as f:
            f.write(u.DEFINITION)
        exe = os.path.join(HERE, "standin")
        r = subprocess.run([exe, "seed", "--dir", os.path.join(tmp, "st"),
                            "--function", "acme-hello", "--zip", zpath, "--tag", "A=1",
                            "--state-machine", "acme-hello", "--definition", dpath,
                            "--bucket", "acme-stepdeploy"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["functions"], [u.FN_ARN])
        r = subprocess.run([exe, "seed", "--dir", os.path.join(tmp, "st"), "--bogus"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        ready = os.path.join(tmp, "ready")
        p = subprocess.Popen([exe, "--port", "0", "--port", "0", "--dir",
                              os.path.join(tmp, "st"), "--credentials", creds,
                              "--ready-file", ready], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 30
            while not os.path.exists(ready) and time.time() < deadline:
                time.sleep(0.05)
            with open(ready) as f:
                info = json.load(f)
            self.assertEqual(len(set(info["ports"])), 2)
            import botocore.session
            lam = botocore.session.Session().create_client(
                "lambda", region_name="us-east-1", aws_access_key_id=u.AK,
                aws_secret_access_key=u.SK,
                endpoint_url=f"http://127.0.0.1:{info['ports'][1]}")
            self.assertEqual(lam.list_tags(Resource=u.FN_ARN)["Tags"], {"A": "1"})
            lam.close()
        finally:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn(b"listening on 127.0.0.1:", out)
        import shutil
        shutil.rmtree(tmp)

    def test_usage_errors(self):
        exe = os.path.join(HERE, "standin")
        r = subprocess.run([exe, "--dir", "/tmp/x"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([exe, "--port", "0", "--dir", "/tmp/standin-ut-none",
                            "--credentials", "/nonexistent"], capture_output=True,
                           timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"/nonexistent", r.stderr)


if __name__ == "__main__":
    unittest.main()
