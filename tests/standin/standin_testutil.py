"""Helpers of the stand-in's unit tests: a stand-in served from a thread of
the test process (on ports the kernel picks), botocore clients and signed
raw requests."""

import datetime
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import botocore.session  # noqa: E402
from botocore.auth import S3SigV4Auth, SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from awsstandin.server import App, Handler, Server  # noqa: E402

AK = "AKIDUNITTEST"
SK = "unit/test+secret"
ACCOUNT = "000000000000"
REGION = "us-east-1"
SM_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:acme-hello"
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:acme-hello"
DEFINITION = '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'


def make_zip(text="a"):
    import io
    import zipfile
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("bootstrap", f"#!/bin/sh\necho {text}\n")
    return b.getvalue()


class Standin:
    """A stand-in on n ports of 127.0.0.1, state under directory."""

    def __init__(self, directory, nports=1, creds_text=None, **kw):
        self.dir = directory
        self.cred_path = os.path.join(os.path.dirname(directory), "credentials")
        if creds_text is None:
            creds_text = (f"[default]\naws_access_key_id = {AK}\n"
                          f"aws_secret_access_key = {SK}\n")
        with open(self.cred_path, "w", encoding="utf-8") as f:
            f.write(creds_text)
        kw.setdefault("stepdeploy", "/nonexistent/stepdeploy")
        self.app = App(directory, self.cred_path, **kw)
        self.servers = []
        for _ in range(nports):
            srv = Server(("127.0.0.1", 0), Handler)
            srv.daemon_threads = True
            srv.app = self.app
            self.app.ports.append(srv.server_address[1])
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                             daemon=True).start()
            self.servers.append(srv)
        self.port = self.app.ports[0]
        self.clients = []

    def stop(self):
        for c in self.clients:
            c.close()
        self.app.waiters.release(action="drop")
        for s in self.servers:
            s.shutdown()
            s.server_close()
        self.app.store.close()

    def url(self, port=None):
        return f"http://127.0.0.1:{port or self.port}"

    def client(self, service, port=None, retries=1, timeout=10, **kw):
        sess = botocore.session.Session()
        c = sess.create_client(
            service, region_name=REGION, endpoint_url=self.url(port),
            aws_access_key_id=kw.pop("ak", AK), aws_secret_access_key=kw.pop("sk", SK),
            config=Config(retries={"total_max_attempts": retries, "mode": "standard"},
                          read_timeout=timeout, connect_timeout=5, **kw))
        self.clients.append(c)
        return c

    def control(self, method, what, body=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, "/_standin/" + what, body=data)
        r = conn.getresponse()
        out = json.loads(r.read() or b"{}")
        conn.close()
        return r.status, out

    def seed(self, **spec):
        return self.app.seed(spec)


def sign(method, path, service, body=b"", headers=None, host=None, port=None,
         ak=AK, sk=SK, region=REGION, when=None, query="", token=None):
    """A request signed by botocore: (path?query, headers dict)."""
    headers = dict(headers or {})
    url = f"http://{host or '127.0.0.1:%d' % port}{path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=headers)
    cls = S3SigV4Auth if service == "s3" else SigV4Auth
    signer = cls(Credentials(ak, sk, token), service, region)
    when = when or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
    if "host" not in {k.lower() for k in req.headers.keys()}:
        req.headers["Host"] = host or f"127.0.0.1:{port}"
    signer._modify_request_before_signing(req)
    canonical = signer.canonical_request(req)
    sts = signer.string_to_sign(req, canonical)
    signer._inject_signature_to_request(req, signer.signature(sts, req))
    return path + (f"?{query}" if query else ""), dict(req.headers.items())


def raw(port, method, target, headers, body=b"", timeout=10):
    """Send one request; (status, headers dict (lower-case), body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    if body and not any(k.lower() == "content-length" for k in headers):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    r = conn.getresponse()
    data = r.read()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    conn.close()
    return out


def signed(st, method, path, service, body=b"", headers=None, port=None, **kw):
    port = port or st.port
    target, h = sign(method, path, service, body, headers, port=port, **kw)
    return raw(port, method, target, h, body)


class StandinCase(unittest.TestCase):
    nports = 1
    app_kw = {}

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="standin-ut.")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.st = Standin(os.path.join(self.tmp, "state"), self.nports, **self.app_kw)

    def tearDown(self):
        self.st.stop()

    def restart(self, **kw):
        """Stop the stand-in and start a new one on the same directory."""
        self.st.stop()
        self.st = Standin(os.path.join(self.tmp, "state"), self.nports,
                          **dict(self.app_kw, **kw))
