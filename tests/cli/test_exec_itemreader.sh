#!/usr/bin/env bash
# tests/cli/test_exec_itemreader.sh: a Distributed Map's ItemReader under
# `stepdeploy exec --s3-dir DIR`, DIR/BUCKET/KEY standing for s3://BUCKET/KEY.
# Items as AWS delivers them ("ItemReader (Map)", docs.aws.amazon.com/
# step-functions/latest/dg/input-output-itemreader.html): a JSON array's
# elements, one JSONL value per line, CSV rows as objects of strings (headers
# from the FIRST_ROW or GIVEN; CSVDelimiter), listObjectsV2 entries {Etag,
# Key, LastModified, Size, StorageClass}; MaxItems / MaxItemsPath.
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

finish
