// tests/bench/jsonata-peer.js: jsonata-js evaluations per second on the
// expressions and data of tests/bench/jsonata_bench.c (compiled once,
// evaluated for about SECONDS each). Prints "NAME EVALS_PER_SECOND" lines.
//
//   NODE_PATH=build/peers/node_modules node tests/bench/jsonata-peer.js [SECONDS]
'use strict';
const jsonata = require('jsonata');

const secs = Number(process.argv[2] || 1);
const orders = [];
for (let i = 0; i < 10; i++) {
	const prods = [];
	for (let j = 0; j < 5; j++) {
		prods.push({ SKU: '04066' + String(i * 10 + j).padStart(5, '0'),
		    Price: 10.5 + j * 9.75, Quantity: j + 1 });
	}
	orders.push({ OrderID: 'order' + (100 + i), Product: prods });
}
const cats = ['fruit', 'veg', 'dairy', 'bakery', 'meat'];
const items = [];
for (let i = 0; i < 1000; i++)
	items.push({ category: cats[i % 5], price: (i % 97) * 0.25 + 1, qty: i % 7 + 1 });
const itemsDoc = { items };
const benches = [
	['path-predicate', 'Account.Order[OrderID="order104"].Product[Price > 30].SKU',
	    { Account: { 'Account Name': 'Firefly', Order: orders } }],
	['aggregate-1000', '$sum(items.(price * qty))', itemsDoc],
	['string-chain', '$uppercase($substring($trim(name), 0, 5)) & "-" & $string($length(name))',
	    { name: '   stepdeploy jsonata   ' }],
	['group-by', 'items{category: $sum(price)}', itemsDoc],
];

(async () => {
	for (const [name, src, input] of benches) {
		const e = jsonata(src);
		let n = 0;
		const t0 = process.hrtime.bigint();
		let t;
		do {
			await e.evaluate(input);
			n++;
			t = Number(process.hrtime.bigint() - t0) / 1e9;
		} while (t < secs);
		console.log(name + ' ' + Math.round(n / t));
	}
})();
