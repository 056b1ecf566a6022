"""The stand-in's HTTP/1.1 server: one handler on every --port, requests
dispatched by wire protocol, SigV4 checked against the credential scope,
faults applied, every call logged.  With --tls-cert/--tls-key every port
speaks HTTPS instead (the control endpoint included)."""

import argparse
import email.utils
import http
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from . import awslambda, errors, s3 as s3mod, seed as seedmod, sfn as sfnmod, sigv4
from .errors import AwsError
from .faults import FaultError, Faults, Waiters
from .store import Store

MAX_BODY = 128 * 1024 * 1024
TLS_HANDSHAKE_SECONDS = 30
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


class Req:
    """One request as the operations see it."""

    def __init__(self, method, target, headers, body, port, scheme="http"):
        self.method = method
        self.scheme = scheme
        raw_path, _, raw_query = target.partition("?")
        if raw_path.startswith(("http://", "https://")):  # absolute-form
            raw_path = "/" + raw_path.split("/", 3)[3] if raw_path.count("/") >= 3 else "/"
        self.raw_path = raw_path or "/"
        self.raw_query = raw_query
        self.path = unquote(self.raw_path)
        self.query = {}
        for pair in raw_query.split("&") if raw_query else []:
            k, _, v = pair.partition("=")
            self.query.setdefault(unquote(k), unquote(v))
        self.headers = headers
        self.body = body
        self.port = port
        self.host = self.header("host") or f"127.0.0.1:{port}"
        self.identity = None
        self.bucket = self.key = None
        self.args = []

    def header(self, name):
        v = self.headers.get(name)
        return v[0] if v else None


class App:
    """What every connection shares."""

    def __init__(self, directory, credentials, account="000000000000", faults=None,
                 update_delay=None, stepdeploy=None, verbose=False, clock=None):
        self.account = account
        self.cred_path = credentials
        self._cred_sig = None
        self._creds = {}
        self._load_creds()
        self.store = Store(directory)
        if update_delay is not None:
            self.store.set_config(lambda_update_delay=update_delay)
        self.s3 = s3mod.S3(self.store)
        self.lam = awslambda.Lambda(self.store, self.s3)
        if stepdeploy is None:
            stepdeploy = os.environ.get("STANDIN_STEPDEPLOY",
                                        os.path.join(ROOT, "build", "stepdeploy"))
        self.sfn = sfnmod.StepFunctions(self.store, sfnmod.DefinitionValidator(stepdeploy))
        self.faults = Faults(faults)
        self.waiters = Waiters()
        self.verbose = verbose
        self.clock = clock
        self.ports = []
        self._log_lock = threading.Lock()
        calls = self.store.read_bytes("_standin", "calls.jsonl") or b""
        self._seq = calls.count(b"\n")

    def _load_creds(self):
        st = os.stat(self.cred_path)
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig != self._cred_sig:
            self._creds = sigv4.load_credentials(self.cred_path, self.account)
            self._cred_sig = sig
        return self._creds

    def creds(self):
        try:
            return self._load_creds()
        except (OSError, ValueError) as e:
            print(f"standin: credentials: {e} (keeping the last ones)", flush=True)
            return self._creds

    def log_call(self, rec):
        with self._log_lock:
            self._seq += 1
            rec["seq"] = self._seq
            self.store.append_line(rec, "_standin", "calls.jsonl")
        if self.verbose:
            print("standin:", json.dumps(rec, sort_keys=True), flush=True)

    def calls(self):
        with self._log_lock:
            data = self.store.read_bytes("_standin", "calls.jsonl") or b""
        return [json.loads(line) for line in data.splitlines() if line.strip()]

    def clear_calls(self):
        with self._log_lock:
            self.store.write_bytes(b"", "_standin", "calls.jsonl")

    def seed(self, spec, account=None, region="us-east-1"):
        with self.store.locked():
            return seedmod.apply(spec, self.s3, self.lam, self.sfn,
                                 account or self.account, region)

    def summary(self):
        with self.store.locked():
            return {"s3": self.s3.summary(), "lambda": self.lam.summary(),
                    "states": self.sfn.summary()}


