#!/usr/bin/env bash
# tests/cli/test_exec_itemreader.sh: a Distributed Map's ItemReader under
# `stepdeploy exec --s3-dir DIR`, DIR/BUCKET/KEY standing for s3://BUCKET/KEY.
# Items as AWS delivers them ("ItemReader (Map)", docs.aws.amazon.com/
# step-functions/latest/dg/input-output-itemreader.html): a JSON array's
# elements, one JSONL value per line, CSV rows as objects of strings (headers
# from the FIRST_ROW or GIVEN; CSVDelimiter), listObjectsV2 entries {Etag,
# Key, LastModified, Size, StorageClass}, an S3 inventory (MANIFEST);
# MaxItems / MaxItemsPath.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_exec_itemreader.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

S3=$T/s3
mkdir -p "$S3/bk/data/deep"
printf '[{"a":1},{"a":2},{"a":3}]' >"$S3/bk/data/x.json"
printf '{"n":1}\n{"n":2}\r\n\n{"n":3}\n' >"$S3/bk/data/y.jsonl"
printf 'id,name\n1,"Smith, J"\n2,"say ""hi"""\n3,"two\nlines"\n' >"$S3/bk/c.csv"
printf '1|a\n2|b\n' >"$S3/bk/pipe.csv"
printf 'z' >"$S3/bk/data/deep/z.txt"
touch -d '2024-01-02T03:04:05Z' "$S3/bk/data/x.json" "$S3/bk/data/y.jsonl" "$S3/bk/data/deep/z.txt"
PROC='"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
# expect_keys JSON: the Keys of the listing the Map output, in order.
expect_keys() {
	if pyq '[o.get("Key") for o in r.get("output", [])] == json.loads(args[0])' "$1"; then ok; else bad "the keys listed are not $1: $OUT"; fi
}
reader() {	# reader FILE READER_JSON
	mkjson "$1" '{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":'"$2"','"$PROC"',"End":true}}}'
}

t "getObject JSON: the array's elements"
reader r1.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"bk","Key":"data/x.json"}}'
run exec "$T/r1.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_json output '[{"a":1},{"a":2},{"a":3}]'

t "getObject JSON with MaxItems"
reader r1m.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":2},"Parameters":{"Bucket":"bk","Key":"data/x.json"}}'
run exec "$T/r1m.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_json output '[{"a":1},{"a":2}]'

t "getObject JSONL, Parameters from the input, MaxItemsPath"
reader r2.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL","MaxItemsPath":"$.max"},"Parameters":{"Bucket.$":"$.b","Key":"data/y.jsonl"}}'
run exec "$T/r2.json" --s3-dir "$S3" --input '{"b":"bk","max":0}'
expect_status SUCCEEDED
expect_json output '[{"n":1},{"n":2},{"n":3}]'

t "getObject CSV with FIRST_ROW headers: values are strings, quotes as RFC 4180"
reader r3.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket":"bk","Key":"c.csv"}}'
run exec "$T/r3.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_json output '[{"id":"1","name":"Smith, J"},{"id":"2","name":"say \"hi\""},{"id":"3","name":"two\nlines"}]'

t "getObject CSV with GIVEN headers and CSVDelimiter PIPE"
reader r4.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["num","letter"],"CSVDelimiter":"PIPE"},"Parameters":{"Bucket":"bk","Key":"pipe.csv"}}'
run exec "$T/r4.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_json output '[{"num":"1","letter":"a"},{"num":"2","letter":"b"}]'

