#!/usr/bin/env bash
# tests/cli/test_exec_resultwriter.sh: a Distributed Map's ResultWriter and
# Label under `stepdeploy exec --s3-dir DIR`, DIR/BUCKET/KEY standing for
# s3://BUCKET/KEY, as AWS documents them ("ResultWriter (Map)",
# docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html):
#
#   Resource s3:putObject + Parameters/Arguments {Bucket, Prefix}: the Map
#   Run's results under PREFIX/<Map Run id>/: manifest.json {DestinationBucket,
#   MapRunArn, ResultFiles {FAILED, PENDING, SUCCEEDED: [{Key, Size}]}},
#   SUCCEEDED_n.json and FAILED_n.json (a new file past 5 GB); the state's
#   result {"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}};
#   WriterConfig alone: the formatted results are the state's result;
#   Transformation NONE (child execution records), COMPACT (outputs), FLATTEN
#   (outputs, arrays spliced in), failed children always as records;
#   OutputType JSON or JSONL; Label names the Map Run.
#
# Ids are derived from the execution (its --name), the state and its entry
# event; dates come from the virtual clock. The checks of written files need
# python3.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_exec_resultwriter.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

S3=$T/s3
mkdir -p "$S3/out" "$S3/in"
printf '[{"n":1},{"n":2}]' >"$S3/in/items.json"
DP='"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}'
# A child that fails (Bad, "a number") for numbers and passes the rest.
KID='"ItemProcessor":{'"$DP"',"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$","IsNumeric":true,"Next":"F"}],"Default":"P"},"F":{"Type":"Fail","Error":"Bad","Cause":"a number"},"P":{"Type":"Pass","End":true}}}'
# A child that waits 5 s, then returns {"v": its input}.
SLOW='"ItemProcessor":{'"$DP"',"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"P"},"P":{"Type":"Pass","Parameters":{"v.$":"$"},"End":true}}}'
# The same in JSONata.
JSLOW='"ItemProcessor":{'"$DP"',"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"P"},"P":{"Type":"Pass","Output":{"v":"{% $states.input %}"},"End":true}}}'
PUT='"Resource":"arn:aws:states:::s3:putObject"'
SM=arn:aws:states:us-east-1:000000000000

