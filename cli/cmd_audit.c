/*
 * stepdeploy audit init | show | verify: the daemons' audit logs
 * (common/sd_audit.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_aws.h"
#include "sd_audit.h"
#include "sd_json.h"

/* The logs of an installed build host, when none is named. */
static const char *const DEFAULT_LOGS[] = {
	"/var/lib/stepdeploy/validator/audit.log",
	"/var/lib/stepdeploy/uploader/audit.log",
	"/var/lib/stepdeploy/signer/audit.log",
	NULL,
};

static void
audit_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy audit init LOG --process NAME [--epoch-entries N]\n"
	    "           [--epoch-seconds T]\n"
	    "       stepdeploy audit verify [--key KEY]... [--against-s3 --policy F\n"
	    "           --signer SOCK] [LOG...]\n"
	    "       stepdeploy audit show [--since TIME] [--release ID] [--process P]\n"
	    "           [--json] [LOG...]\n"
	    "\n"
	    "init makes a daemon's audit log and prints its first epoch's public\n"
	    "key: keep it off this host; verify needs only it. verify checks\n"
	    "every line's hash chain, sequence, epoch and signature (each --key\n"
	    "is the key of the LOG in the same place), and with --against-s3 the\n"
	    "log heads recorded in the deployed releases' result.json; exit 0\n"
	    "when all holds, else 1 naming the first bad line and why. show\n"
	    "prints the logs merged in time order. Without LOG: the logs of an\n"
	    "installed host (/var/lib/stepdeploy/*/audit.log).\n");
}

static int
audit_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "epoch-entries", required_argument, NULL, 'n' },
		{ "epoch-seconds", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	const char *process = NULL;
	long long entries = SD_AUDIT_EPOCH_ENTRIES;
	long long secs = SD_AUDIT_EPOCH_SECONDS;
	char pk[65], *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': process = optarg; break;
		case 'n':
		case 't':
			*(c == 'n' ? &entries : &secs) = strtoll(optarg, &end,
			    10);
			if (*optarg == '\0' || *end != '\0')
				return cli_usage_error("audit init", "--%s: not "
				    "a number", c == 'n' ? "epoch-entries" :
				    "epoch-seconds");
			break;
		case 'h': audit_usage(stdout); return 0;
		default: return EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || process == NULL)
		return cli_usage_error("audit init", "LOG and --process NAME "
		    "are required");
	if (sd_audit_init(argv[optind], process, entries, secs, pk,
	    &err) != 0) {
		fprintf(stderr, "stepdeploy audit init: %s\n",
		    sd_error_text(&err));
		sd_error_clear(&err);
		return 1;
	}
	printf("%s\n", pk);
	fprintf(stderr, "audit log %s made for %s: the line above is its "
	    "first epoch's public key.\nKeep it off this host; `stepdeploy "
	    "audit verify --key KEY %s` checks the log.\n", argv[optind],
	    process, argv[optind]);
	return 0;
}

/* The logs named, or the installed host's that exist. */
static int
logs_of(int argc, char **argv, const char ***logs, size_t *n)
{
	size_t i;

	*n = 0;
	if ((*logs = calloc((size_t)argc + 4, sizeof(**logs))) == NULL)
		return -1;
	for (i = (size_t)optind; i < (size_t)argc; i++)
		(*logs)[(*n)++] = argv[i];
	if (*n == 0)
		for (i = 0; DEFAULT_LOGS[i] != NULL; i++)
			if (access(DEFAULT_LOGS[i], R_OK) == 0)
				(*logs)[(*n)++] = DEFAULT_LOGS[i];
	return 0;
}