t "listObjectsV2 with a Prefix: keys in order, S3's fields"
reader r5.json '{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"bk","Prefix":"data/"}}'
run exec "$T/r5.json" --s3-dir "$S3"
expect_status SUCCEEDED
E1=$(md5sum <"$S3/bk/data/deep/z.txt" | cut -d' ' -f1)
E2=$(md5sum <"$S3/bk/data/x.json" | cut -d' ' -f1)
E3=$(md5sum <"$S3/bk/data/y.jsonl" | cut -d' ' -f1)
expect_json output '[{"Etag":"\"'$E1'\"","Key":"data/deep/z.txt","LastModified":1704164645,"Size":1,"StorageClass":"STANDARD"},{"Etag":"\"'$E2'\"","Key":"data/x.json","LastModified":1704164645,"Size":25,"StorageClass":"STANDARD"},{"Etag":"\"'$E3'\"","Key":"data/y.jsonl","LastModified":1704164645,"Size":26,"StorageClass":"STANDARD"}]'

t "listObjectsV2 with a Prefix that ends inside a name"
reader r5b.json '{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"bk","Prefix":"data/d"}}'
run exec "$T/r5b.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_keys '["data/deep/z.txt"]'

# A listing never leaves out what it cannot list: keys nested past the
# reader's 32 levels fail the Map, naming the limit; a Prefix elsewhere in
# the bucket does not read them.
DEEP=$S3/dp/a
for i in $(seq 1 34); do DEEP=$DEEP/d$i; done
mkdir -p "$DEEP" "$S3/dp/b"
printf 'x' >"$DEEP/k.txt"
printf 'y' >"$S3/dp/b/k.txt"
t "listObjectsV2: keys nested past 32 levels fail the Map, naming the limit"
reader r5c.json '{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"dp"}}'
run exec "$T/r5c.json" --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ItemReaderFailed"'
expect_has cause "The bucket dp cannot be listed: s3://dp/a/d1/"
expect_has cause "is nested deeper than 32 levels, the most the ItemReader lists"
t "listObjectsV2: a Prefix beside the deep keys lists without them"
reader r5d.json '{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"dp","Prefix":"b/"}}'
run exec "$T/r5d.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_keys '["b/k.txt"]'

t "JSONata: Arguments and ItemSelector over the items read"
mkjson r6.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","MaxItems":"{% $states.input.n %}"},"Arguments":{"Bucket":"bk","Key":"{% $states.input.key %}"}},"ItemSelector":{"v":"{% $states.context.Map.Item.Value.a * 10 %}"},'"$PROC"',"End":true}}}'
run exec "$T/r6.json" --s3-dir "$S3" --input '{"key":"data/x.json","n":2}'
expect_status SUCCEEDED
expect_json output '[{"v":10},{"v":20}]'

t "a key that does not exist: States.ItemReaderFailed"
reader r7.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"bk","Key":"nope.json"}}'
run exec "$T/r7.json" --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ItemReaderFailed"'
expect_has cause "The object s3://bk/nope.json cannot be read: The specified key does not exist."

t "a key that climbs out of the directory is refused"
reader r8.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"bk","Key":"../../etc/passwd"}}'
run exec "$T/r8.json" --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ItemReaderFailed"'

t "a JSON object that is not an array"
printf '{"a":1}' >"$S3/bk/obj.json"
reader r9.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"bk","Key":"obj.json"}}'
run exec "$T/r9.json" --s3-dir "$S3"
expect_status FAILED
expect_has cause "must hold a JSON array"

t "without --s3-dir the ItemReader fails, saying so"
run exec "$T/r1.json"
expect_status FAILED
expect_has cause "--s3-dir"

for bad in '{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"bk","Key":"k"}}' \
    '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"PARQUET"},"Parameters":{"Bucket":"bk","Key":"k"}}' \
    '{"Resource":"arn:aws:states:::lambda:invoke","Parameters":{}}' \
    '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","Extra":1},"Parameters":{"Bucket":"bk","Key":"k"}}' \
    '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN"},"Parameters":{"Bucket":"bk","Key":"k"}}'; do
	t "refused at load: $bad"
	reader bad.json "$bad"
	run exec "$T/bad.json" --s3-dir "$S3"
	if [ "$RC" = 2 ] && grep -qF "/States/M/ItemReader" "$T/err"; then ok; else
		bad "not refused at /States/M/ItemReader: $(cat "$T/err")"
	fi
