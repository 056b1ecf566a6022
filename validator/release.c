/*
 * release: release.json checks, findings report, canonical form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_policy.h"
#include "sd_release.h"
#include "sd_time.h"

#define LOC_MAX		512
#define NS_PER_SEC	INT64_C(1000000000)
#define STATES_DEPTH	64	/* nesting of Parallel / Map counted */
#define CANON_DEPTH	10000	/* sd_json_dumps's own nesting limit */

struct sd_release_report {
	struct sd_finding	*v;
	size_t			 n, cap;
	size_t			 errors, warnings;
	int			 truncated;
};

/* ------------------------------------------------------------ report */

struct sd_release_report *
sd_release_report_new(void)
{
	return calloc(1, sizeof(struct sd_release_report));
}

void
sd_release_report_free(struct sd_release_report *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->n; i++) {
		free(rep->v[i].message);
		free(rep->v[i].location);
	}
	free(rep->v);
	free(rep);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t
utf8_seq(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A new copy of s that is valid UTF-8 without control characters: each
 * byte that breaks that becomes '?'. Findings end up in JSON, and jansson
 * refuses strings that are not UTF-8.
 */
static char *
printable_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	size_t n;

	if ((out = strdup(s)) == NULL)
		return NULL;
	o = out;
	while (*p != '\0') {
		n = utf8_seq(p);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			*o++ = '?';
			p++;
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

int
sd_release_report_add(struct sd_release_report *rep, enum sd_severity sev,
    const char *code, const char *location, const char *fmt, ...)
{
	struct sd_finding *f, *nv;
	char *msg;
	va_list ap;
	size_t ncap;

	if (rep == NULL || code == NULL)
		return SD_ERR_INTERNAL;
	if (sev == SD_SEVERITY_ERROR)
		rep->errors++;
	else
		rep->warnings++;
	if (rep->n >= SD_RELEASE_FINDINGS_MAX) {
		rep->truncated = 1;
		return 0;
	}
	if (rep->n == rep->cap) {
		ncap = rep->cap == 0 ? 8 : rep->cap * 2;
		if ((nv = reallocarray(rep->v, ncap, sizeof(*nv))) == NULL)
			return SD_ERR_NOMEM;
		rep->v = nv;
		rep->cap = ncap;
	}
	f = &rep->v[rep->n];
	f->severity = sev;
	f->code = code;
	va_start(ap, fmt);
	msg = sd_vasprintf(fmt, ap);
	va_end(ap);
	f->message = msg != NULL ? printable_utf8(msg) : NULL;
	f->location = printable_utf8(location != NULL ? location : "");
	free(msg);
	if (f->message == NULL || f->location == NULL) {
		free(f->message);
		free(f->location);
		return SD_ERR_NOMEM;
	}
	rep->n++;
	return 0;
}

size_t
sd_release_report_count(const struct sd_release_report *rep)
{
	return rep != NULL ? rep->n : 0;
}

const struct sd_finding *
sd_release_report_get(const struct sd_release_report *rep, size_t i)
{
	if (rep == NULL || i >= rep->n)
		return NULL;
	return &rep->v[i];
}

const struct sd_finding *
sd_release_report_find(const struct sd_release_report *rep, const char *code)
{
	size_t i;

	if (rep == NULL || code == NULL)
		return NULL;
	for (i = 0; i < rep->n; i++)
		if (strcmp(rep->v[i].code, code) == 0)
			return &rep->v[i];
	return NULL;
}

size_t
sd_release_report_errors(const struct sd_release_report *rep)
{
	return rep != NULL ? rep->errors : 0;
}

size_t
sd_release_report_warnings(const struct sd_release_report *rep)
{
	return rep != NULL ? rep->warnings : 0;
}

json_t *
sd_release_report_json(const struct sd_release_report *rep)
{
	json_t *out = NULL, *list = NULL, *f;
	size_t i;

	if (rep == NULL)
		return NULL;
	if ((list = json_array()) == NULL)
		goto fail;
	for (i = 0; i < rep->n; i++) {
		const struct sd_finding *x = &rep->v[i];

		f = json_pack("{s:s, s:s, s:s, s:s}",
		    "severity", x->severity == SD_SEVERITY_ERROR ?
		    "error" : "warning",
		    "code", x->code, "message", x->message,
		    "location", x->location);
		if (f == NULL || json_array_append_new(list, f) != 0)
			goto fail;
	}
	out = json_pack("{s:b, s:I, s:I, s:o}", "ok", rep->errors == 0,
	    "errors", (json_int_t)rep->errors,
	    "warnings", (json_int_t)rep->warnings, "findings", list);
	list = NULL;	/* "o" steals it, even on failure */
	if (out == NULL)
		goto fail;
	if (rep->truncated && json_object_set_new(out, "truncated",
	    json_true()) != 0)
		goto fail;
	return out;
 fail:
	json_decref(list);
	json_decref(out);
	return NULL;
}

/* ------------------------------------------------------------ parse */

int
sd_release_parse(const char *buf, size_t len, const struct sd_policy *pol,
    json_t **out, struct sd_error *err)
{
	const struct sd_policy_limits *lim = sd_policy_limits(pol, NULL);
	json_error_t je;
	json_t *v;

	if (out == NULL)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "no output");
	*out = NULL;
	if (buf == NULL && len > 0)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "no input");
	if ((uint64_t)len > lim->release_max_bytes)
		return sd_error_set(err, SD_ERR_LIMIT, "",
		    "release.json is %zu bytes, more than the %llu allowed",
		    len, (unsigned long long)lim->release_max_bytes);
	/* No JSON_ALLOW_NUL: "\u0000" is refused in strings and keys. */
	if ((v = json_loadb(buf != NULL ? buf : "", len,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je)) == NULL)
		return sd_error_set(err, SD_ERR_PARSE, "",
		    "release.json is not valid JSON (line %d, column %d): %s",
		    je.line, je.column, sd_json_reason(&je));
	if (!json_is_object(v)) {
		json_decref(v);
		return sd_error_set(err, SD_ERR_TYPE, "",
		    "release.json must be a JSON object");
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ check */

enum ftype { F_STRING, F_OBJECT };

enum fid {
	F_RELEASE_ID, F_PROJECT, F_CONFIG, F_ACCOUNT, F_REGION, F_LAMBDA,
	F_STEP_FN, F_CREATED, F_SHA256, F_RUNTIME, F_METADATA, F_STATE_MACHINE,
	F_COUNT
};

static const struct field {
	const char	*name;
	enum ftype	 type;
	int		 required;
	const char	*bad_code;	/* syntax finding */
} fields[F_COUNT] = {
	[F_RELEASE_ID] = { "release_id", F_STRING, 1, SD_RELEASE_BAD_ID },
	[F_PROJECT] = { "project_name", F_STRING, 1, SD_RELEASE_BAD_PROJECT },
	[F_CONFIG] = { "config_name", F_STRING, 1, SD_RELEASE_BAD_CONFIG },
	[F_ACCOUNT] = { "aws_account_id", F_STRING, 1,
	    SD_RELEASE_BAD_ACCOUNT },
	[F_REGION] = { "aws_region", F_STRING, 1, SD_RELEASE_BAD_REGION },
	[F_LAMBDA] = { "lambda_name", F_STRING, 1,
	    SD_RELEASE_BAD_LAMBDA_NAME },
	[F_STEP_FN] = { "step_fn_name", F_STRING, 1,
	    SD_RELEASE_BAD_STEP_FN_NAME },
	[F_CREATED] = { "created_at", F_STRING, 1, SD_RELEASE_BAD_TIME },
	[F_SHA256] = { "lambda_sha256", F_STRING, 0, SD_RELEASE_BAD_SHA256 },
	[F_RUNTIME] = { "runtime", F_STRING, 0, SD_RELEASE_BAD_RUNTIME },
	[F_METADATA] = { "metadata", F_OBJECT, 0, NULL },
	[F_STATE_MACHINE] = { "state_machine", F_OBJECT, 1, NULL },
};

struct ck {
	struct sd_release_report	*rep;
	const char			*str[F_COUNT];	/* well-formed only */
	const json_t			*obj[F_COUNT];
	int				 r;		/* sticky NOMEM */
};

static void
add(struct ck *ck, enum sd_severity sev, const char *code, const char *loc,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
add(struct ck *ck, enum sd_severity sev, const char *code, const char *loc,
    const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int r;

	va_start(ap, fmt);
	msg = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (msg == NULL) {
		ck->r = SD_ERR_NOMEM;
		return;
	}
	if ((r = sd_release_report_add(ck->rep, sev, code, loc, "%s", msg)) !=
	    0)
		ck->r = r;
	free(msg);
}

static int
valid_release_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 64)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	}
	return i > 0;
}