# fcheck DESC EXPR: a python3 check over the run and the files written:
# r (stdout's JSON), text(key) and js(key) (the object s3://out/key),
# keys() (the keys under s3://out, sorted), dt(s) (a date in seconds).
fcheck() {
	[ -n "$PY" ] || { SKIPPED=$((SKIPPED + 1)); return 0; }
	if python3 - "$T/out" "$S3/out" "$2" <<'EOF'; then ok; else bad "$1"; fi
import datetime, json, os, sys
r = json.load(open(sys.argv[1]))
root = sys.argv[2]
def text(k): return open(os.path.join(root, k)).read()
def js(k): return json.loads(text(k))
def keys():
    out = []
    for d, _, fs in os.walk(root):
        out += [os.path.relpath(os.path.join(d, f), root) for f in fs]
    return sorted(out)
def dt(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
try:
    good = eval(sys.argv[3])
except Exception as e:
    print("    python: %r" % e)
    good = False
sys.exit(0 if good else 1)
EOF
}
clean() { rm -rf "$S3/out" && mkdir -p "$S3/out"; }

# ---------------------------------------------------------------- export, NONE
t "Resource + Parameters: the result names the Map Run and the manifest"
mkjson a.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"orders","MaxConcurrency":1,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out","Prefix":"jobs"}},'"$SLOW"',"End":true}}}'
run exec "$T/a.json" --input '[1,[2,3]]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
ID=8f398c90-3d26-5ce6-adfb-fe759cde9b8c
expect_json output '{"MapRunArn":"'$SM':mapRun:StateMachine/orders:'$ID'","ResultWriterDetails":{"Bucket":"out","Key":"jobs/'$ID'/manifest.json"}}'
fcheck "only manifest.json and SUCCEEDED_0.json are written" \
    'keys() == ["jobs/'$ID'/SUCCEEDED_0.json", "jobs/'$ID'/manifest.json"]'
fcheck "manifest.json: DestinationBucket, MapRunArn, ResultFiles with Key and Size" \
    'text("jobs/'$ID'/manifest.json") == json.dumps({"DestinationBucket": "out", "MapRunArn": "'$SM':mapRun:StateMachine/orders:'$ID'", "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": [{"Key": "jobs/'$ID'/SUCCEEDED_0.json", "Size": os.path.getsize(os.path.join(root, "jobs/'$ID'/SUCCEEDED_0.json"))}]}}, separators=(",", ":"))'
fcheck "SUCCEEDED_0.json: one record a child, AWS's fields in AWS's order" \
    '[list(x) for x in js("jobs/'$ID'/SUCCEEDED_0.json")] == [["ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails", "RedriveCount", "RedriveStatus", "RedriveStatusReason", "StartDate", "StateMachineArn", "Status", "StopDate"]] * 2'
fcheck "records: Input and Output as JSON text, status and redrive fields" \
    '[(x["Input"], x["Output"], x["InputDetails"], x["OutputDetails"], x["Status"], x["RedriveCount"], x["RedriveStatus"], x["RedriveStatusReason"]) for x in js("jobs/'$ID'/SUCCEEDED_0.json")] == [("1", "{\"v\":1}", {"Included": True}, {"Included": True}, "SUCCEEDED", 0, "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"), ("[2,3]", "{\"v\":[2,3]}", {"Included": True}, {"Included": True}, "SUCCEEDED", 0, "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven")]'
fcheck "records: child executions of the Label's state machine, named by UUID" \
    'all(x["StateMachineArn"] == "'$SM':stateMachine:StateMachine/orders" and x["ExecutionArn"] == "'$SM':execution:StateMachine/orders:" + x["Name"] and len(x["Name"]) == 36 and x["Name"].count("-") == 4 for x in js("jobs/'$ID'/SUCCEEDED_0.json")) and len({x["Name"] for x in js("jobs/'$ID'/SUCCEEDED_0.json")}) == 2'
fcheck "records: dates from the virtual clock (each child waits 5 s, one at a time)" \
    '[dt(x["StopDate"]) - dt(x["StartDate"]) for x in js("jobs/'$ID'/SUCCEEDED_0.json")] == [5, 5] and dt(js("jobs/'$ID'/SUCCEEDED_0.json")[1]["StartDate"]) == dt(js("jobs/'$ID'/SUCCEEDED_0.json")[0]["StopDate"])'

t "the same execution writes the same files (ids are derived, not random)"
cp "$S3/out/jobs/$ID/SUCCEEDED_0.json" "$T/first.json"
run exec "$T/a.json" --input '[1,[2,3]]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
expect_json output '{"MapRunArn":"'$SM':mapRun:StateMachine/orders:'$ID'","ResultWriterDetails":{"Bucket":"out","Key":"jobs/'$ID'/manifest.json"}}'
fcheck "same names, same StateMachineArn" \
    '[(x["Name"], x["Input"], x["Output"]) for x in js("jobs/'$ID'/SUCCEEDED_0.json")] == [(x["Name"], x["Input"], x["Output"]) for x in json.load(open("'"$T"'/first.json"))]'

t "another execution name, another Map Run"
run exec "$T/a.json" --input '[1]' --s3-dir "$S3" --name run2
expect_status SUCCEEDED
expect_py "a new Map Run id" 'r["output"]["MapRunArn"].startswith("'$SM':mapRun:StateMachine/orders:") and "'$ID'" not in r["output"]["MapRunArn"] and r["output"]["ResultWriterDetails"]["Key"] == "jobs/" + r["output"]["MapRunArn"].rsplit(":", 1)[1] + "/manifest.json"'

t "without a Label the Map Run gets a generated one; no Prefix: the key starts at the id"
clean
mkjson a2.json '{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"}},'"$SLOW"',"End":true}}}'
run exec "$T/a2.json" --input '[1]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
fcheck "mapRun:StateMachine/<uuid>:<id>, key <id>/manifest.json" \
    'len(r["output"]["MapRunArn"].split(":mapRun:StateMachine/")[1].split(":")[0]) == 36 and keys() == [r["output"]["ResultWriterDetails"]["Key"].replace("manifest", "SUCCEEDED_0"), r["output"]["ResultWriterDetails"]["Key"]] and r["output"]["ResultWriterDetails"]["Key"].count("/") == 1'

t "a Prefix ending in / is not doubled"
clean
mkjson a3.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"x","ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out","Prefix":"a/b/"}},'"$SLOW"',"End":true}}}'
run exec "$T/a3.json" --input '[1]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
fcheck "key a/b/<id>/manifest.json" 'r["output"]["ResultWriterDetails"]["Key"].startswith("a/b/") and "//" not in r["output"]["ResultWriterDetails"]["Key"] and r["output"]["ResultWriterDetails"]["Key"] in keys()'