done

# ---------------------------------------------------------------- MANIFEST
# InputType MANIFEST: an S3 inventory's manifest.json ("ItemReader (Map)",
# S3 inventory manifest, docs.aws.amazon.com/step-functions/latest/dg/
# input-output-itemreader.html; the manifest's shape: "Locating your
# inventory list", docs.aws.amazon.com/AmazonS3/latest/userguide/
# storage-inventory-location.html): the rows of the CSV data files listed
# in "files" (gzip-compressed), in destinationBucket, each an object keyed
# by the columns of fileSchema, every value a string.
mkdir -p "$S3/inv/list/data" "$S3/src"
printf '"src","csvDataset/0.csv","2","2022-11-16T00:29:32.000Z"\n"src","csvDataset/1.csv","3","2022-11-16T00:29:33.000Z"\n' |
    gzip -c >"$S3/inv/list/data/a.csv.gz"
printf '"src","a, b.csv","7","2022-11-17T00:00:00.000Z"\n' >"$S3/inv/list/data/b.csv"
mkjson man.json '{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1668560400000","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate","files":[{"key":"list/data/a.csv.gz","size":120,"MD5checksum":"x"},{"key":"list/data/b.csv","size":40,"MD5checksum":"y"}]}'
cp "$T/man.json" "$S3/inv/list/manifest.json"
MANR='{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"MANIFEST"},"Parameters":{"Bucket":"inv","Key":"list/manifest.json"}}'

t "MANIFEST: the rows of every listed file, gzip or not, keyed by fileSchema"
reader m1.json "$MANR"
run exec "$T/m1.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_json output '[{"Bucket":"src","Key":"csvDataset/0.csv","Size":"2","LastModifiedDate":"2022-11-16T00:29:32.000Z"},{"Bucket":"src","Key":"csvDataset/1.csv","Size":"3","LastModifiedDate":"2022-11-16T00:29:33.000Z"},{"Bucket":"src","Key":"a, b.csv","Size":"7","LastModifiedDate":"2022-11-17T00:00:00.000Z"}]'

t "MANIFEST with MaxItems 2: the reading stops across files"
reader m2.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"MANIFEST","MaxItems":2},"Parameters":{"Bucket":"inv","Key":"list/manifest.json"}}'
run exec "$T/m2.json" --s3-dir "$S3"
expect_status SUCCEEDED
expect_py "two items" 'len(r["output"]) == 2 and r["output"][1]["Key"] == "csvDataset/1.csv"'

t "MANIFEST: a listed file that is missing fails with States.ItemReaderFailed"
sed 's#list/data/b.csv#list/data/none.csv#' "$T/man.json" >"$S3/inv/list/manifest.json"
run exec "$T/m1.json" --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ItemReaderFailed"'
expect_has cause "The object s3://inv/list/data/none.csv cannot be read: The specified key does not exist."

t "MANIFEST: a manifest without fileSchema"
printf '{"fileFormat":"CSV","destinationBucket":"inv","files":[]}' >"$S3/inv/list/manifest.json"
run exec "$T/m1.json" --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ItemReaderFailed"'
expect_has cause "The object s3://inv/list/manifest.json is not an S3 inventory manifest: it needs the strings fileFormat, fileSchema and destinationBucket, and files"

t "MANIFEST: an ORC inventory is refused"
printf '{"fileFormat":"ORC","fileSchema":"Bucket, Key","destinationBucket":"inv","files":[]}' >"$S3/inv/list/manifest.json"
run exec "$T/m1.json" --s3-dir "$S3"
expect_status FAILED
expect_has cause 'fileFormat "ORC" is not read'

t "MANIFEST: a corrupt gzip file"
cp "$T/man.json" "$S3/inv/list/manifest.json"
printf '\037\213\010\000garbage' >"$S3/inv/list/data/a.csv.gz"
run exec "$T/m1.json" --s3-dir "$S3"
expect_status FAILED
expect_json error '"States.ItemReaderFailed"'
expect_has cause "The object s3://inv/list/data/a.csv.gz is not a valid gzip file"