static int
valid_sha256(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int
valid_runtime(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 32)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	}
	return 1;
}

/* Syntax of one string field; records a finding and returns 0 if bad. */
static int
check_string(struct ck *ck, enum fid id, const char *s, const char *loc)
{
	const char *code = fields[id].bad_code;

	switch (id) {
	case F_RELEASE_ID:
		if (!valid_release_id(s)) {
			add(ck, SD_SEVERITY_ERROR, code, loc,
			    "must be 1-64 characters of [A-Za-z0-9._-]");
			return 0;
		}
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
			add(ck, SD_SEVERITY_ERROR, code, loc,
			    "must not be \".\" or \"..\"");
			return 0;
		}
		return 1;
	case F_PROJECT:
		if (sd_policy_valid_project_name(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc, "must be OWNER/NAME, "
		    "each 1-64 characters of [A-Za-z0-9._-] starting with a "
		    "letter or digit");
		return 0;
	case F_CONFIG:
		if (sd_policy_valid_config_name(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc, "must be 1-64 characters "
		    "of [A-Za-z0-9._-] starting with a letter or digit");
		return 0;
	case F_ACCOUNT:
		if (sd_policy_valid_account(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc, "must be 12 digits");
		return 0;
	case F_REGION:
		if (sd_policy_valid_region(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc,
		    "not an AWS region name (like us-east-1)");
		return 0;
	case F_LAMBDA:
		if (sd_policy_valid_lambda_name(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc,
		    "must be 1-64 characters of [A-Za-z0-9_-]");
		return 0;
	case F_STEP_FN:
		if (sd_policy_valid_state_machine_name(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc, "must be 1-80 characters "
		    "of [A-Za-z0-9] and !'()+-.=@_ (no whitespace, brackets, "
		    "wildcards or other special characters)");
		return 0;
	case F_CREATED:
		if (sd_time_parse_ts(s, strlen(s), NULL, NULL) == 0)
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc, "not an RFC 3339 "
		    "timestamp (like 2026-11-25T12:00:00Z)");
		return 0;
	case F_SHA256:
		if (valid_sha256(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc,
		    "must be 64 lowercase hex digits");
		return 0;
	case F_RUNTIME:
		if (valid_runtime(s))
			return 1;
		add(ck, SD_SEVERITY_ERROR, code, loc, "not a Lambda runtime "
		    "identifier (1-32 of [a-z0-9._-] starting with a letter, "
		    "like provided.al2023)");
		return 0;
	default:
		return 0;
	}
}

static void
check_fields(struct ck *ck, const json_t *rel)
{
	char loc[LOC_MAX];
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)rel, k, v) {
		for (i = 0; i < F_COUNT; i++)
			if (strcmp(k, fields[i].name) == 0)
				break;
		if (i == F_COUNT) {
			sd_policy_pointer(loc, sizeof(loc), "", k);
			add(ck, SD_SEVERITY_ERROR, SD_RELEASE_UNKNOWN_FIELD,
			    loc, "unknown field");
		}
	}
	for (i = 0; i < F_COUNT; i++) {
		const struct field *f = &fields[i];

		sd_policy_pointer(loc, sizeof(loc), "", f->name);
		if ((v = json_object_get(rel, f->name)) == NULL) {
			if (f->required)
				add(ck, SD_SEVERITY_ERROR,
				    SD_RELEASE_MISSING_FIELD, loc,
				    "required field is missing");
			else if (i == F_SHA256)
				add(ck, SD_SEVERITY_WARNING,
				    SD_RELEASE_NO_SHA256, loc, "no "
				    "lambda_sha256: the zip is not pinned to "
				    "what CI built");
			continue;
		}
		if (f->type == F_OBJECT) {
			if (!json_is_object(v))
				add(ck, SD_SEVERITY_ERROR, SD_RELEASE_BAD_TYPE,
				    loc, "expected an object");
			else
				ck->obj[i] = v;
			continue;
		}
		if (!json_is_string(v)) {
			add(ck, SD_SEVERITY_ERROR, SD_RELEASE_BAD_TYPE, loc,
			    "expected a string");
			continue;
		}
		if (strlen(json_string_value(v)) != json_string_length(v)) {
			add(ck, SD_SEVERITY_ERROR, f->bad_code, loc,
			    "contains a NUL character");
			continue;
		}
		if (check_string(ck, (enum fid)i, json_string_value(v), loc))
			ck->str[i] = json_string_value(v);
	}
}

/* Compare (s1, n1) with (s2, n2): -1, 0, 1. */
static int
ts_cmp(int64_t s1, int32_t n1, int64_t s2, int32_t n2)
{
	if (s1 != s2)
		return s1 < s2 ? -1 : 1;
	if (n1 != n2)
		return n1 < n2 ? -1 : 1;
	return 0;
}

static void
check_time(struct ck *ck, const struct sd_policy_limits *lim, int64_t now_ns)
{
	const char *s = ck->str[F_CREATED];
	int64_t now_sec, sec;
	int32_t now_nsec, nsec;

	if (s == NULL || sd_time_parse_ts(s, strlen(s), &sec, &nsec) != 0)
		return;
	now_sec = now_ns / NS_PER_SEC;
	now_nsec = (int32_t)(now_ns % NS_PER_SEC);
	if (now_nsec < 0) {
		now_nsec += (int32_t)NS_PER_SEC;
		now_sec--;
	}
	/* sec is within years 0000-9999 and the limits within 10 years:
	 * no sum below can overflow. */
	if (ts_cmp(sec, nsec, now_sec - lim->release_max_age_seconds,
	    now_nsec) < 0)
		add(ck, SD_SEVERITY_ERROR, SD_RELEASE_TOO_OLD, "/created_at",
		    "created %lld seconds ago; the policy allows at most %lld",
		    (long long)(now_sec - sec - (nsec > now_nsec ? 1 : 0)),
		    (long long)lim->release_max_age_seconds);
	else if (ts_cmp(sec, nsec, now_sec + lim->release_future_skew_seconds,
	    now_nsec) > 0)
		add(ck, SD_SEVERITY_ERROR, SD_RELEASE_IN_FUTURE, "/created_at",
		    "created %lld seconds in the future; the policy allows at "
		    "most %lld of clock skew",
		    (long long)(sec - now_sec - (nsec < now_nsec ? 1 : 0)),
		    (long long)lim->release_future_skew_seconds);
}

/* Bytes sd_json_quote writes for s (quotes included). */
static uint64_t
quoted_len(const char *s, size_t len)
{
	uint64_t n = 2;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\' || c == '\n' || c == '\r' ||
		    c == '\t' || c == '\b' || c == '\f')
			n += 2;
		else if (c < 0x20)
			n += 6;
		else
			n++;
	}
	return n;
}

/*
 * Add the length of v's canonical JSON (sd_json_dumps with
 * SD_JSON_SORT_KEYS; key order does not change the length) to *n, stopping
 * once it passes max: 0, or SD_ERR_OVERFLOW when larger than max.
 * Allocates nothing, so a huge document costs no memory.
 */
static int
canonical_len(const json_t *v, uint64_t max, uint64_t *n, int depth)
{
	char num[64];
	const char *k;
	json_t *x;
	size_t i;
	int r;

	if (depth > CANON_DEPTH)	/* sd_json_dumps refuses deeper too */
		return SD_ERR_OVERFLOW;
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_TRUE:
		*n += 4;
		break;
	case JSON_FALSE:
		*n += 5;
		break;
	case JSON_INTEGER:
		r = snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		if (r < 0)
			return SD_ERR_INTERNAL;
		*n += (uint64_t)r;
		break;
	case JSON_REAL:
		if (sd_json_fmt_real(json_real_value(v), num, sizeof(num)) != 0)
			return SD_ERR_INTERNAL;
		*n += strlen(num);
		break;
	case JSON_STRING:
		*n += quoted_len(json_string_value(v), json_string_length(v));
		break;
	case JSON_ARRAY:
		*n += 2 + (json_array_size(v) > 0 ? json_array_size(v) - 1 : 0);
		json_array_foreach(v, i, x) {
			if (*n > max)
				return SD_ERR_OVERFLOW;
			if ((r = canonical_len(x, max, n, depth + 1)) != 0)
				return r;
		}
		break;
	case JSON_OBJECT:
		/* '{' '}', a ',' between members, a ':' in each. */
		*n += 2 + (json_object_size(v) > 0 ?
		    2 * json_object_size(v) - 1 : 0);
		json_object_foreach((json_t *)v, k, x) {
			*n += quoted_len(k, strlen(k));
			if (*n > max)
				return SD_ERR_OVERFLOW;
			if ((r = canonical_len(x, max, n, depth + 1)) != 0)
				return r;
		}
		break;
	}
	return *n > max ? SD_ERR_OVERFLOW : 0;
}