# ---------------------------------------------------------------- failures
t "failed children go to FAILED_0.json as records with Error and Cause"
clean
mkjson f.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"f","ToleratedFailureCount":1,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out","Prefix":"p"}},'"$KID"',"End":true}}}'
run exec "$T/f.json" --input '["a",5,"b"]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
fcheck "manifest lists both files, with their sizes" \
    'js(r["output"]["ResultWriterDetails"]["Key"])["ResultFiles"] == {"FAILED": [{"Key": "p/%s/FAILED_0.json" % r["output"]["MapRunArn"].rsplit(":", 1)[1], "Size": len(text("p/%s/FAILED_0.json" % r["output"]["MapRunArn"].rsplit(":", 1)[1]))}], "PENDING": [], "SUCCEEDED": [{"Key": "p/%s/SUCCEEDED_0.json" % r["output"]["MapRunArn"].rsplit(":", 1)[1], "Size": len(text("p/%s/SUCCEEDED_0.json" % r["output"]["MapRunArn"].rsplit(":", 1)[1]))}]}'
fcheck "FAILED_0.json: Cause, Error, ..., RedriveStatus REDRIVABLE, Status FAILED, no Output" \
    '[(list(x), x["Cause"], x["Error"], x["Input"], x["Status"], x["RedriveStatus"]) for x in js("p/%s/FAILED_0.json" % r["output"]["MapRunArn"].rsplit(":", 1)[1])] == [(["Cause", "Error", "ExecutionArn", "Input", "InputDetails", "Name", "RedriveCount", "RedriveStatus", "StartDate", "StateMachineArn", "Status", "StopDate"], "a number", "Bad", "5", "FAILED", "REDRIVABLE")]'
fcheck "SUCCEEDED_0.json: the other two, in item order" \
    '[x["Input"] for x in js("p/%s/SUCCEEDED_0.json" % r["output"]["MapRunArn"].rsplit(":", 1)[1])] == ["\"a\"", "\"b\""]'

t "tolerance exceeded: the Map fails, and its run's results are written"
clean
mkjson f2.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"f","ToleratedFailureCount":0,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"}},'"$KID"',"End":true}}}'
run exec "$T/f2.json" --input '["a",5]' --s3-dir "$S3" --name run1
expect_status FAILED
expect_json error '"States.ExceedToleratedFailureThreshold"'
fcheck "manifest, SUCCEEDED_0.json and FAILED_0.json" \
    '[k.split("/")[1] for k in keys()] == ["FAILED_0.json", "SUCCEEDED_0.json", "manifest.json"]'

# "Tolerated failure threshold for Distributed Map state",
# docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html:
# the default tolerance is zero, a breach fails the Map Run with
# States.ExceedToleratedFailureThreshold; the items it never started are
# written to PENDING_0.json, each {"Input", "InputDetails", "Status":
# "PENDING"}, and listed in the manifest ("ResultWriter (Map)").
t "a failure without tolerance fails the run; what never started is PENDING"
clean
mkjson f3.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"f","MaxConcurrency":1,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"}},'"$KID"',"End":true}}}'
run exec "$T/f3.json" --input '["a",5,"b",[6]]' --s3-dir "$S3" --name run1
expect_status FAILED
expect_json error '"States.ExceedToleratedFailureThreshold"'
expect_json cause '"The specified tolerance threshold was exceeded"'
fcheck "the succeeded child, the failed one, and the two never started" \
    '[[x["Status"] for x in js(k)] for k in keys() if "_0" in k] == [["FAILED"], ["PENDING", "PENDING"], ["SUCCEEDED"]]'
fcheck "PENDING_0.json exactly" \
    'text("'$ID'/PENDING_0.json") == json.dumps([{"Input": "\"b\"", "InputDetails": {"Included": True}, "Status": "PENDING"}, {"Input": "[6]", "InputDetails": {"Included": True}, "Status": "PENDING"}], separators=(",", ":"))'