t "InputType PARQUET is refused at load, named"
reader p1.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"PARQUET"},"Parameters":{"Bucket":"bk","Key":"k"}}'
run exec "$T/p1.json" --s3-dir "$S3"
if [ "$RC" = 2 ] && grep -qF '/States/M/ItemReader/ReaderConfig/InputType' "$T/err" && grep -qF '"PARQUET" is not read' "$T/err"; then ok; else
	bad "PARQUET not refused by name: $(cat "$T/err")"
fi

# ---------------------------------------------------------------- mocks
# --mocks answers an ItemReader, keyed by the Map state's name: {"body":
# TEXT} is the object s3:getObject reads (parsed as from --s3-dir, by its
# InputType), {"objects": [...]} the s3:listObjectsV2 listing (Prefix and
# MaxItems apply). Shapes as in "ItemReader (Map)" above.
t "mocked getObject CSV body: rows as from --s3-dir"
reader k1.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},"Parameters":{"Bucket":"nobucket","Key":"k"}}'
mkjson k1m.json '{"M":{"body":"id,name\n1,\"Smith, J\"\n2,x\n"}}'
run exec "$T/k1.json" --mocks "$T/k1m.json"
expect_status SUCCEEDED
expect_json output '[{"id":"1","name":"Smith, J"},{"id":"2","name":"x"}]'

t "mocked getObject JSONL body with MaxItems"
reader k2.json '{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL","MaxItems":2},"Parameters":{"Bucket":"b","Key":"k"}}'
mkjson k2m.json '{"M":{"body":"{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"}}'
run exec "$T/k2.json" --mocks "$T/k2m.json"
expect_status SUCCEEDED
expect_json output '[{"n":1},{"n":2}]'

t "a mocked body that is not JSON fails with States.ItemReaderFailed"
mkjson k3m.json '{"M":{"body":"[1,"}}'
run exec "$T/r1.json" --mocks "$T/k3m.json"
expect_status FAILED
expect_json error '"States.ItemReaderFailed"'
expect_has cause "The mocked object is not JSON"

t "mocked listObjectsV2: the listing, filtered by Prefix"
reader k4.json '{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b","Prefix":"in/"}}'
mkjson k4m.json '{"M":{"objects":[{"Key":"in/a","Size":1},{"Key":"out/b","Size":2},{"Key":"in/c","Size":3}]}}'
run exec "$T/k4.json" --mocks "$T/k4m.json"
expect_status SUCCEEDED
expect_json output '[{"Key":"in/a","Size":1},{"Key":"in/c","Size":3}]'

for bad in '{"M":{"objects":[{"Key":"a"}]}}|/M|calls s3:getObject' \
    '{"M":{"body":"[]","objects":[]}}|/M|only' \
    '{"M":{"body":7}}|/M|"body" must be a string' \
    '{"Nope":{"body":"[]"}}|/Nope|keyed by the name of a Map state'; do
	t "a bad ItemReader mock is refused, located: ${bad%%|*}"
	mkjson kb.json "${bad%%|*}"
	rest=${bad#*|}
	run exec "$T/r1.json" --mocks "$T/kb.json"
	if [ "$RC" = 2 ] && grep -qF "${rest%%|*}" "$T/err" && grep -qF "${rest#*|}" "$T/err"; then ok; else
		bad "not refused at ${rest%%|*}: $(cat "$T/err")"
	fi
done
mkjson k5m.json '{"M":{"objects":[{"Size":1}]}}'
t "a listing mock whose object has no Key"
run exec "$T/k4.json" --mocks "$T/k5m.json"
if [ "$RC" = 2 ] && grep -qF 'objects[0] must be an object with a string "Key"' "$T/err"; then ok; else bad "not refused: $(cat "$T/err")"; fi

finish
