"""HTTP/1.1 behaviour, dispatch by wire protocol, the control endpoint,
TLS (--tls-cert/--tls-key) and the launcher."""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request

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


def make_certs(directory):
    """A throwaway CA (ca.pem), a server certificate for IP:127.0.0.1 that
    it signed (srv.pem, srv.key) and another CA (other-ca.pem), made with
    the openssl CLI; None when there is no openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None

    def run(*args):
        subprocess.run([openssl, *args], cwd=directory, check=True,
                       capture_output=True, timeout=60)

    for ca in ("ca", "other-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key",
            "-out", ca + ".pem", "-days", "2", "-subj", "/CN=standin unit test " + ca,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr",
        "-subj", "/CN=standin")
    with open(os.path.join(directory, "srv.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "srv.ext")
    return {k: os.path.join(directory, k + ".pem") for k in ("ca", "other-ca", "srv")} | {
        "key": os.path.join(directory, "srv.key")}


class TestTls(u.StandinCase):
    """Every port speaking HTTPS (the launcher's --tls-cert/--tls-key)."""

    nports = 2

    @classmethod
    def setUpClass(cls):
        cls.cert_dir = tempfile.mkdtemp(prefix="standin-ut-tls.")
        try:
            cls.certs = make_certs(cls.cert_dir)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            shutil.rmtree(cls.cert_dir, True)
            raise unittest.SkipTest(f"openssl could not make the certificates: {e}")
        if cls.certs is None:
            shutil.rmtree(cls.cert_dir, True)
            raise unittest.SkipTest("no openssl CLI to make the certificates")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cert_dir, True)

    def setUp(self):
        super().setUp()
        from awsstandin.server import tls_context
        ctx = tls_context(self.certs["srv"], self.certs["key"])
        for srv in self.st.servers:  # before any connection is made
            srv.tls = ctx
        self.st.seed(buckets=["acme-stepdeploy"], functions=[
            {"name": "acme-hello", "zip_base64": base64.b64encode(u.make_zip()).decode()}])

    def client_ctx(self, ca="ca"):
        return ssl.create_default_context(cafile=self.certs[ca])

    def boto(self, service, port=None, verify=None):
        import botocore.session
        from botocore.config import Config
        c = botocore.session.Session().create_client(
            service, region_name=u.REGION, aws_access_key_id=u.AK,
            aws_secret_access_key=u.SK,
            endpoint_url=f"https://127.0.0.1:{port or self.st.port}",
            verify=verify or self.certs["ca"],
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=5,
                          read_timeout=10, s3={"addressing_style": "path"}))
        self.st.clients.append(c)
        return c

    def test_every_port_serves_https(self):
        for port in self.st.app.ports:
            self.boto("s3", port).head_bucket(Bucket="acme-stepdeploy")
            out = self.boto("lambda", port).get_function(FunctionName="acme-hello")
            self.assertEqual(out["Configuration"]["FunctionName"], "acme-hello")

    def test_code_location_is_https(self):
        out = self.boto("lambda").get_function(FunctionName="acme-hello")
        loc = out["Code"]["Location"]
        self.assertTrue(loc.startswith(f"https://127.0.0.1:{self.st.port}/_standin/code/"),
                        loc)
        with urllib.request.urlopen(loc, context=self.client_ctx(), timeout=10) as r:
            self.assertEqual(r.read(), u.make_zip())

    def test_control_endpoint_over_tls(self):
        conn = http.client.HTTPSConnection("127.0.0.1", self.st.port, timeout=10,
                                           context=self.client_ctx())
        conn.request("GET", "/_standin/health")
        r = conn.getresponse()
        out = json.loads(r.read())
        conn.close()
        self.assertEqual((r.status, out["scheme"], out["ports"]),
                         (200, "https", self.st.app.ports))

    def test_untrusted_and_plain_clients_refused(self):
        for ca in ("other-ca", None):
            ctx = self.client_ctx(ca) if ca else ssl.create_default_context()
            with self.assertRaises(ssl.SSLCertVerificationError):
                with socket.create_connection(("127.0.0.1", self.st.port), timeout=10) as s:
                    ctx.wrap_socket(s, server_hostname="127.0.0.1").close()
        # plain HTTP to a TLS port: no HTTP answer at all
        with socket.create_connection(("127.0.0.1", self.st.port), timeout=10) as s:
            s.sendall(b"GET /_standin/health HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = s.recv(100)
            except ConnectionResetError:
                got = b""
        self.assertFalse(got.startswith(b"HTTP/"), got)
        # a client that connects and never says anything holds up nobody
        idle = socket.create_connection(("127.0.0.1", self.st.port), timeout=10)
        try:
            self.boto("s3").head_bucket(Bucket="acme-stepdeploy")
        finally:
            idle.close()
        # only the trusted client's call reached an operation
        self.assertEqual([c["op"] for c in self.st.app.calls()], ["HeadBucket"])


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

    def test_tls_options(self):
        tmp = tempfile.mkdtemp(prefix="standin-ut.")
        self.addCleanup(shutil.rmtree, tmp, True)
        exe = os.path.join(HERE, "standin")
        creds = os.path.join(tmp, "creds")
        with open(creds, "w") as f:
            f.write(f"[default]\naws_access_key_id={u.AK}\naws_secret_access_key={u.SK}\n")
        base = [exe, "--port", "0", "--dir", os.path.join(tmp, "st"), "--credentials", creds]
        r = subprocess.run(base + ["--tls-cert", creds], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--tls-cert and --tls-key go together", r.stderr)
        r = subprocess.run(base + ["--tls-cert", creds, "--tls-key", creds],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"standin: --tls-cert", r.stderr)
        try:
            certs = make_certs(tmp)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            self.skipTest(f"openssl could not make the certificates: {e}")
        if certs is None:
            self.skipTest("no openssl CLI to make the certificates")
        ready = os.path.join(tmp, "ready")
        p = subprocess.Popen(base + ["--port", "0", "--ready-file", ready,
                                     "--tls-cert", certs["srv"], "--tls-key", certs["key"]],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 30
            while not os.path.exists(ready) and time.time() < deadline:
                time.sleep(0.05)
            with open(ready) as f:
                info = json.load(f)
            self.assertEqual(info["scheme"], "https")
            for port in info["ports"]:
                conn = http.client.HTTPSConnection(
                    "127.0.0.1", port, timeout=10,
                    context=ssl.create_default_context(cafile=certs["ca"]))
                conn.request("GET", "/_standin/health")
                resp = conn.getresponse()
                self.assertEqual((resp.status, json.loads(resp.read())["scheme"]),
                                 (200, "https"))
                conn.close()
        finally:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn(b", https)", out)


if __name__ == "__main__":
    unittest.main()