fcheck "the manifest lists PENDING_0.json with its size" \
    'js("'$ID'/manifest.json")["ResultFiles"]["PENDING"] == [{"Key": "'$ID'/PENDING_0.json", "Size": len(text("'$ID'/PENDING_0.json"))}]'

t "ToleratedFailureCount 1: the second failure ends the run, the rest PENDING"
clean
mkjson f4.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"f","ToleratedFailureCount":1,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"}},'"$KID"',"End":true}}}'
run exec "$T/f4.json" --input '[1,"a",2,3]' --s3-dir "$S3" --name run1
expect_status FAILED
expect_json error '"States.ExceedToleratedFailureThreshold"'
fcheck "FAILED 1 and 2, SUCCEEDED a, PENDING 3" \
    '[[x["Input"] for x in js(k)] for k in keys() if "_0" in k] == [["1", "2"], ["3"], ["\"a\""]]'

t "ToleratedFailurePercentage 50 with ToleratedFailureCount 5: either breach fails"
clean
mkjson f5.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"f","ToleratedFailureCount":5,"ToleratedFailurePercentage":50,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"}},'"$KID"',"End":true}}}'
run exec "$T/f5.json" --input '[1,2,3,"a"]' --s3-dir "$S3" --name run1
expect_status FAILED
expect_json error '"States.ExceedToleratedFailureThreshold"'
fcheck "3 of 4 is past 50 %: FAILED 1, 2, 3; PENDING a" \
    '[[x["Input"] for x in js(k)] for k in keys() if "_0" in k] == [["1", "2", "3"], ["\"a\""]]'

# ---------------------------------------------------------------- WriterConfig
t "export with COMPACT: SUCCEEDED_0.json holds the outputs; the result is the same shape"
clean
mkjson c.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"c","ToleratedFailureCount":1,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"},"WriterConfig":{"OutputType":"JSON","Transformation":"COMPACT"}},'"$KID"',"End":true}}}'
run exec "$T/c.json" --input '[["a","b"],5,{"k":1}]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
fcheck "result {MapRunArn, ResultWriterDetails}" 'list(r["output"]) == ["MapRunArn", "ResultWriterDetails"]'
fcheck "SUCCEEDED_0.json is [[\"a\",\"b\"],{\"k\":1}]; the failure keeps its record" \
    '[text(k) for k in keys() if "SUCCEEDED_0" in k] == ["[[\"a\",\"b\"],{\"k\":1}]"] and [[x["Error"] for x in js(k)] for k in keys() if "FAILED_0" in k] == [["Bad"]]'

t "export with FLATTEN and JSONL: one value a line, arrays spliced in, still .json"
clean
mkjson c2.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"c","ToleratedFailureCount":1,"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"},"WriterConfig":{"OutputType":"JSONL","Transformation":"FLATTEN"}},'"$KID"',"End":true}}}'
run exec "$T/c2.json" --input '[["a","b"],5,{"k":1}]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
fcheck "SUCCEEDED_0.json lines" '[text(k) for k in keys() if "SUCCEEDED_0" in k] == ["\"a\"\n\"b\"\n{\"k\":1}\n"]'
fcheck "FAILED_0.json: one record on one line" \
    '[[json.loads(l)["Status"] for l in text(k).splitlines()] for k in keys() if "FAILED_0" in k] == [["FAILED"]] and [text(k).endswith("}\n") for k in keys() if "FAILED_0" in k] == [True]'

t "export with NONE and JSONL: records a line"
clean
mkjson c3.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"c","ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"},"WriterConfig":{"OutputType":"JSONL","Transformation":"NONE"}},'"$SLOW"',"End":true}}}'
run exec "$T/c3.json" --input '[1,2]' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
fcheck "two lines, each a SUCCEEDED record" \
    '[[json.loads(l)["Output"] for l in text(k).splitlines()] for k in keys() if "SUCCEEDED_0" in k] == [["{\"v\":1}", "{\"v\":2}"]]'

t "WriterConfig alone, COMPACT: the outputs are the state's result"
mkjson p1.json '{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"ResultWriter":{"WriterConfig":{"OutputType":"JSON","Transformation":"COMPACT"}},'"$KID"',"End":true}}}'
run exec "$T/p1.json" --input '[["a","b"],{"k":1}]' --name run1
expect_status SUCCEEDED
expect_json output '[["a","b"],{"k":1}]'