static int
canonical_size(const json_t *v, uint64_t max)
{
	uint64_t n = 0;

	return canonical_len(v, max, &n, 0);
}

/*
 * States in a definition: the keys of "States", plus those of each
 * Parallel branch and Map Iterator / ItemProcessor, to a nesting depth.
 */
static uint64_t
count_states(const json_t *def, int depth)
{
	const json_t *states, *st, *br, *sub;
	const char *k;
	uint64_t n;
	size_t i;

	if (depth > STATES_DEPTH || !json_is_object(def) ||
	    !json_is_object(states = json_object_get(def, "States")))
		return 0;
	n = json_object_size(states);
	json_object_foreach((json_t *)states, k, st) {
		if (!json_is_object(st))
			continue;
		json_array_foreach(json_object_get(st, "Branches"), i, br)
			n += count_states(br, depth + 1);
		if ((sub = json_object_get(st, "Iterator")) != NULL)
			n += count_states(sub, depth + 1);
		if ((sub = json_object_get(st, "ItemProcessor")) != NULL)
			n += count_states(sub, depth + 1);
	}
	return n;
}

static void
check_sizes(struct ck *ck, const json_t *rel,
    const struct sd_policy_limits *lim)
{
	uint64_t states;
	int r;

	if (ck->obj[F_METADATA] != NULL) {
		r = canonical_size(ck->obj[F_METADATA],
		    lim->metadata_max_bytes);
		if (r == SD_ERR_OVERFLOW)
			add(ck, SD_SEVERITY_ERROR,
			    SD_RELEASE_METADATA_TOO_LARGE, "/metadata",
			    "larger than %llu bytes (canonical JSON)",
			    (unsigned long long)lim->metadata_max_bytes);
		else if (r != 0)
			ck->r = r;
	}
	if (ck->obj[F_STATE_MACHINE] != NULL) {
		r = canonical_size(ck->obj[F_STATE_MACHINE],
		    lim->definition_max_bytes);
		if (r == SD_ERR_OVERFLOW)
			add(ck, SD_SEVERITY_ERROR,
			    SD_RELEASE_DEFINITION_TOO_LARGE, "/state_machine",
			    "larger than %llu bytes (canonical JSON)",
			    (unsigned long long)lim->definition_max_bytes);
		else if (r != 0)
			ck->r = r;
		states = count_states(ck->obj[F_STATE_MACHINE], 0);
		if (states > lim->definition_max_states)
			add(ck, SD_SEVERITY_ERROR, SD_RELEASE_TOO_MANY_STATES,
			    "/state_machine", "%llu states, more than the "
			    "%llu allowed", (unsigned long long)states,
			    (unsigned long long)lim->definition_max_states);
	}
	r = canonical_size(rel, lim->release_max_bytes);
	if (r == SD_ERR_OVERFLOW)
		add(ck, SD_SEVERITY_ERROR, SD_RELEASE_TOO_LARGE, "",
		    "larger than %llu bytes (canonical JSON)",
		    (unsigned long long)lim->release_max_bytes);
	else if (r != 0)
		ck->r = r;
}