def detect_service(req):
    """The service a request's wire protocol belongs to."""
    if (req.header("x-amz-target") or "").startswith(sfnmod.TARGET_PREFIX):
        return "states"
    if awslambda.is_lambda_path(req.raw_path):
        return "lambda"
    return "s3"


def tls_context(cert, key):
    """A server-side TLS context of a PEM certificate (chain) and key."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


class Server(ThreadingHTTPServer):
    """One listening port; a thread per connection.  tls (an SSLContext):
    every connection is TLS, its handshake done in the connection's own
    thread (a client that never finishes it holds up nobody else)."""

    daemon_threads = True
    request_queue_size = 128
    tls = None

    @property
    def scheme(self):
        return "https" if self.tls is not None else "http"

    def finish_request(self, request, client_address):
        if self.tls is None:
            return super().finish_request(request, client_address)
        try:
            request.settimeout(TLS_HANDSHAKE_SECONDS)
            conn = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
            if getattr(self, "app", None) is not None and self.app.verbose:
                sys.stderr.write(f"standin: {client_address[0]}:{client_address[1]}: "
                                 f"TLS handshake: {e}\n")
            return None
        # wrap_socket took over the descriptor: request is detached now, so
        # the caller's shutdown_request(request) is a no-op; close conn here.
        try:
            conn.settimeout(None)
            return super().finish_request(conn, client_address)
        finally:
            try:
                conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            conn.close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "standin"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.app.verbose:
            sys.stderr.write("standin: %s - %s\n" % (self.address_string(), fmt % args))

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = lambda self: self._handle()

    # ------------------------------------------------------------ wire
    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                if len(out) + size > MAX_BODY:
                    raise ValueError("request body too large")
                out += self.rfile.read(size)
                self.rfile.readline(3)
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        n = int(n)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n)

    def _bytes(self, status, headers, body, request_id):
        """The response as bytes; body None: HEAD (Content-Length given)."""
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        hdrs = [("Date", email.utils.formatdate(usegmt=True)), ("Server", "standin")]
        if not any(k.lower() in ("x-amz-request-id", "x-amzn-requestid") for k, _ in headers):
            hdrs.append(("x-amz-request-id", request_id))
        hdrs += headers
        names = {k.lower() for k, _ in hdrs}
        if body is None or self.command == "HEAD":
            if "content-length" not in names:
                hdrs.append(("Content-Length", str(len(body or b""))))
            body = b""
        elif status in (204, 304):
            body = b""
        else:
            hdrs.append(("Content-Length", str(len(body))))
        if self.close_connection:
            hdrs.append(("Connection", "close"))
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n"
        return head.encode("latin-1", "replace"), body

    def _log_pending(self, **extra):
        """Log the call being served, once, before any byte of its response
        leaves: a client that reads the calls log right after its answer
        must find its own call there."""
        rec = getattr(self, "_pending", None)
        if rec is None:
            return
        self._pending = None
        rec.update(extra)
        rec["ms"] = round((time.time() - rec["time"]) * 1000, 1)
        self.server.app.log_call(rec)

    def _send(self, status, headers, body, request_id, drop=False):
        head, body = self._bytes(status, headers, body, request_id)
        self._log_pending(**({"dropped": True} if drop else {}))
        if drop:
            # The headers and half the body, then close: the client sees fewer
            # bytes than Content-Length.  A response without a body is cut
            # before its status line (clients such as Python's http.client
            # take a truncated header block for a complete one).
            if body:
                self.wfile.write(head + body[:len(body) // 2])
                self.wfile.flush()
            self._hang_up()
            return
        self.wfile.write(head + body)

    def _hang_up(self):
        self._log_pending(status=None, dropped=True)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _json(self, status, obj, rid="control"):
        self._send(status, [("Content-Type", "application/json")],
                   json.dumps(obj, indent=1, sort_keys=True).encode() + b"\n", rid)

    # ------------------------------------------------------------ dispatch
    def _handle(self):
        app = self.server.app
        rid = uuid.uuid4().hex[:16].upper()
        started = time.time()
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, [("Content-Type", "text/plain")], b"bad request body\n", rid)
            return
        headers = {}
        for k, v in self.headers.items():
            headers.setdefault(k.lower(), []).append(v.strip())
        req = Req(self.command, self.path, headers, body, self.server.server_address[1],
                  self.server.scheme)
        if req.raw_path.startswith("/_standin/") and \
                s3mod.bucket_from_host(req.host) is None:
            try:
                self._control(req)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return
        service = detect_service(req)
        if service == "s3":
            op = s3mod.identify(req)
        elif service == "lambda":
            op = awslambda.identify(req)
        else:
            op = sfnmod.identify(req)
        rec = {"time": started, "port": req.port, "service": service, "op": op,
               "method": req.method, "path": req.raw_path +
               ("?" + req.raw_query if req.raw_query else ""), "request_id": rid}
        if req.header("x-amz-target"):
            rec["target"] = req.header("x-amz-target")
        # S3's conditional writes (a lock taken, refreshed), for the tests
        for h in ("if-match", "if-none-match"):
            if service == "s3" and req.header(h):
                rec[h.replace("-", "_")] = req.header(h)
        self._pending = rec
        try:
            self._serve(app, req, service, op, rec, rid)
        finally:
            self._log_pending()

    def _serve(self, app, req, service, op, rec, rid):
        drop = False
        try:
            try:
                req.identity = sigv4.verify(
                    req.method, req.raw_path, req.raw_query, req.headers, req.body,
                    service, app.creds(), now=app.clock() if app.clock else None)
            except sigv4.AuthFailure as f:
                rec["auth"] = f.kind
                raise sigv4.auth_error(service, f)
            rec["access_key"] = req.identity.access_key
            fault = app.faults.match(service, op, req.path)
            when = None
            if fault:
                rec["fault"] = fault["fault"]
                rec["fault_id"] = fault["id"]
                when = fault.get("when", "after" if fault["fault"] == "drop" else "before")
            result = None
            if when == "before":
                result = self._fault(app, fault, req, service, op, rid)
                if result == "dropped":
                    rec["status"] = None
                    rec["dropped"] = True
                    return
            status, rh, rb = self._operation(app, req, service, op)
            if service != "s3":
                rh = rh + [("x-amzn-RequestId", rid)]
            if when == "after":
                after = self._fault(app, fault, req, service, op, rid)
                if after == "dropped":
                    rec["status"] = None
                    rec["dropped"] = True
                    return
                drop = after == "drop-response"
        except AwsError as e:
            status, rh, rb = errors.render(service, e, rid, req.method)
            rec["error"] = e.code
        rec["status"] = status
        try:
            self._send(status, rh, rb, rid, drop=drop)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _operation(self, app, req, service, op):
        if op == "Unknown":
            raise errors.not_implemented(service, f"{req.method} {req.raw_path}")
        impl = {"s3": app.s3, "lambda": app.lam, "states": app.sfn}[service]
        try:
            if service == "s3":
                with app.store.locked():
                    return getattr(impl, op)(req)
            return getattr(impl, op)(req)
        except AwsError:
            raise
        except Exception:  # a stand-in bug: say so, as a 500
            traceback.print_exc()
            raise errors.internal(service)

    def _fault(self, app, fault, req, service, op, rid):
        """Apply a fault.  Returns None (go on), a (status, headers, body)
        to send instead, "dropped" (connection closed, nothing sent) or
        "drop-response" (send half the response, then close)."""
        kind = fault["fault"]
        when = fault.get("when", "after" if kind == "drop" else "before")
        info = {"service": service, "op": op, "method": req.method,
                "path": req.path, "fault_id": fault["id"], "when": when}
        if kind == "500":
            raise errors.internal(service)
        if kind == "throttle":
            raise errors.throttle(service)
        if kind == "error":
            raise AwsError(fault["status"], fault["code"],
                           fault.get("message", "injected by the stand-in"))
        if kind == "drop":
            if when == "before":
                self._hang_up()
                return "dropped"
            return "drop-response"
        if kind in ("delay", "pause"):
            default = 30 if kind == "delay" else 300
            action = app.waiters.hold(info, float(fault.get("seconds", default)), kind)
            if action == "drop":
                self._hang_up()
                return "dropped"
            if action == "500":
                raise errors.internal(service)
        return None

    # ------------------------------------------------------------ control
    def _control(self, req):
        app = self.server.app
        what = req.raw_path[len("/_standin/"):]
        m = req.method
        try:
            body = json.loads(req.body) if req.body.strip() else {}
        except ValueError as e:
            return self._json(400, {"error": f"body: {e}"})
        try:
            if what == "health" and m == "GET":
                return self._json(200, {"ok": True, "pid": os.getpid(), "ports": app.ports,
                                        "dir": app.store.root,
                                        "scheme": self.server.scheme})
            if what == "faults":
                if m == "GET":
                    return self._json(200, {"faults": app.faults.snapshot()})
                if m == "POST":
                    rules = app.faults.set(body, add=req.query.get("add") == "1")
                    return self._json(200, {"faults": rules})
                if m == "DELETE":
                    app.faults.clear()
                    return self._json(200, {"faults": []})
            if what == "calls":
                if m == "GET":
                    calls = app.calls()
                    since = int(req.query.get("since", "0"))
                    calls = [c for c in calls if c["seq"] > since and
                             (not req.query.get("op") or req.query["op"] in
                              (c["op"], c["service"] + ":" + c["op"]))]
                    return self._json(200, {"calls": calls})
                if m == "DELETE":
                    app.clear_calls()
                    return self._json(200, {"calls": []})
            if what == "paused" and m == "GET":
                wait = min(float(req.query.get("wait", "0")), 120.0)
                items = app.waiters.list(wait, kind=req.query.get("kind"),
                                         min_count=int(req.query.get("count", "1")))
                return self._json(200, {"paused": items})
            if what == "release" and m == "POST":
                action = body.get("action", "continue")
                if action not in ("continue", "drop", "500"):
                    return self._json(400, {"error": "action: continue, drop or 500"})
                n = app.waiters.release(body.get("id"), body.get("op"), action)
                return self._json(200, {"released": n})
            if what == "seed" and m == "POST":
                return self._json(200, app.seed(body, body.get("account"),
                                                body.get("region", "us-east-1")))
            if what == "state" and m == "GET":
                return self._json(200, app.summary())
            if what == "config":
                if m == "POST":
                    unknown = set(body) - {"lambda_update_delay"}
                    if unknown:
                        return self._json(400, {"error": f"unknown field {sorted(unknown)[0]}"})
                    return self._json(200, app.store.set_config(**body))
                if m == "GET":
                    return self._json(200, app.store.config())
            if what.startswith("code/") and m in ("GET", "HEAD"):
                hexname = what.rsplit("/", 1)[-1]
                hexsha = hexname[:-4] if hexname.endswith(".zip") else hexname
                status, msg, data = app.lam.serve_code(hexsha, req.query)
                if data is None:
                    code = "AccessDenied" if status == 403 else "NoSuchKey"
                    return self._send(*errors.render("s3", AwsError(status, code, msg),
                                                     "code", m), "code")
                return self._send(200, [("Content-Type", "application/zip")], data, "code")
        except (FaultError, seedmod.SeedError, ValueError, OSError) as e:
            return self._json(400, {"error": str(e)})
        return self._json(404, {"error": f"no control endpoint {m} /_standin/{what}"})


# ---------------------------------------------------------------- main
USAGE_SERVE = """standin --port PORT [--port PORT]... --dir DIR --credentials FILE
        [--faults FILE] [--account ACCOUNT] [--update-delay SECONDS]
        [--stepdeploy PATH] [--ready-file FILE] [--verbose]
        [--tls-cert FILE --tls-key FILE]
