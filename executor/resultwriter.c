/*
 * resultwriter.c: a Distributed Map's ResultWriter over a local directory
 * that stands for S3 (see sd_resultwriter.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "sd_buf.h"
#include "sd_resultwriter.h"
#include "sd_time.h"

/* AWS: a result file holds at most 5 GB; past it the next file begins. */
#define RW_MAX_FILE	((uint64_t)5 * 1024 * 1024 * 1024)

static int
bad(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*why = sd_vasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A limit, which SD_TESTING builds may lower with $env (a whole number
 * under max) so that the tests can reach it.
 */
static uint64_t
test_limit(const char *env, uint64_t max)
{
#ifdef SD_TESTING
	const char *s = getenv(env);
	unsigned long long v;
	char *end;

	if (s != NULL && *s != '\0') {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0 && v < max)
			return (uint64_t)v;
	}
#else
	(void)env;
#endif
	return max;
}

/* The size past which a result file ends ($STEPDEPLOY_TEST_RW_MAX_FILE). */
static uint64_t
file_limit(void)
{
	return test_limit("STEPDEPLOY_TEST_RW_MAX_FILE", RW_MAX_FILE);
}

size_t
sd_rw_max_children(void)
{
	return (size_t)test_limit("STEPDEPLOY_TEST_RW_MAX_CHILDREN",
	    SD_RW_MAX_CHILDREN);
}

/* ------------------------------------------------------------ names */

int
sd_rw_uuid(const char *seed, char out[37])
{
	static const char ns[] = "stepdeploy map run";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i, o = 0;
	EVP_MD_CTX *ctx;
	int ok = 0;

	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, ns, sizeof(ns) - 1) == 1 &&
	    EVP_DigestUpdate(ctx, seed, strlen(seed)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 16)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);	/* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);	/* RFC 4122 */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		(void)snprintf(out + o, 3, "%02x", md[i]);
		o += 2;
	}
	out[o] = '\0';
	return 0;
}

int
sd_rw_run_init(struct sd_rw_run *run, const char *sm_arn, const char *exec_arn,
    const char *state_name, const char *label, uint64_t entered_id)
{
	char id[37], gen[37], *seed = NULL, *p;
	const char *base = sm_arn, *smname = "";
	size_t pre;

	memset(run, 0, sizeof(*run));
	/* arn:aws:states:R:A:stateMachine:NAME */
	if ((p = strstr(sm_arn, ":stateMachine:")) != NULL) {
		pre = (size_t)(p - sm_arn);
		smname = p + 14;
	} else
		pre = strlen(base);
	if (label == NULL) {
		/* AWS generates a label when none is given. */
		if ((seed = sd_asprintf("label\n%s\n%s", sm_arn,
		    state_name)) == NULL || sd_rw_uuid(seed, gen) != 0)
			goto fail;
		free(seed);
		seed = NULL;
		label = gen;
	}
	if ((seed = sd_asprintf("run\n%s\n%s\n%llu", exec_arn, state_name,
	    (unsigned long long)entered_id)) == NULL ||
	    sd_rw_uuid(seed, id) != 0)
		goto fail;
	free(seed);
	seed = NULL;
	if ((run->id = strdup(id)) == NULL ||
	    (run->map_run_arn = sd_asprintf("%.*s:mapRun:%s/%s:%s", (int)pre,
	    base, smname, label, id)) == NULL ||
	    (run->child_sm_arn = sd_asprintf("%.*s:stateMachine:%s/%s",
	    (int)pre, base, smname, label)) == NULL ||
	    (run->child_exec = sd_asprintf("%.*s:execution:%s/%s:", (int)pre,
	    base, smname, label)) == NULL)
		goto fail;
	return 0;
 fail:
	free(seed);
	sd_rw_run_free(run);
	return -1;
}

static void
child_release(struct sd_rw_child *c)
{
	json_decref(c->input);
	json_decref(c->output);
	free(c->error);
	free(c->cause);
}

void
sd_rw_run_free(struct sd_rw_run *run)
{
	size_t i;

	if (run == NULL)
		return;
	for (i = 0; i < run->n; i++)
		child_release(&run->children[i]);
	free(run->children);
	free(run->map_run_arn);
	free(run->id);
	free(run->child_sm_arn);
	free(run->child_exec);
	memset(run, 0, sizeof(*run));
}