t "WriterConfig alone, FLATTEN: arrays spliced in"
mkjson p2.json '{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"WriterConfig":{"OutputType":"JSON","Transformation":"FLATTEN"}},'"$KID"',"End":true}}}'
run exec "$T/p2.json" --input '[["a","b"],{"k":1},[["c"]]]' --name run1
expect_status SUCCEEDED
expect_json output '["a","b",{"k":1},["c"]]'

t "WriterConfig alone, FLATTEN with a tolerated failure: the failure as its record"
mkjson p3.json '{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN"}},'"$KID"',"End":true}}}'
run exec "$T/p3.json" --input '[["a"],7]' --name run1
expect_status SUCCEEDED
expect_py "[\"a\", {record of the failure}]" 'r["output"][0] == "a" and r["output"][1]["Status"] == "FAILED" and r["output"][1]["Error"] == "Bad" and r["output"][1]["Input"] == "7"'

t "WriterConfig alone, NONE: the records are the result"
mkjson p4.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"n","ResultWriter":{"WriterConfig":{"Transformation":"NONE"}},'"$SLOW"',"End":true}}}'
run exec "$T/p4.json" --input '[1]' --name run1
expect_status SUCCEEDED
expect_py "one SUCCEEDED record" 'len(r["output"]) == 1 and r["output"][0]["Output"] == "{\"v\":1}" and r["output"][0]["StateMachineArn"] == "'$SM':stateMachine:StateMachine/n"'

# ---------------------------------------------------------------- processing
t "ResultSelector and ResultPath apply to the ResultWriter's result"
clean
mkjson s.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"s","ItemsPath":"$.xs","ResultWriter":{'"$PUT"',"Parameters":{"Bucket.$":"$.bucket","Prefix.$":"$.prefix"}},'"$SLOW"',"ResultSelector":{"manifest.$":"$.ResultWriterDetails.Key","start.$":"$$.Execution.StartTime"},"ResultPath":"$.rw","End":true}}}'
run exec "$T/s.json" --input '{"xs":[1],"bucket":"out","prefix":"dyn"}' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
expect_py "ResultPath keeps the input; the manifest key from the selector" 'r["output"]["xs"] == [1] and r["output"]["rw"]["manifest"].startswith("dyn/") and r["output"]["rw"]["manifest"].endswith("/manifest.json")'
fcheck "the first child starts when the execution does" \
    'dt(js(r["output"]["rw"]["manifest"].replace("manifest", "SUCCEEDED_0"))[0]["StartDate"]) == dt(r["output"]["rw"]["start"])'

t "JSONata: Arguments with expressions, Output over \$states.result"
clean
mkjson j.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Label":"j","Items":"{% $states.input.xs %}","ResultWriter":{'"$PUT"',"Arguments":{"Bucket":"{% $states.input.b %}","Prefix":"{% \"j-\" & $string($count($states.input.xs)) %}"}},'"$JSLOW"',"Output":"{% $states.result.ResultWriterDetails %}","End":true}}}'
run exec "$T/j.json" --input '{"b":"out","xs":[1,2]}' --s3-dir "$S3" --name run1
expect_status SUCCEEDED
expect_py "{Bucket, Key} under j-2/" 'r["output"]["Bucket"] == "out" and r["output"]["Key"].startswith("j-2/")'
fcheck "two records" 'len(js(r["output"]["Key"].replace("manifest", "SUCCEEDED_0"))) == 2'

t "ItemReader and ResultWriter together"
clean
mkjson ir.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"ir","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"in","Key":"items.json"}},"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSON"}},'"$SLOW"',"End":true}}}'
run exec "$T/ir.json" --s3-dir "$S3" --name run1
expect_status SUCCEEDED
fcheck "the items read, processed, written" '[text(k) for k in keys() if "SUCCEEDED_0" in k] == ["[{\"v\":{\"n\":1}},{\"v\":{\"n\":2}}]"]'