/* s3://bucket/key as JSON (new), or NULL: *missing when there is none. */
static json_t *
s3_json(struct cli_aws *ca, const char *bucket, const char *key,
    int *missing, struct sd_error *err)
{
	struct sd_aws_s3_object o;
	struct sd_aws_status st;
	json_t *v = NULL;

	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	*missing = 0;
	if (sd_aws_s3_get_object(ca->aws, bucket, key, NULL, 1 << 20, &o, &st,
	    err) != 0)
		*missing = st.http_status == 404;
	else
		v = sd_json_loadb(o.body, o.len, 0, key, err);
	sd_aws_s3_object_clear(&o);
	return v;
}

/* One release's recorded head against the logs: 0 found (or none). */
static int
check_head(struct cli_aws *ca, const char *bucket, const char *prefix,
    const char *rid, const char **logs, const struct sd_audit_report *reps,
    size_t n, size_t *checked)
{
	struct sd_error err = SD_ERROR_INIT;
	char key[1200];
	json_t *res, *h;
	const char *proc, *hash;
	size_t k;
	int missing, r = 0;

	(void)snprintf(key, sizeof(key), "%s/%s/result.json", prefix, rid);
	if ((res = s3_json(ca, bucket, key, &missing, &err)) == NULL) {
		if (!missing)
			printf("s3://%s/%s: %s\n", bucket, key,
			    sd_error_text(&err));
		sd_error_clear(&err);
		return missing ? 0 : 1;
	}
	h = json_object_get(res, "audit_head");
	proc = json_string_value(json_object_get(h, "process"));
	hash = json_string_value(json_object_get(h, "hash"));
	for (k = 0; proc != NULL && hash != NULL && k < n; k++)
		if (strcmp(reps[k].process, proc) == 0)
			break;
	if (proc != NULL && hash != NULL && k < n) {
		json_int_t seq = json_integer_value(json_object_get(h, "seq"));

		(*checked)++;
		if ((r = sd_audit_has_head(logs[k], seq, hash, &err)) == 0) {
			printf("%s: TRUNCATED: the deploy of %s recorded its "
			    "head, seq %lld, in s3://%s/%s; the log ends at seq "
			    "%lld\n", logs[k], rid, (long long)seq, bucket, key,
			    (long long)reps[k].head_seq);
			r = 1;
		} else if (r < 0) {
			printf("%s\n", sd_error_text(&err));
			r = 1;
		} else
			r = 0;
	}
	sd_error_clear(&err);
	json_decref(res);
	return r;
}

/*
 * The heads the deployed releases' result.json recorded in S3 (each
 * config's deployed.json names them), checked against the logs of their
 * process: 0 when every one is found, equal.
 */
static int
against_s3(const char *policy, const char *signer, const char **logs,
    const struct sd_audit_report *reps, size_t n)
{
	struct sd_error err = SD_ERROR_INIT;
	struct cli_aws ca;
	const struct sd_policy_project *p;
	size_t i, j, checked = 0;
	int bad = 0;

	cli_aws_init(&ca);
	ca.policy_path = policy;
	ca.signer_path = signer;
	if (cli_aws_load_policy(&ca, &err) != 0 ||
	    (p = sd_policy_project_at(ca.policy, 0)) == NULL ||
	    cli_aws_open(&ca, sd_policy_project_region(p, 0), &err) != 0) {
		fprintf(stderr, "stepdeploy audit verify: %s\n",
		    err.code != 0 ? sd_error_text(&err) : "no project in the "
		    "policy");
		sd_error_clear(&err);
		cli_aws_close(&ca);
		return 1;
	}
	for (i = 0; (p = sd_policy_project_at(ca.policy, i)) != NULL; i++) {
		const char *cfg, *bucket = sd_policy_project_bucket(p);

		for (j = 0; (cfg = sd_policy_project_config(p, j)) != NULL;
		    j++) {
			char prefix[600], key[700];
			json_t *dep, *e;
			size_t k;
			int missing;

			(void)snprintf(prefix, sizeof(prefix), "%s/%s",
			    sd_policy_project_name(p), cfg);
			(void)snprintf(key, sizeof(key), "%s/deployed.json",
			    prefix);
			if ((dep = s3_json(&ca, bucket, key, &missing,
			    &err)) == NULL) {
				if (!missing) {
					printf("s3://%s/%s: %s\n", bucket, key,
					    sd_error_text(&err));
					bad = 1;
				}
				sd_error_clear(&err);
				continue;
			}
			bad |= check_head(&ca, bucket, prefix, json_string_value(
			    json_object_get(dep, "release_id")), logs, reps, n,
			    &checked);
			json_array_foreach(json_object_get(dep, "history"), k, e)
				if (json_is_string(json_object_get(e,
				    "release_id")) && k > 0)
					bad |= check_head(&ca, bucket, prefix,
					    json_string_value(json_object_get(e,
					    "release_id")), logs, reps, n,
					    &checked);
			json_decref(dep);
		}
	}
	printf("S3: %zu recorded log head(s) checked%s\n", checked,
	    bad ? "; some do not match" : ", all in the logs");
	cli_aws_close(&ca);
	return bad;
}