int
sd_rw_run_add(struct sd_rw_run *run, struct sd_rw_child *c)
{
	if (run->n == run->cap) {
		size_t nc = run->cap ? run->cap * 2 : 16;
		struct sd_rw_child *nv;

		if (nc > SD_RW_MAX_CHILDREN || (nv = reallocarray(run->children,
		    nc, sizeof(*nv))) == NULL) {
			child_release(c);
			return -1;
		}
		run->children = nv;
		run->cap = nc;
	}
	run->children[run->n++] = *c;
	return 0;
}

/* ------------------------------------------------------------ records */

/*
 * A child execution's record, fields in AWS's order (alphabetical), as
 * DescribeExecution gives them: Input and Output as JSON text.
 */
char *
sd_rw_child_arn(const struct sd_rw_run *run, size_t i, char name[37])
{
	char *seed, *arn = NULL;

	if ((seed = sd_asprintf("child\n%s\n%zu", run->map_run_arn, i)) !=
	    NULL && sd_rw_uuid(seed, name) == 0)
		arn = sd_asprintf("%s%s", run->child_exec, name);
	free(seed);
	return arn;
}

static json_t *
child_record(const struct sd_rw_run *run, size_t i)
{
	const struct sd_rw_child *c = &run->children[i];
	char name[37], start[64], stop[64], *arn = NULL;
	char *in = NULL, *out = NULL;
	json_t *r = NULL;
	int ok = 0;

	if ((arn = sd_rw_child_arn(run, i, name)) == NULL ||
	    sd_time_format(c->start_ns, start, sizeof(start)) != 0 ||
	    sd_time_format(c->stop_ns, stop, sizeof(stop)) != 0 ||
	    (in = json_dumps(c->input, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		goto out;
	if (c->status == SD_RW_PENDING) {
		/* Never started: no execution, only the input. */
		r = json_pack("{s:s, s:{s:b}, s:s}", "Input", in,
		    "InputDetails", "Included", 1, "Status", "PENDING");
	} else if (c->status == SD_RW_SUCCEEDED) {
		if ((out = json_dumps(c->output, JSON_COMPACT |
		    JSON_ENCODE_ANY)) == NULL)
			goto out;
		r = json_pack("{s:s, s:s, s:{s:b}, s:s, s:s, s:{s:b}, s:i, "
		    "s:s, s:s, s:s, s:s, s:s, s:s}", "ExecutionArn", arn,
		    "Input", in, "InputDetails", "Included", 1, "Name", name,
		    "Output", out, "OutputDetails", "Included", 1,
		    "RedriveCount", 0, "RedriveStatus", "NOT_REDRIVABLE",
		    "RedriveStatusReason", "Execution is SUCCEEDED and cannot "
		    "be redriven", "StartDate", start, "StateMachineArn",
		    run->child_sm_arn, "Status", "SUCCEEDED", "StopDate", stop);
	} else {
		if ((r = json_object()) == NULL)
			goto out;
		if ((c->cause != NULL && json_object_set_new(r, "Cause",
		    json_string(c->cause)) != 0) ||
		    (c->error != NULL && json_object_set_new(r, "Error",
		    json_string(c->error)) != 0) ||
		    json_object_update_new(r, json_pack("{s:s, s:s, s:{s:b}, "
		    "s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "ExecutionArn", arn,
		    "Input", in, "InputDetails", "Included", 1, "Name", name,
		    "RedriveCount", 0, "RedriveStatus", "REDRIVABLE",
		    "StartDate", start, "StateMachineArn", run->child_sm_arn,
		    "Status", "FAILED", "StopDate", stop)) != 0) {
			json_decref(r);
			r = NULL;
			goto out;
		}
	}
	ok = r != NULL;
 out:
	free(arn);
	free(in);
	free(out);
	return ok ? r : NULL;
}

/*
 * The values written for the children of status st, in item order (new):
 * records, or with COMPACT / FLATTEN the outputs of the succeeded ones.
 */
static json_t *
values_of(const struct sd_result_writer *w, const struct sd_rw_run *run,
    int only, enum sd_rw_status st)
{
	json_t *a = json_array(), *v;
	size_t i, j;

	if (a == NULL)
		return NULL;
	for (i = 0; i < run->n; i++) {
		const struct sd_rw_child *c = &run->children[i];

		if (only && c->status != st)
			continue;
		if (c->status == SD_RW_PENDING && !only)
			continue;
		if (c->status != SD_RW_SUCCEEDED ||
		    w->transform == SD_RW_NONE) {
			if ((v = child_record(run, i)) == NULL ||
			    json_array_append_new(a, v) != 0)
				goto fail;
		} else if (w->transform == SD_RW_FLATTEN &&
		    json_is_array(c->output)) {
			json_array_foreach(c->output, j, v)
				if (json_array_append(a, v) != 0)
					goto fail;
		} else if (json_array_append(a, c->output) != 0)
			goto fail;
	}
	return a;
 fail:
	json_decref(a);
	return NULL;
}

/* ------------------------------------------------------------ files */

/* A bucket name or key that maps to a path below the directory. */
static int
safe_name(const char *s, int is_key)
{
	const char *p = s, *e;
	size_t n;

	if (*s == '\0' || *s == '/')
		return 0;
	if (!is_key && strchr(s, '/') != NULL)
		return 0;
	for (;;) {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.') || (n == 0 && e != NULL))
			return 0;
		if (e == NULL)
			return 1;
		p = e + 1;
	}
}

/* Make the directories of key below bucket_dir. */
static int
make_dirs(const char *bucket_dir, const char *bucket, const char *key,
    char **why)
{
	char path[PATH_MAX];
	const char *p = key, *e;
	int n;

	while ((e = strchr(p, '/')) != NULL) {
		n = snprintf(path, sizeof(path), "%s/%.*s", bucket_dir,
		    (int)(e - key), key);
		if (n < 0 || (size_t)n >= sizeof(path))
			return bad(why, "The key %s is too long", key);
		if (mkdir(path, 0777) != 0 && errno != EEXIST)
			return bad(why, "The object s3://%s/%s cannot be "
			    "written: %s", bucket, key, strerror(errno));
		p = e + 1;
	}
	return 0;
}

struct rw_out {
	const char	*s3_dir;
	const char	*bucket;
	const char	*dir;		/* PREFIX/ID/ */
	int		 jsonl;
	FILE		*fp;
	char		*key;		/* the file being written */
	uint64_t	 size;
	size_t		 nrec;		/* records in this file */
	json_t		*files;		/* [{Key, Size}] */
};

static int
out_close(struct rw_out *o, char **why)
{
	int r = 0;
	json_t *f;

	if (o->fp == NULL)
		return 0;
	if (!o->jsonl && fputc(']', o->fp) == EOF)
		r = -1;
	else if (!o->jsonl)
		o->size++;
	if (fclose(o->fp) != 0)
		r = -1;
	o->fp = NULL;
	if (r != 0) {
		r = bad(why, "The object s3://%s/%s cannot be written",
		    o->bucket, o->key);
	} else if ((f = json_pack("{s:s, s:I}", "Key", o->key, "Size",
	    (json_int_t)o->size)) == NULL || json_array_append_new(o->files,
	    f) != 0)
		r = bad(why, "out of memory");
	free(o->key);
	o->key = NULL;
	return r;
}

static int
out_open(struct rw_out *o, const char *kind, char **why)
{
	char path[PATH_MAX];
	int n;

	if ((o->key = sd_asprintf("%s%s_%zu.json", o->dir, kind,
	    json_array_size(o->files))) == NULL)
		return bad(why, "out of memory");
	n = snprintf(path, sizeof(path), "%s/%s/%s", o->s3_dir, o->bucket,
	    o->key);
	if (n < 0 || (size_t)n >= sizeof(path))
		return bad(why, "The key %s is too long", o->key);
	if ((o->fp = fopen(path, "wb")) == NULL)
		return bad(why, "The object s3://%s/%s cannot be written: "
		    "%s", o->bucket, o->key, strerror(errno));
	o->size = 0;
	o->nrec = 0;
	if (!o->jsonl) {
		if (fputc('[', o->fp) == EOF)
			return bad(why, "The object s3://%s/%s cannot be "
			    "written", o->bucket, o->key);
		o->size = 1;
	}
	return 0;
}

/*
 * Write vals as kind_0.json, kind_1.json, ...: each file an array (JSON)
 * or a value a line (JSONL), a new file when the next value would take
 * the file past limit. *files is the manifest's list (new).
 */
static int
write_files(struct rw_out *o, const char *kind, json_t *vals, uint64_t limit,
    json_t **files, char **why)
{
	size_t i, len;
	json_t *v;
	char *s;
	int r = 0;

	o->fp = NULL;
	o->key = NULL;
	if ((o->files = json_array()) == NULL)
		return bad(why, "out of memory");
	json_array_foreach(vals, i, v) {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (s == NULL) {
			r = bad(why, "out of memory");
			break;
		}
		len = strlen(s);
		/* JSON: "," before and "]" after; JSONL: "\n" after. */
		if (o->fp != NULL && o->nrec > 0 && o->size + len +
		    (o->jsonl ? 1 : 2) > limit)
			r = out_close(o, why);
		if (r == 0 && o->fp == NULL)
			r = out_open(o, kind, why);
		if (r == 0 && ((!o->jsonl && o->nrec > 0 &&
		    fputc(',', o->fp) == EOF) ||
		    fwrite(s, 1, len, o->fp) != len ||
		    (o->jsonl && fputc('\n', o->fp) == EOF)))
			r = bad(why, "The object s3://%s/%s cannot be "
			    "written", o->bucket, o->key);
		free(s);
		if (r != 0)
			break;
		o->size += len + (o->nrec > 0 && !o->jsonl) + o->jsonl;
		o->nrec++;
	}
	if (r == 0)
		r = out_close(o, why);
	else if (o->fp != NULL)
		(void)fclose(o->fp);
	free(o->key);
	o->key = NULL;
	o->fp = NULL;
	if (r != 0) {
		json_decref(o->files);
		return -1;
	}
	*files = o->files;
	return 0;
}

static int
param_string(json_t *params, const char *name, int required,
    const char **out, char **why)
{
	json_t *v = json_object_get(params, name);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return bad(why, "The ResultWriter's parameters need "
			    "\"%s\"", name);
		return 0;
	}
	if (!json_is_string(v))
		return bad(why, "The ResultWriter's \"%s\" must be a string",
		    name);
	*out = json_string_value(v);
	return 0;
}

/* Bucket and Prefix from params, checked; the bucket must exist. */
static int
target(const char *s3_dir, json_t *params, const char **bucket,
    const char **prefix, char **why)
{
	char path[PATH_MAX];
	struct stat sb;
	const char *k;
	json_t *v;
	int n;

	*why = NULL;
	if (s3_dir == NULL)
		return bad(why, "The ResultWriter writes to S3; run with "
		    "--s3-dir DIR (DIR/BUCKET/KEY stands for s3://BUCKET/KEY)");
	if (!json_is_object(params))
		return bad(why, "The ResultWriter's parameters must be an "
		    "object");
	json_object_foreach(params, k, v) {
		if (strcmp(k, "Bucket") != 0 && strcmp(k, "Prefix") != 0)
			return bad(why, "The ResultWriter's parameters take "
			    "Bucket and Prefix, not \"%s\"", k);
	}
	if (param_string(params, "Bucket", 1, bucket, why) != 0 ||
	    param_string(params, "Prefix", 0, prefix, why) != 0)
		return -1;
	if (!safe_name(*bucket, 0))
		return bad(why, "The bucket name \"%s\" is not valid",
		    *bucket);
	if (*prefix != NULL && **prefix != '\0' && !safe_name(*prefix, 1))
		return bad(why, "The prefix \"%s\" cannot be written in the "
		    "local directory", *prefix);
	n = snprintf(path, sizeof(path), "%s/%s", s3_dir, *bucket);
	if (n < 0 || (size_t)n >= sizeof(path))
		return bad(why, "The path of bucket %s is too long", *bucket);
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return bad(why, "The bucket %s does not exist (no directory "
		    "%s)", *bucket, path);
	return 0;
}

int
sd_rw_check(const char *s3_dir, json_t *params, char **why)
{
	const char *bucket, *prefix;

	return target(s3_dir, params, &bucket, &prefix, why);
}

static int
write_export(const char *s3_dir, const struct sd_result_writer *w,
    json_t *params, const struct sd_rw_run *run, json_t **out, char **why)
{
	struct rw_out o;
	const char *bucket, *prefix;
	char bucket_dir[PATH_MAX], path[PATH_MAX], *dir = NULL, *mkey = NULL;
	char *text = NULL;
	json_t *ok = NULL, *nok = NULL, *fok = NULL, *fbad = NULL, *man = NULL;
	json_t *pend = NULL, *fpend = NULL;
	FILE *fp;
	size_t plen, len;
	int n, r = -1;

	if (target(s3_dir, params, &bucket, &prefix, why) != 0)
		return -1;
	plen = prefix != NULL ? strlen(prefix) : 0;
	if ((dir = sd_asprintf("%s%s%s/", plen ? prefix : "", plen &&
	    prefix[plen - 1] != '/' ? "/" : "", run->id)) == NULL ||
	    (mkey = sd_asprintf("%smanifest.json", dir)) == NULL) {
		(void)bad(why, "out of memory");
		goto out;
	}
	n = snprintf(bucket_dir, sizeof(bucket_dir), "%s/%s", s3_dir, bucket);
	if (n < 0 || (size_t)n >= sizeof(bucket_dir)) {
		(void)bad(why, "The path of bucket %s is too long", bucket);
		goto out;
	}
	if (make_dirs(bucket_dir, bucket, mkey, why) != 0)
		goto out;
	if ((ok = values_of(w, run, 1, SD_RW_SUCCEEDED)) == NULL ||
	    (nok = values_of(w, run, 1, SD_RW_FAILED)) == NULL ||
	    (pend = values_of(w, run, 1, SD_RW_PENDING)) == NULL) {
		(void)bad(why, "out of memory");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.s3_dir = s3_dir;
	o.bucket = bucket;
	o.dir = dir;
	o.jsonl = w->jsonl;
	if (write_files(&o, "SUCCEEDED", ok, file_limit(), &fok, why) != 0 ||
	    write_files(&o, "FAILED", nok, file_limit(), &fbad, why) != 0 ||
	    write_files(&o, "PENDING", pend, file_limit(), &fpend, why) != 0)
		goto out;
	if ((man = json_pack("{s:s, s:s, s:{s:O, s:O, s:O}}",
	    "DestinationBucket", bucket, "MapRunArn", run->map_run_arn,
	    "ResultFiles", "FAILED", fbad, "PENDING", fpend, "SUCCEEDED",
	    fok)) == NULL ||
	    (text = json_dumps(man, JSON_COMPACT)) == NULL) {
		(void)bad(why, "out of memory");
		goto out;
	}
	n = snprintf(path, sizeof(path), "%s/%s", bucket_dir, mkey);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		(void)bad(why, "The key %s is too long", mkey);
		goto out;
	}
	len = strlen(text);
	if ((fp = fopen(path, "wb")) == NULL) {
		(void)bad(why, "The object s3://%s/%s cannot be written: %s",
		    bucket, mkey, strerror(errno));
		goto out;
	}
	if (fwrite(text, 1, len, fp) != len) {
		(void)fclose(fp);
		(void)bad(why, "The object s3://%s/%s cannot be written",
		    bucket, mkey);
		goto out;
	}
	if (fclose(fp) != 0) {
		(void)bad(why, "The object s3://%s/%s cannot be written",
		    bucket, mkey);
		goto out;
	}
	if ((*out = json_pack("{s:s, s:{s:s, s:s}}", "MapRunArn",
	    run->map_run_arn, "ResultWriterDetails", "Bucket", bucket, "Key",
	    mkey)) == NULL) {
		(void)bad(why, "out of memory");
		goto out;
	}
	r = 0;
 out:
	free(dir);
	free(mkey);
	free(text);
	json_decref(ok);
	json_decref(nok);
	json_decref(fok);
	json_decref(fbad);
	json_decref(pend);
	json_decref(fpend);
	json_decref(man);
	return r;
}

int
sd_rw_finish(const char *s3_dir, const struct sd_result_writer *w,
    json_t *params, const struct sd_rw_run *run, json_t **out, char **why)
{
	*out = NULL;
	*why = NULL;
	if (w->to_s3)
		return write_export(s3_dir, w, params, run, out, why);
	/* WriterConfig alone: the formatted results are the result. */
	if ((*out = values_of(w, run, 0, SD_RW_SUCCEEDED)) == NULL)
		return bad(why, "out of memory");
	return 0;
}