static void
check_arn(struct ck *ck, const struct sd_policy *pol, const char *project,
    enum sd_policy_arn_kind kind, enum fid name_field, const char *code)
{
	struct sd_error why = SD_ERROR_INIT;
	char arn[SD_POLICY_ARN_MAX], loc[LOC_MAX];
	int r;

	if (ck->str[name_field] == NULL)
		return;
	r = sd_policy_build_arn(kind, ck->str[F_REGION], ck->str[F_ACCOUNT],
	    ck->str[name_field], arn, sizeof(arn));
	if (r != 0)
		return;
	if (sd_policy_arn_allowed(pol, project, kind, arn, &why) != 0) {
		sd_policy_pointer(loc, sizeof(loc), "", fields[name_field].name);
		add(ck, SD_SEVERITY_ERROR, code, loc, "project %s may not "
		    "change %s %s", project, kind == SD_POLICY_ARN_LAMBDA ?
		    "Lambda function" : "state machine", arn);
	}
	sd_error_clear(&why);
}

static void
check_policy(struct ck *ck, const struct sd_policy *pol,
    const struct sd_policy_project *proj, const uid_t *submitter)
{
	const char *project = ck->str[F_PROJECT];

	if (project == NULL)
		return;
	if (proj == NULL) {
		add(ck, SD_SEVERITY_ERROR, SD_POLICY_PROJECT_NOT_ALLOWED,
		    "/project_name", "no project %s in the policy", project);
		return;
	}
	if (submitter != NULL &&
	    !sd_policy_project_has_submitter(proj, *submitter))
		add(ck, SD_SEVERITY_ERROR, SD_POLICY_SUBMITTER_NOT_ALLOWED,
		    "/project_name", "uid %lu may not submit releases of %s",
		    (unsigned long)*submitter, project);
	if (ck->str[F_CONFIG] != NULL &&
	    !sd_policy_project_has_config(proj, ck->str[F_CONFIG]))
		add(ck, SD_SEVERITY_ERROR, SD_POLICY_CONFIG_NOT_ALLOWED,
		    "/config_name", "config %s is not allowed for project %s",
		    ck->str[F_CONFIG], project);
	if (ck->str[F_ACCOUNT] != NULL &&
	    !sd_policy_project_has_account(proj, ck->str[F_ACCOUNT]))
		add(ck, SD_SEVERITY_ERROR, SD_POLICY_ACCOUNT_NOT_ALLOWED,
		    "/aws_account_id", "account %s is not allowed for project "
		    "%s", ck->str[F_ACCOUNT], project);
	if (ck->str[F_REGION] != NULL &&
	    !sd_policy_project_has_region(proj, ck->str[F_REGION]))
		add(ck, SD_SEVERITY_ERROR, SD_POLICY_REGION_NOT_ALLOWED,
		    "/aws_region", "region %s is not allowed for project %s",
		    ck->str[F_REGION], project);
	if (ck->str[F_REGION] == NULL || ck->str[F_ACCOUNT] == NULL)
		return;
	check_arn(ck, pol, project, SD_POLICY_ARN_LAMBDA, F_LAMBDA,
	    SD_POLICY_LAMBDA_NOT_ALLOWED);
	check_arn(ck, pol, project, SD_POLICY_ARN_STATE_MACHINE, F_STEP_FN,
	    SD_POLICY_STATE_MACHINE_NOT_ALLOWED);
}

