/*
 * jsonata-bench: sd_jsonata evaluations per second, each expression
 * compiled once and evaluated for about a second (make bench; the peer,
 * jsonata-js, is tests/bench/jsonata-peer.js on the same data).
 *
 *   jsonata-bench [SECONDS]
 *
 * Prints one line per benchmark: "NAME EVALS_PER_SECOND".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sd_jsonata.h"

static const char *const names[] = { "path-predicate", "aggregate-1000",
    "string-chain", "group-by" };
static const char *const exprs[] = {
	"Account.Order[OrderID=\"order104\"].Product[Price > 30].SKU",
	"$sum(items.(price * qty))",
	"$uppercase($substring($trim(name), 0, 5)) & \"-\" & "
	    "$string($length(name))",
	"items{category: $sum(price)}",
};

static double
now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The data sets, the same as jsonata-peer.js builds. New. */
static json_t *
make_orders(void)
{
	json_t *orders = json_array(), *o, *prods;
	int i, j;

	for (i = 0; i < 10; i++) {
		char id[32], sku[32];

		if (snprintf(id, sizeof(id), "order%d", 100 + i) < 0)
			return NULL;
		prods = json_array();
		for (j = 0; j < 5; j++) {
			if (snprintf(sku, sizeof(sku), "04066%05d", i * 10 + j) < 0)
				return NULL;
			json_array_append_new(prods, json_pack("{s:s,s:f,s:i}",
			    "SKU", sku, "Price", 10.5 + j * 9.75, "Quantity", j + 1));
		}
		o = json_pack("{s:s,s:o}", "OrderID", id, "Product", prods);
		json_array_append_new(orders, o);
	}
	return json_pack("{s:{s:s,s:o}}", "Account", "Account Name", "Firefly",
	    "Order", orders);
}

static json_t *
make_items(void)
{
	static const char *const cats[] = { "fruit", "veg", "dairy", "bakery",
	    "meat" };
	json_t *items = json_array();
	int i;

	for (i = 0; i < 1000; i++)
		json_array_append_new(items, json_pack("{s:s,s:f,s:i}",
		    "category", cats[i % 5], "price", (double)(i % 97) * 0.25 + 1,
		    "qty", i % 7 + 1));
	return json_pack("{s:o}", "items", items);
}

int
main(int argc, char **argv)
{
	struct sd_jn_error err;
	json_t *inputs[4];
	double secs = 1.0;
	size_t i;
	int rc = 0;

	if (argc > 1) {
		char *e;

		secs = strtod(argv[1], &e);
		if (*e != '\0' || secs <= 0 || secs > 60) {
			fprintf(stderr, "usage: jsonata-bench [SECONDS]\n");
			return 2;
		}
	}
	inputs[0] = make_orders();
	inputs[1] = make_items();
	inputs[2] = json_pack("{s:s}", "name", "   stepdeploy jsonata   ");
	inputs[3] = json_incref(inputs[1]);
	for (i = 0; i < 4; i++) {
		struct sd_jn_expr *x;
		json_t *out = NULL;
		unsigned long n = 0;
		double t0, t;

		if (inputs[i] == NULL) {
			fprintf(stderr, "jsonata-bench: out of memory\n");
			return 1;
		}
		memset(&err, 0, sizeof(err));
		if ((x = sd_jn_compile(exprs[i], &err)) == NULL) {
			fprintf(stderr, "jsonata-bench: %s: %s: %s\n", names[i],
			    err.code, err.message);
			printf("%s 0\n", names[i]);
			rc = 1;
			continue;
		}
		t0 = now_s();
		do {
			if (sd_jn_eval(x, inputs[i], NULL, NULL, &out, &err) != 0) {
				fprintf(stderr, "jsonata-bench: %s: %s: %s\n",
				    names[i], err.code, err.message);
				rc = 1;
				break;
			}
			json_decref(out);
			n++;
		} while ((t = now_s() - t0) < secs);
		t = now_s() - t0;
		printf("%s %.0f\n", names[i], rc == 0 && t > 0 ? (double)n / t :
		    0.0);
		if (fflush(stdout) != 0)
			rc = 1;
		sd_jn_free(x);
	}
	for (i = 0; i < 4; i++)
		json_decref(inputs[i]);
	return rc;
}