standin seed --dir DIR ... (standin seed --help)"""


def serve(argv):
    p = argparse.ArgumentParser(prog="standin", usage=USAGE_SERVE,
                                description="The local AWS stand-in (S3, Lambda, "
                                "Step Functions) on 127.0.0.1.")
    p.add_argument("--port", type=int, action="append", required=True,
                   help="a port to serve on 127.0.0.1 (repeatable; 0 picks a free one)")
    p.add_argument("--dir", required=True, help="where all state is kept")
    p.add_argument("--credentials", required=True,
                   help="an INI credentials file (~/.aws/credentials format)")
    p.add_argument("--faults", help="a JSON fault file, re-read when it changes")
    p.add_argument("--account", default="000000000000",
                   help="the account of keys without aws_account_id")
    p.add_argument("--update-delay", type=float,
                   help="seconds a Lambda code update stays InProgress (default 1)")
    p.add_argument("--stepdeploy", help="the stepdeploy binary that validates "
                   "definitions (default: build/stepdeploy of this repository)")
    p.add_argument("--ready-file", help="written (JSON: pid, ports, scheme) once listening")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--tls-cert", help="a PEM certificate (chain): every port "
                   "serves HTTPS with it instead of HTTP (needs --tls-key)")
    p.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    a = p.parse_args(argv)
    for port in a.port:
        if not 0 <= port <= 65535:
            p.error(f"--port {port}: out of range")
    if (a.tls_cert is None) != (a.tls_key is None):
        p.error("--tls-cert and --tls-key go together")
    tls = None
    if a.tls_cert is not None:
        try:
            tls = tls_context(a.tls_cert, a.tls_key)
        except (OSError, ValueError) as e:
            print(f"standin: --tls-cert {a.tls_cert} --tls-key {a.tls_key}: {e}",
                  file=sys.stderr)
            return 2
    try:
        app = App(a.dir, a.credentials, account=a.account, faults=a.faults,
                  update_delay=a.update_delay, stepdeploy=a.stepdeploy, verbose=a.verbose)
    except (OSError, ValueError) as e:
        print(f"standin: {e}", file=sys.stderr)
        return 2
    servers = []
    for port in a.port:
        try:
            srv = Server(("127.0.0.1", port), Handler)
        except OSError as e:
            print(f"standin: 127.0.0.1:{port}: {e}", file=sys.stderr)
            return 2
        srv.daemon_threads = True
        srv.app = app
        srv.tls = tls
        servers.append(srv)
        app.ports.append(srv.server_address[1])
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if a.ready_file:
        tmp = a.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"pid": os.getpid(), "ports": app.ports,
                       "scheme": "https" if tls else "http"}, f)
        os.replace(tmp, a.ready_file)
    print("standin: listening on " + " ".join(f"127.0.0.1:{p}" for p in app.ports)
          + f" (dir {app.store.root}{', https' if tls else ''})", flush=True)
    while not stop.wait(3600):
        pass
    app.waiters.release(action="drop")
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    return 0


def seed_main(argv):
    try:
        d, spec = seedmod.parse_args(argv)
        store = Store(d)
        s3 = s3mod.S3(store)
        lam = awslambda.Lambda(store, s3)
        sfn = sfnmod.StepFunctions(store, None)
        with store.locked():
            out = seedmod.apply(spec, s3, lam, sfn, spec.get("account", "000000000000"),
                                spec.get("region", "us-east-1"))
    except (seedmod.SeedError, OSError, ValueError, KeyError) as e:
        print(f"standin seed: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=1))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "seed":
        return seed_main(argv[1:])
    return serve(argv)
