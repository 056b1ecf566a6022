// tests/jsonata/diff-peer.js: jsonata-js's side of the differential test.
// Reads JSON lines {expr, input, bindings} on stdin, writes one line each,
// as jsonata-suite --batch does: {"result": V}, {"undefined": true} or
// {"code", "position", "token", "message"}.
//
//   NODE_PATH=build/peers/node_modules node tests/jsonata/diff-peer.js
'use strict';
const jsonata = require('jsonata');
const readline = require('readline');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const lines = [];
rl.on('line', (l) => { if (l.trim() !== '') lines.push(l); });
rl.on('close', async () => {
	const out = [];
	for (const l of lines) {
		let req;
		try {
			req = JSON.parse(l);
		} catch (e) {
			out.push(JSON.stringify({ code: 'X0002', message: 'bad request line' }));
			continue;
		}
		try {
			const e = jsonata(req.expr);
			const r = await e.evaluate('input' in req ? req.input : undefined,
			    req.bindings || undefined);
			if (r === undefined) {
				out.push('{"undefined":true}');
			} else {
				const s = JSON.stringify(r, (k, v) =>
				    typeof v === 'function' ? '' : v);
				out.push('{"result":' + (s === undefined ? '""' : s) + '}');
			}
		} catch (x) {
			out.push(JSON.stringify({
				code: x.code || 'X0000',
				position: typeof x.position === 'number' ? x.position : -1,
				token: x.token === undefined ? '' : String(x.token),
				message: x.message || String(x),
			}));
		}
	}
	process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
});