t "a result file past the size limit continues in SUCCEEDED_1.json (limit lowered for the test)"
clean
mkjson sp.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"sp","ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"},"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSON"}},'"$KID"',"End":true}}}'
export STEPDEPLOY_TEST_RW_MAX_FILE=21
run exec "$T/sp.json" --input '["aaaaaaa","bbbbbbb","ccccccccccccccccccccccccc","d"]' --s3-dir "$S3" --name run1
unset STEPDEPLOY_TEST_RW_MAX_FILE
expect_status SUCCEEDED
fcheck "three files, each an array; the manifest lists them in order" \
    '[text(f["Key"]) for f in js(r["output"]["ResultWriterDetails"]["Key"])["ResultFiles"]["SUCCEEDED"]] == ["[\"aaaaaaa\",\"bbbbbbb\"]", "[\"ccccccccccccccccccccccccc\"]", "[\"d\"]"] and [f["Key"].rsplit("/", 1)[1] for f in js(r["output"]["ResultWriterDetails"]["Key"])["ResultFiles"]["SUCCEEDED"]] == ["SUCCEEDED_0.json", "SUCCEEDED_1.json", "SUCCEEDED_2.json"] and all(f["Size"] == len(text(f["Key"])) for f in js(r["output"]["ResultWriterDetails"]["Key"])["ResultFiles"]["SUCCEEDED"])'

# ---------------------------------------------------------------- run errors
t "without --s3-dir: States.ResultWriterFailed, saying so, before any child runs"
run exec "$T/a.json" --input '[1]' --history
expect_status FAILED
expect_json error '"States.ResultWriterFailed"'
expect_has cause "--s3-dir"
expect_py "no child ran" 'types is not None and "MapIterationStarted" not in types and "MapStateStarted" not in types'

t "more items than a ResultWriter records: States.ResultWriterFailed before any child runs (limit lowered for the test)"
clean
export STEPDEPLOY_TEST_RW_MAX_CHILDREN=3
run exec "$T/sp.json" --input '["a","b","c","d"]' --s3-dir "$S3" --name run1 --history
expect_status FAILED
expect_json error '"States.ResultWriterFailed"'
expect_has cause "The Map Run would have 4 child executions, more than the 3 a ResultWriter records"
expect_py "no child ran" 'types is not None and "MapRunStarted" not in types and "MapStateStarted" not in types'
fcheck "nothing written" 'keys() == []'
run exec "$T/sp.json" --input '["a","b","c"]' --s3-dir "$S3" --name run2
unset STEPDEPLOY_TEST_RW_MAX_CHILDREN
expect_status SUCCEEDED

t "a bucket that does not exist: States.ResultWriterFailed"
mkjson e1.json '{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"nobucket"}},'"$SLOW"',"End":true}}}'
run exec "$T/e1.json" --input '[1]' --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ResultWriterFailed"'
expect_has cause "The bucket nobucket does not exist"

t "a Bucket that is not a string, a key that climbs out: States.ResultWriterFailed"
mkjson e2.json '{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{'"$PUT"',"Parameters":{"Bucket.$":"$.b","Prefix.$":"$.p"}},'"$SLOW"',"ItemsPath":"$.xs","End":true}}}'
run exec "$T/e2.json" --input '{"b":5,"p":"x","xs":[1]}' --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ResultWriterFailed"'
expect_has cause "The ResultWriter's \"Bucket\" must be a string"
run exec "$T/e2.json" --input '{"b":"out","p":"../../x","xs":[1]}' --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ResultWriterFailed"'
expect_has cause "cannot be written in the local directory"

t "a write that fails after the children ran: States.ResultWriterFailed, which Catch takes"
clean
printf 'x' >"$S3/out/blocked"
mkjson e3.json '{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out","Prefix":"blocked"}},'"$SLOW"',"Catch":[{"ErrorEquals":["States.ResultWriterFailed"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}'
run exec "$T/e3.json" --input '[1]' --s3-dir "$S3"
expect_status SUCCEEDED
expect_py "caught: Error States.ResultWriterFailed, a cause naming the key" 'r["output"]["Error"] == "States.ResultWriterFailed" and "cannot be written" in r["output"]["Cause"] and "s3://out/blocked/" in r["output"]["Cause"]'

