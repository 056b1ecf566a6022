"""Creating the resources a deploy then updates (deployers only modify
existing functions and state machines, as in coinbase/step)."""

import base64
import json

USAGE = """\
usage: standin seed --dir DIR [--account ACCOUNT] [--region REGION]
         [--bucket NAME]...
         [--function NAME --zip FILE [--runtime R] [--handler H] [--role ARN]
                         [--publish] [--alias NAME]... [--tag K=V]...]...
         [--state-machine NAME --definition FILE [--role ARN] [--tag K=V]...]...
         [--json FILE]

Creates (or resets) buckets, Lambda functions and state machines under DIR,
beside a running stand-in or not.  --tag, --runtime, --handler, --role,
--publish and --alias apply to the --function or --state-machine before
them.  --json FILE reads the same as the body of POST /_standin/seed.
Prints the ARNs it made as JSON."""


class SeedError(ValueError):
    pass


def parse_args(argv):
    """(dir, spec) from the seed command line."""
    spec = {"buckets": [], "functions": [], "state_machines": []}
    d = None
    cur = None
    i = 0

    def val():
        nonlocal i
        if i + 1 >= len(argv):
            raise SeedError(f"{argv[i]} needs a value")
        i += 1
        return argv[i]

    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            raise SeedError(USAGE)
        if a == "--dir":
            d = val()
        elif a in ("--account", "--region"):
            spec[a[2:]] = val()
        elif a == "--bucket":
            spec["buckets"].append(val())
        elif a == "--function":
            cur = {"name": val(), "tags": {}}
            spec["functions"].append(cur)
        elif a == "--state-machine":
            cur = {"name": val(), "tags": {}}
            spec["state_machines"].append(cur)
        elif a == "--json":
            with open(val(), encoding="utf-8") as f:
                extra = json.load(f)
            for k in ("buckets", "functions", "state_machines"):
                spec[k] += extra.get(k, [])
            for k in ("account", "region"):
                if k in extra:
                    spec[k] = extra[k]
        elif a in ("--zip", "--definition", "--runtime", "--handler", "--role",
                   "--tag", "--publish", "--alias"):
            if cur is None:
                raise SeedError(f"{a} must follow --function or --state-machine")
            is_fn = cur in spec["functions"]
            if a in ("--zip", "--runtime", "--handler", "--publish", "--alias") and not is_fn:
                raise SeedError(f"{a} applies to a --function")
            if a == "--definition" and is_fn:
                raise SeedError("--definition applies to a --state-machine")
            if a == "--tag":
                k, sep, v = val().partition("=")
                if not sep or not k:
                    raise SeedError("--tag takes KEY=VALUE")
                cur["tags"][k] = v
            elif a == "--publish":
                cur["publish"] = True
            elif a == "--alias":
                cur.setdefault("aliases", []).append(val())
            elif a == "--zip":
                cur["zip_file"] = val()
            elif a == "--definition":
                cur["definition_file"] = val()
            else:
                cur[a[2:]] = val()
        else:
            raise SeedError(f"unknown argument: {a}\n\n{USAGE}")
        i += 1
    if d is None:
        raise SeedError("--dir is required\n\n" + USAGE)
    return d, spec


def apply(spec, s3, lam, sfn, account, region):
    """Create what spec names; return the ARNs / names made."""
    if not isinstance(spec, dict):
        raise SeedError("the seed spec must be a JSON object")
    account = spec.get("account", account)
    region = spec.get("region", region)
    out = {"buckets": [], "functions": [], "state_machines": []}
    for b in spec.get("buckets", []):
        s3.seed_bucket(b, account, region)
        out["buckets"].append(b)
    for f in spec.get("functions", []):
        if "zip_file" in f:
            with open(f["zip_file"], "rb") as fp:
                data = fp.read()
        elif "zip_base64" in f:
            data = base64.b64decode(f["zip_base64"])
        else:
            raise SeedError(f"function {f.get('name')}: zip_file or zip_base64 needed")
        out["functions"].append(lam.seed(
            account, region, f["name"], data, tags=f.get("tags"),
            runtime=f.get("runtime", "provided.al2023"),
            handler=f.get("handler", "bootstrap"), role=f.get("role"),
            publish=bool(f.get("publish")), aliases=f.get("aliases", [])))
    for m in spec.get("state_machines", []):
        if "definition_file" in m:
            with open(m["definition_file"], encoding="utf-8") as fp:
                definition = fp.read()
        elif "definition" in m:
            definition = m["definition"]
        else:
            raise SeedError(f"state machine {m.get('name')}: definition needed")
        out["state_machines"].append(sfn.seed(
            account, region, m["name"], definition, tags=m.get("tags"),
            role=m.get("role"), sm_type=m.get("type", "STANDARD")))
    return out