static int
audit_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "against-s3", no_argument, NULL, 'S' },
		{ "policy", required_argument, NULL, 'p' },
		{ "signer", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct sd_audit_report *reps = NULL;
	const char **logs = NULL, *keys[16], *policy = NULL, *signer = NULL;
	size_t nkeys = 0, n = 0, i;
	int c, s3 = 0, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (nkeys == sizeof(keys) / sizeof(keys[0]))
				return cli_usage_error("audit verify", "at most "
				    "%zu --key", nkeys);
			keys[nkeys++] = optarg;
			break;
		case 'S': s3 = 1; break;
		case 'p': policy = optarg; break;
		case 's': signer = optarg; break;
		case 'h': audit_usage(stdout); return 0;
		default: return EXIT_USAGE;
		}
	}
	if (s3 && (policy == NULL || signer == NULL))
		return cli_usage_error("audit verify", "--against-s3 needs "
		    "--policy and --signer");
	if (logs_of(argc, argv, &logs, &n) != 0)
		return cli_usage_error("audit verify", "out of memory");
	if (n == 0) {
		free(logs);
		return cli_usage_error("audit verify", "no LOG named, and no "
		    "installed log readable under /var/lib/stepdeploy");
	}
	if (nkeys > n) {
		free(logs);
		return cli_usage_error("audit verify", "%zu --key for %zu "
		    "LOG(s)", nkeys, n);
	}
	if ((reps = calloc(n, sizeof(*reps))) == NULL) {
		free(logs);
		return cli_usage_error("audit verify", "out of memory");
	}
	for (i = 0; i < n; i++) {
		if (sd_audit_verify(logs[i], i < nkeys ? keys[i] : NULL,
		    &reps[i], &err) != 0) {
			printf("%s\n", sd_error_text(&err));
			sd_error_clear(&err);
			rc = 1;
			continue;
		}
		printf("%s: ok: %lld lines, %lld epoch(s), head seq %lld hash "
		    "%s (%s)%s%s\n", logs[i], (long long)reps[i].lines,
		    (long long)reps[i].epochs, (long long)reps[i].head_seq,
		    reps[i].head_hash, reps[i].process, reps[i].torn_tail ?
		    "; its last line is torn (a crash while it was written), "
		    "not counted" : "", reps[i].own_key ? "; checked against "
		    "its own first key (give --key for the one kept off the "
		    "host)" : "");
	}
	if (s3 && rc == 0)
		rc = against_s3(policy, signer, logs, reps, n);
	free(reps);
	free(logs);
	return rc;
}

struct row {
	const char	*time;
	json_t		*line;
};

static int
by_time(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return strcmp(x->time, y->time);
}

