#!/usr/bin/env bash
# tests/cli/test_jsonata_aws.sh: the functions AWS Step Functions adds to
# JSONata ($partition, $range, $hash, $random with a seed, $uuid, $parse),
# available with `stepdeploy jsonata --aws`, and $eval unknown there.
# Without --aws they are unknown (T1006). Expected digests were computed
# with `printf hello | sha256sum` (md5sum, sha1sum, sha384sum, sha512sum).
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_jsonata_aws.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

expect_exact() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
	if [ "$OUT" = "$2" ]; then ok; else bad "stdout is not: $2"; fi
}
expect_error() {
	if [ "$RC" = 1 ]; then ok; else bad "exit status $RC, want 1"; fi
	if [ -z "$OUT" ]; then ok; else bad "stdout should be empty"; fi
	case $ERR in "$1: "?*) ok ;; *) bad "stderr does not start with \"$1: \"" ;; esac
}

t "\$partition: chunks, the last shorter"
run jsonata '$partition([1,2,3,4,5,6,7], 3)' --aws
expect_exact 0 '[[1,2,3],[4,5,6],[7]]'
run jsonata '$partition([1..9], 3)' --aws
expect_exact 0 '[[1,2,3],[4,5,6],[7,8,9]]'
run jsonata '$partition([], 2)' --aws
expect_exact 0 '[]'
run jsonata '$partition([1], 0)' --aws
expect_error D3200

t "\$range: inclusive, negative steps count down, at most 1000 items"
run jsonata '$range(0, 10, 2)' --aws
expect_exact 0 '[0,2,4,6,8,10]'
run jsonata '$range(10, 0, -3)' --aws
expect_exact 0 '[10,7,4,1]'
run jsonata '$range(1, 1, 1)' --aws
expect_exact 0 '1'	# one item comes out as itself: AWS's $range(1, 9, 9) is 1 (conformance)
run jsonata '$count($range(0, 999, 1))' --aws
expect_exact 0 '1000'
run jsonata '$range(0, 1000, 1)' --aws
expect_error D3203
run jsonata '$range(0, 5, 0)' --aws
expect_error D3202
run jsonata '$range(0.5, 2, 1)' --aws
expect_error D3201

t "\$hash: lower-case hex digests"
run jsonata '$hash("hello", "MD5")' --aws
expect_exact 0 '"5d41402abc4b2a76b9719d911017c592"'
run jsonata '$hash("hello", "SHA-1")' --aws
expect_exact 0 '"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"'
run jsonata '$hash("hello", "SHA-256")' --aws
expect_exact 0 '"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"'
run jsonata '$hash("", "SHA-256")' --aws
expect_exact 0 '"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"'
run jsonata '$hash("hello", "SHA-384")' --aws
expect_exact 0 '"59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f"'
run jsonata '$hash("hello", "SHA-512")' --aws
expect_exact 0 '"9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"'
run jsonata '$hash("hello", "SHA256")' --aws
expect_error D3204

t "\$random: [0,1); a seed gives the same value"
run jsonata '$random(7) = $random(7) and $random(7) >= 0 and $random(7) < 1' --aws
expect_exact 0 'true'
run jsonata '$random(7) != $random(8)' --aws
expect_exact 0 'true'
run jsonata '($r := $random(); $r >= 0 and $r < 1)' --aws
expect_exact 0 'true'
run jsonata '$random(1.5)' --aws
expect_error D3205

t "\$uuid: version 4"
run jsonata '$match($uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) ~> $exists()' --aws
expect_exact 0 'true'
run jsonata '$uuid() != $uuid()' --aws
expect_exact 0 'true'

t "\$parse: JSON text to a value"
run jsonata '$parse("{\"a\":[1,2.5,\"x\",null,true]}")' --aws
expect_exact 0 '{"a":[1,2.5,"x",null,true]}'
run jsonata '$parse("3")' --aws
expect_exact 0 '3'
run jsonata '$parse("[1,")' --aws
expect_error D3206

t "\$eval is unknown with --aws, known without"
run jsonata '$eval("1+1")' --aws
expect_error T1006
run jsonata '$eval("1+1")'
expect_exact 0 '2'

t "without --aws the AWS functions are unknown"
run jsonata '$partition([1,2], 1)'
expect_error T1006
run jsonata '$uuid()'
expect_error T1006
run jsonata '$random(3)'
expect_error T0410

t "stock \$random() without --aws, the seeded one with it"
run jsonata '$random() >= 0 and $random() < 1'
expect_exact 0 'true'
run jsonata '$random(7) = $random(7)' --aws
expect_exact 0 'true'

finish