int
sd_release_check(const json_t *release, const struct sd_policy *pol,
    int64_t now_ns, const uid_t *submitter, struct sd_release_report *rep)
{
	const struct sd_policy_project *proj = NULL;
	const struct sd_policy_limits *lim;
	struct ck ck;

	if (rep == NULL)
		return SD_ERR_INTERNAL;
	memset(&ck, 0, sizeof(ck));
	ck.rep = rep;
	if (!json_is_object(release)) {
		add(&ck, SD_SEVERITY_ERROR, SD_RELEASE_NOT_OBJECT, "",
		    "release.json must be a JSON object");
		return ck.r;
	}
	check_fields(&ck, release);
	if (pol != NULL && ck.str[F_PROJECT] != NULL)
		proj = sd_policy_project(pol, ck.str[F_PROJECT]);
	lim = sd_policy_limits(pol, proj);
	check_time(&ck, lim, now_ns);
	check_sizes(&ck, release, lim);
	if (pol != NULL)
		check_policy(&ck, pol, proj, submitter);
	return ck.r;
}

int
sd_release_check_buf(const char *buf, size_t len, const struct sd_policy *pol,
    int64_t now_ns, const uid_t *submitter, struct sd_release_report *rep,
    json_t **release)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *rel = NULL;
	const char *code;
	int r;

	if (release != NULL)
		*release = NULL;
	if (rep == NULL)
		return SD_ERR_INTERNAL;
	r = sd_release_parse(buf, len, pol, &rel, &err);
	if (r == SD_ERR_LIMIT || r == SD_ERR_PARSE || r == SD_ERR_TYPE) {
		code = r == SD_ERR_LIMIT ? SD_RELEASE_TOO_LARGE :
		    r == SD_ERR_PARSE ? SD_RELEASE_NOT_JSON :
		    SD_RELEASE_NOT_OBJECT;
		/* jansson's text quotes the input: keep it printable. */
		r = sd_release_report_add(rep, SD_SEVERITY_ERROR, code, "",
		    "%s", err.message != NULL ? err.message : "invalid");
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = sd_release_check(rel, pol, now_ns, submitter, rep)) != 0)
		goto out;
	if (release != NULL) {
		*release = rel;
		rel = NULL;
	}
 out:
	sd_error_clear(&err);
	json_decref(rel);
	return r;
}

/* ------------------------------------------------------------ canonical */

int
sd_release_canonical(const json_t *release, char **text, size_t *len,
    unsigned char sha256[32], struct sd_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *t = NULL;
	size_t n;
	int r = SD_ERR_INTERNAL;

	if (text != NULL)
		*text = NULL;
	if (len != NULL)
		*len = 0;
	if (!json_is_object(release))
		return sd_error_set(err, SD_ERR_TYPE, "",
		    "a release is a JSON object");
	if ((t = sd_json_dumps(release, SD_JSON_SORT_KEYS)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL,
		    "cannot serialise the release");
		goto out;
	}
	n = strlen(t);
	if (sha256 != NULL) {
		if (EVP_Digest(t, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
		    mdlen != 32) {
			r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
			    "SHA-256 failed");
			goto out;
		}
		memcpy(sha256, md, 32);
	}
	if (len != NULL)
		*len = n;
	if (text != NULL) {
		*text = t;
		t = NULL;
	}
	r = 0;
 out:
	free(t);
	return r;
}

void
sd_release_sha256_hex(const unsigned char sha256[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[sha256[i] >> 4];
		hex[2 * i + 1] = digits[sha256[i] & 0xf];
	}
	hex[64] = '\0';
}