static int
audit_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 't' },
		{ "release", required_argument, NULL, 'r' },
		{ "process", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **logs = NULL, *since = NULL, *rel = NULL, *proc = NULL;
	struct row *rows = NULL;
	size_t n = 0, nrows = 0, cap = 0, i;
	int c, json = 0, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': since = optarg; break;
		case 'r': rel = optarg; break;
		case 'p': proc = optarg; break;
		case 'J': json = 1; break;
		case 'h': audit_usage(stdout); return 0;
		default: return EXIT_USAGE;
		}
	}
	if (logs_of(argc, argv, &logs, &n) != 0)
		return cli_usage_error("audit show", "out of memory");
	if (n == 0) {
		free(logs);
		return cli_usage_error("audit show", "no LOG named, and no "
		    "installed log readable under /var/lib/stepdeploy");
	}
	for (i = 0; i < n && rc == 0; i++) {
		FILE *fp = fopen(logs[i], "re");
		char *line = NULL;
		size_t lcap = 0;
		ssize_t got;

		if (fp == NULL) {
			fprintf(stderr, "stepdeploy audit show: %s: %m\n",
			    logs[i]);
			rc = 1;
			break;
		}
		while ((got = getline(&line, &lcap, fp)) > 0) {
			json_t *o = json_loadb(line, (size_t)got, 0, NULL);
			const char *t = json_string_value(json_object_get(o,
			    "time"));
			const char *r = json_string_value(json_object_get(o,
			    "release"));
			const char *p = json_string_value(json_object_get(o,
			    "process"));

			if (o == NULL || t == NULL ||
			    (since != NULL && strcmp(t, since) < 0) ||
			    (rel != NULL && (r == NULL || strcmp(r, rel) != 0)) ||
			    (proc != NULL && (p == NULL ||
			    strcmp(p, proc) != 0))) {
				json_decref(o);
				continue;
			}
			if (nrows == cap) {
				struct row *nr;

				cap = cap == 0 ? 256 : cap * 2;
				if ((nr = realloc(rows, cap * sizeof(*rows))) ==
				    NULL) {
					json_decref(o);
					rc = 1;
					break;
				}
				rows = nr;
			}
			rows[nrows].time = t;
			rows[nrows++].line = o;
		}
		free(line);
		(void)fclose(fp);
	}
	if (rc == 0) {
		qsort(rows, nrows, sizeof(*rows), by_time);
		if (!json)
			printf("%-24s %-9s %-6s %-18s %-22s %-9s %s\n", "TIME",
			    "PROCESS", "UID", "RELEASE", "EVENT", "OUTCOME",
			    "DETAIL");
	}
	for (i = 0; i < nrows; i++) {
		json_t *o = rows[i].line, *u = json_object_get(o, "uid");
		const char *r = json_string_value(json_object_get(o,
		    "release"));
		char uid[24], *d;

		if (rc == 0 && json) {
			json_object_del(o, "sig");
			rc = cli_print_json(o, 0) == 0 ? 0 : 1;
		} else if (rc == 0) {
			(void)snprintf(uid, sizeof(uid), json_is_integer(u) ?
			    "%lld" : "-", (long long)json_integer_value(u));
			d = json_is_null(json_object_get(o, "detail")) ? NULL :
			    sd_json_dumps(json_object_get(o, "detail"), 0);
			printf("%-24s %-9s %-6s %-18s %-22s %-9s %.100s\n",
			    rows[i].time, json_string_value(json_object_get(o,
			    "process")), uid, r != NULL ? r : "-",
			    json_string_value(json_object_get(o, "event")),
			    json_string_value(json_object_get(o, "outcome")),
			    d != NULL ? d : "");
			free(d);
		}
		json_decref(o);
	}
	free(rows);
	free(logs);
	return rc;
}

int
cmd_audit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		audit_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "init") == 0)
		return audit_init(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return audit_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return audit_show(argc - 1, argv + 1);
	return cli_usage_error("audit", "unknown subcommand \"%s\" (init, "
	    "show, verify)", argv[1]);
}