# ---------------------------------------------------------------- load errors
DEF() { printf '{"StartAt":"M","States":{"M":{"Type":"Map",%s,%s,"End":true}}}' "$1" "${2:-$SLOW}"; }
JDEF() { printf '{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",%s,%s,"End":true}}}' "$1" "$JSLOW"; }
INL='"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
bad_defs=(
	"$(DEF '"ResultWriter":{}')	/States/M/ResultWriter"
	"$(DEF '"ResultWriter":[]')	/States/M/ResultWriter"
	"$(DEF '"ResultWriter":{'"$PUT"'}')	/States/M/ResultWriter"
	"$(DEF '"ResultWriter":{"Parameters":{"Bucket":"b"}}')	/States/M/ResultWriter/Parameters"
	"$(DEF '"ResultWriter":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b"}}')	/States/M/ResultWriter/Resource"
	"$(DEF '"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"b","Key":"k"}}')	/States/M/ResultWriter/Parameters/Key"
	"$(DEF '"ResultWriter":{'"$PUT"',"Parameters":{"Prefix":"p"}}')	/States/M/ResultWriter/Parameters"
	"$(DEF '"ResultWriter":{'"$PUT"',"Arguments":{"Bucket":"b"}}')	/States/M/ResultWriter/Arguments"
	"$(DEF '"ResultWriter":{"Extra":1,"WriterConfig":{}}')	/States/M/ResultWriter/Extra"
	"$(DEF '"ResultWriter":{"WriterConfig":[]}')	/States/M/ResultWriter/WriterConfig"
	"$(DEF '"ResultWriter":{"WriterConfig":{"OutputType":"CSV"}}')	/States/M/ResultWriter/WriterConfig/OutputType"
	"$(DEF '"ResultWriter":{"WriterConfig":{"Transformation":"SQUASH"}}')	/States/M/ResultWriter/WriterConfig/Transformation"
	"$(DEF '"ResultWriter":{"WriterConfig":{"Other":1}}')	/States/M/ResultWriter/WriterConfig/Other"
	"$(DEF '"ResultWriter":{"WriterConfig":{"OutputType":"JSONL"}}')	/States/M/ResultWriter/WriterConfig/OutputType"
	"$(DEF '"ResultWriter":{"WriterConfig":{}}' "$INL")	/States/M/ResultWriter"
	"$(JDEF '"ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"b"}}')	/States/M/ResultWriter/Parameters"
	"$(DEF '"Label":""')	/States/M/Label"
	"$(DEF '"Label":"has space"')	/States/M/Label"
	"$(DEF '"Label":"a:b"')	/States/M/Label"
	"$(DEF '"Label":"a/b"')	/States/M/Label"
	"$(DEF '"Label":"12345678901234567890123456789012345678901"')	/States/M/Label"
	"$(DEF '"Label":7')	/States/M/Label"
	'{"StartAt":"M","States":{"M":{"Type":"Map","Label":"same",'"$SLOW"',"Next":"N"},"N":{"Type":"Map","Label":"same",'"$SLOW"',"End":true}}}	/States/N/Label'
)
for e in "${bad_defs[@]}"; do
	def=${e%%	*} loc=${e##*	}
	t "refused at load and by validate at $loc: $def"
	mkjson bad.json "$def"
	run exec "$T/bad.json" --input '[1]' --s3-dir "$S3"
	if [ "$RC" = 2 ] && grep -qF "$loc" "$T/err"; then ok; else
		bad "exec: not refused at $loc: $(cat "$T/err")"
	fi
	run validate "$T/bad.json"
	if [ "$RC" = 1 ] && grep -qF "error $loc" "$T/out"; then ok; else
		bad "validate: no error at $loc: $OUT"
	fi
done

good_defs=(
	"$(DEF '"Label":"a-40-character-label_0123456789abcdefghi","ResultWriter":{"WriterConfig":{"OutputType":"JSON","Transformation":"FLATTEN"}}')"
	"$(DEF '"ResultWriter":{'"$PUT"',"Parameters":{"Bucket.$":"$.b","Prefix":"p"},"WriterConfig":{"OutputType":"JSONL","Transformation":"NONE"}}')"
	"$(JDEF '"ResultWriter":{'"$PUT"',"Arguments":"{% {\"Bucket\": $states.input.b} %}"}')"
	"$(DEF '"Label":"x","ResultWriter":{'"$PUT"',"Parameters":{"Bucket":"out"}}')"
)
for def in "${good_defs[@]}"; do
	t "accepted at load and clean under validate: $def"
	mkjson good.json "$def"
	run validate "$T/good.json"
	if [ "$RC" = 0 ]; then ok; else bad "validate: $OUT"; fi
	run exec "$T/good.json" --input '[1]' --s3-dir "$S3"
	if [ "$RC" != 2 ]; then ok; else bad "exec refused it: $(cat "$T/err")"; fi
done

finish
