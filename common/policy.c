/*
 * policy: the strict loader of the one policy file and its queries.
 *
 * Every object is checked against a table of known field names before any
 * field is read, so an unknown field is an error with its JSON-pointer
 * location rather than silently ignored; fields are then read in table
 * order (the global limits before the projects that override them).
 * jansson's json_unpack_ex(JSON_STRICT) would refuse unknown keys too, but
 * cannot say where in the file the offending key sits.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_policy.h"

#define LOC_MAX		512	/* bytes of an error location */
#define TAGS_MAX	50	/* AWS's limit of tags on a resource */
#define TAG_KEY_MAX	128
#define TAG_VALUE_MAX	256
#define USER_NAME_MAX	32
#define PATH_MAX_LEN	4096
#define HOST_MAX	253
#define UID_MAX_VALUE	INT64_C(4294967294)	/* (uid_t)-1 is "no uid" */

const struct sd_policy_limits sd_policy_default_limits = {
	.zip_max_bytes = 52428800,		/* 50 MiB: Lambda direct upload */
	.zip_unzipped_max_bytes = 262144000,	/* 250 MiB: Lambda's limit */
	.zip_max_entries = 10000,
	.zip_max_ratio = 100,
	.release_max_bytes = 2097152,		/* 2 MiB */
	.definition_max_bytes = 1048576,	/* 1 MiB: AWS's limit */
	.definition_max_states = 10000,
	.metadata_max_bytes = 16384,
	.tests_max_bytes = 8388608,		/* 8 MiB */
	.tests_max_count = 1000,
	.tests_min_count = 1,
	.release_max_age_seconds = 86400,
	.release_future_skew_seconds = 300,
};

struct user {
	char		*name;		/* NULL when written as a uid */
	uid_t		 uid;
	int		 resolved;	/* 0: a kept unknown name */
};

struct users {
	struct user	*v;
	size_t		 n;
};

struct strs {
	char		**v;
	size_t		  n;
};

struct tag {
	char		*key;
	char		*value;		/* template with ${project} ${config} */
};

struct sd_policy_project {
	char			*name;
	struct users		 submitters;
	struct strs		 configs;
	struct strs		 accounts;
	struct strs		 regions;
	struct strs		 arns[2];	/* by enum sd_policy_arn_kind */
	char			*bucket;
	struct tag		*tags;
	size_t			 ntags;
	struct sd_policy_limits	 limits;	/* effective */
};

struct endpoint {
	char		*url;		/* normalised scheme://host[:port] */
	char		*host;		/* lowercase; IPv6 with brackets */
	unsigned	 port;		/* effective port */
};

struct sd_policy {
	int			 version;
	struct users		 sockets[SD_POLICY_SOCK_COUNT];
	char			*credentials_file;
	struct endpoint		 endpoints[SD_POLICY_SVC_COUNT];
	int64_t			 lease;
	struct sd_policy_aws	 aws;
	struct sd_policy_limits	 limits;
	struct sd_policy_project *projects;	/* sorted by name */
	size_t			 nprojects;
};

struct ld {
	const struct sd_policy_opts	*opts;
	struct sd_error			*err;
};

static const char *const socket_names[SD_POLICY_SOCK_COUNT] = {
	"submit", "exec", "deploy", "sign"
};
static const char *const service_names[SD_POLICY_SVC_COUNT] = {
	"s3", "lambda", "states"
};
static const char *const arn_services[2] = { "lambda", "states" };
static const char *const arn_types[2] = { "function", "stateMachine" };
static const char *const arn_fields[2] = { "lambda_arns",
	"state_machine_arns" };

/* ------------------------------------------------------------ small tools */

void
sd_policy_pointer(char *buf, size_t len, const char *parent, const char *key)
{
	const char *p;
	size_t o = 0, lim, need;
	int cut = 0;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	if (len < 8)
		return;
	lim = len - 4;		/* room for "..." and the NUL */
	for (p = parent != NULL ? parent : ""; *p != '\0' && !cut; p++) {
		if (o + 1 > lim)
			cut = 1;
		else
			buf[o++] = *p;
	}
	if (!cut) {
		if (o + 1 > lim)
			cut = 1;
		else
			buf[o++] = '/';
	}
	for (p = key != NULL ? key : ""; *p != '\0' && !cut; p++) {
		need = (*p == '~' || *p == '/') ? 2 : 1;
		if (o + need > lim) {
			cut = 1;
			break;
		}
		if (need == 2) {
			buf[o++] = '~';
			buf[o++] = *p == '~' ? '0' : '1';
		} else
			buf[o++] = *p;
	}
	if (cut) {
		/* Drop a trailing multibyte sequence that may be cut short:
		 * locations stay valid UTF-8. */
		while (o > 0 && ((unsigned char)buf[o - 1] & 0x80))
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

static void
pointer_index(char *buf, size_t len, const char *parent, size_t i)
{
	char num[32];

	if (snprintf(num, sizeof(num), "%zu", i) < 0)
		num[0] = '\0';
	sd_policy_pointer(buf, len, parent, num);
}

/*
 * A copy of s safe to put in a message: printable ASCII, anything else as
 * '?', cut with "..." to fit outlen.
 */
static void
msg_safe(char *out, size_t outlen, const char *s)
{
	size_t i, o = 0;

	if (outlen < 8)
		return;
	for (i = 0; s != NULL && s[i] != '\0'; i++) {
		if (o >= outlen - 4) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	out[o] = '\0';
}

static int
oneof(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* [A-Za-z0-9][A-Za-z0-9._-]{0,63} over n bytes. */
static int
valid_segment(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 64 || !is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && !oneof(s[i], "._-"))
			return 0;
	return 1;
}

int
sd_policy_valid_project_name(const char *s)
{
	const char *slash;

	if (s == NULL || (slash = strchr(s, '/')) == NULL)
		return 0;
	if (strchr(slash + 1, '/') != NULL)
		return 0;
	return valid_segment(s, (size_t)(slash - s)) &&
	    valid_segment(slash + 1, strlen(slash + 1));
}

int
sd_policy_valid_config_name(const char *s)
{
	return s != NULL && valid_segment(s, strlen(s));
}

int
sd_policy_valid_account(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 12; i++)
		if (!is_digit((unsigned char)s[i]))
			return 0;
	return s[12] == '\0';
}

int
sd_policy_valid_region(const char *s)
{
	size_t i, n, words = 0, w;

	if (s == NULL || (n = strlen(s)) > 32 || n < 6)
		return 0;
	if (!is_lower((unsigned char)s[0]) || !is_lower((unsigned char)s[1]) ||
	    s[2] != '-')
		return 0;
	i = 3;
	for (;;) {
		for (w = 0; i < n && is_lower((unsigned char)s[i]); i++)
			w++;
		if (w == 0)
			break;
		if (w > 16 || i >= n || s[i] != '-')
			return 0;
		i++;
		words++;
	}
	if (words < 1 || words > 3 || i >= n)
		return 0;
	if (s[i] < '1' || s[i] > '9')
		return 0;
	i++;
	if (i < n && is_digit((unsigned char)s[i]))
		i++;
	return i == n;
}

int
sd_policy_valid_lambda_name(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= 64 || (!is_alnum((unsigned char)s[i]) &&
		    !oneof(s[i], "_-")))
			return 0;
	return i > 0;
}

static int
sm_name_char(int c)
{
	return is_alnum(c) || oneof(c, "!'()+-.=@_");
}

int
sd_policy_valid_state_machine_name(const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= 80 || !sm_name_char((unsigned char)s[i]))
			return 0;
	return i > 0;
}

int
sd_policy_valid_bucket(const char *s)
{
	size_t i, n, dots = 0, digits = 0;

	if (s == NULL || (n = strlen(s)) < 3 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_lower((unsigned char)s[i]) &&
		    !is_digit((unsigned char)s[i]) && !oneof(s[i], ".-"))
			return 0;
		if (s[i] == '.') {
			dots++;
			if (i > 0 && s[i - 1] == '.')
				return 0;
		} else if (is_digit((unsigned char)s[i]))
			digits++;
	}
	if (oneof(s[0], ".-") || oneof(s[n - 1], ".-"))
		return 0;
	/* An IPv4 address (four dotted numbers) is not a bucket name. */
	if (dots == 3 && digits + dots == n)
		return 0;
	return 1;
}

/* AWS partition of a region. */
static const char *
partition(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

int
sd_policy_build_arn(enum sd_policy_arn_kind kind, const char *region,
    const char *account, const char *name, char *buf, size_t len)
{
	int n;

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	if ((kind != SD_POLICY_ARN_LAMBDA &&
	    kind != SD_POLICY_ARN_STATE_MACHINE) ||
	    !sd_policy_valid_region(region) || !sd_policy_valid_account(account))
		return SD_ERR_INVALID;
	if (kind == SD_POLICY_ARN_LAMBDA ? !sd_policy_valid_lambda_name(name) :
	    !sd_policy_valid_state_machine_name(name))
		return SD_ERR_INVALID;
	if (buf == NULL || len == 0)
		return SD_ERR_OVERFLOW;
	n = snprintf(buf, len, "arn:%s:%s:%s:%s:%s:%s", partition(region),
	    arn_services[kind], region, account, arn_types[kind], name);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return SD_ERR_OVERFLOW;
	}
	return 0;
}

const char *
sd_policy_socket_name(enum sd_policy_socket s)
{
	if ((int)s < 0 || s >= SD_POLICY_SOCK_COUNT)
		return "unknown";
	return socket_names[s];
}

const char *
sd_policy_service_name(enum sd_policy_service s)
{
	if ((int)s < 0 || s >= SD_POLICY_SVC_COUNT)
		return "unknown";
	return service_names[s];
}

/* ------------------------------------------------------------ freeing */

static void
users_free(struct users *u)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		free(u->v[i].name);
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

static void
strs_free(struct strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void
project_free(struct sd_policy_project *p)
{
	size_t i;

	free(p->name);
	users_free(&p->submitters);
	strs_free(&p->configs);
	strs_free(&p->accounts);
	strs_free(&p->regions);
	strs_free(&p->arns[0]);
	strs_free(&p->arns[1]);
	free(p->bucket);
	for (i = 0; i < p->ntags; i++) {
		free(p->tags[i].key);
		free(p->tags[i].value);
	}
	free(p->tags);
}

void
sd_policy_free(struct sd_policy *pol)
{
	size_t i;

	if (pol == NULL)
		return;
	for (i = 0; i < SD_POLICY_SOCK_COUNT; i++)
		users_free(&pol->sockets[i]);
	free(pol->credentials_file);
	for (i = 0; i < SD_POLICY_SVC_COUNT; i++) {
		free(pol->endpoints[i].url);
		free(pol->endpoints[i].host);
	}
	for (i = 0; i < pol->nprojects; i++)
		project_free(&pol->projects[i]);
	free(pol->projects);
	free(pol);
}

/* ------------------------------------------------------------ typed reads */

static int
nomem(struct ld *ld)
{
	return sd_error_set(ld->err, SD_ERR_NOMEM, NULL, "out of memory");
}

/* Every key of obj must be in known (NULL-terminated). */
static int
check_fields(struct ld *ld, const json_t *obj, const char *loc,
    const char *const *known)
{
	char here[LOC_MAX];
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			sd_policy_pointer(here, sizeof(here), loc, k);
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "unknown field");
		}
	}
	return 0;
}

static int
missing(struct ld *ld, const char *loc, const char *key)
{
	char here[LOC_MAX];

	sd_policy_pointer(here, sizeof(here), loc, key);
	return sd_error_set(ld->err, SD_ERR_INVALID, here,
	    "required field is missing");
}

static int
want_object(struct ld *ld, const json_t *v, const char *loc)
{
	if (!json_is_object(v))
		return sd_error_set(ld->err, SD_ERR_TYPE, loc,
		    "expected an object");
	return 0;
}

static int
want_array(struct ld *ld, const json_t *v, const char *loc, int nonempty)
{
	if (!json_is_array(v))
		return sd_error_set(ld->err, SD_ERR_TYPE, loc,
		    "expected an array");
	if (nonempty && json_array_size(v) == 0)
		return sd_error_set(ld->err, SD_ERR_INVALID, loc,
		    "must not be empty");
	if (json_array_size(v) > SD_POLICY_LIST_MAX)
		return sd_error_set(ld->err, SD_ERR_LIMIT, loc,
		    "more than %d entries", SD_POLICY_LIST_MAX);
	return 0;
}

static int
want_string(struct ld *ld, const json_t *v, const char *loc, const char **out)
{
	if (!json_is_string(v))
		return sd_error_set(ld->err, SD_ERR_TYPE, loc,
		    "expected a string");
	/* The parser refuses \u0000; a json_t built by hand might not. */
	if (strlen(json_string_value(v)) != json_string_length(v))
		return sd_error_set(ld->err, SD_ERR_INVALID, loc,
		    "contains a NUL character");
	*out = json_string_value(v);
	return 0;
}

static int
want_int(struct ld *ld, const json_t *v, const char *loc, int64_t min,
    int64_t max, int64_t *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return sd_error_set(ld->err, SD_ERR_TYPE, loc,
		    "expected an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return sd_error_set(ld->err, SD_ERR_OVERFLOW, loc,
		    "must be between %lld and %lld", (long long)min,
		    (long long)max);
	*out = (int64_t)n;
	return 0;
}

static int
dup_string(struct ld *ld, const char *s, char **out)
{
	if ((*out = strdup(s)) == NULL)
		return nomem(ld);
	return 0;
}

/* ------------------------------------------------------------ users */

static int
valid_user_name(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= USER_NAME_MAX || (!is_alnum((unsigned char)s[i]) &&
		    !oneof(s[i], "._-")))
			return 0;
	return 1;
}

static int
resolve_getpw(void *arg, const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL, *nb;
	long sz;
	size_t len;
	int e, r = SD_ERR_NOTFOUND;

	(void)arg;
	sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	len = sz > 0 && sz <= 65536 ? (size_t)sz : 16384;
	for (;;) {
		if ((nb = realloc(buf, len)) == NULL) {
			r = SD_ERR_NOMEM;
			goto out;
		}
		buf = nb;
		e = getpwnam_r(name, &pw, buf, len, &res);
		if (e != ERANGE)
			break;
		if (len >= 1024 * 1024) {
			r = SD_ERR_OVERFLOW;
			goto out;
		}
		len *= 2;
	}
	if (e != 0 && e != ENOENT && e != ESRCH) {
		r = SD_ERR_IO;
		goto out;
	}
	if (res != NULL) {
		*uid = res->pw_uid;
		r = 0;
	}
 out:
	free(buf);
	return r;
}

static int
parse_users(struct ld *ld, const json_t *arr, const char *loc, int nonempty,
    struct users *out)
{
	char here[LOC_MAX];
	const char *name;
	json_t *v;
	size_t i;
	int64_t n;
	int r;
	int (*resolve)(void *, const char *, uid_t *) = resolve_getpw;
	void *arg = NULL;

	if (ld->opts != NULL && ld->opts->resolve_user != NULL) {
		resolve = ld->opts->resolve_user;
		arg = ld->opts->resolve_arg;
	}
	if ((r = want_array(ld, arr, loc, nonempty)) != 0)
		return r;
	if (json_array_size(arr) == 0)
		return 0;
	if ((out->v = calloc(json_array_size(arr), sizeof(*out->v))) == NULL)
		return nomem(ld);
	json_array_foreach(arr, i, v) {
		struct user *u = &out->v[out->n];

		pointer_index(here, sizeof(here), loc, i);
		if (json_is_integer(v)) {
			if ((r = want_int(ld, v, here, 0, UID_MAX_VALUE,
			    &n)) != 0)
				return r;
			u->uid = (uid_t)n;
			u->resolved = 1;
			out->n++;
			continue;
		}
		if (!json_is_string(v))
			return sd_error_set(ld->err, SD_ERR_TYPE, here,
			    "expected a user name or a uid");
		if ((r = want_string(ld, v, here, &name)) != 0)
			return r;
		if (!valid_user_name(name))
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "not a valid user name (1-%d of [A-Za-z0-9._-], "
			    "not starting with '-')", USER_NAME_MAX);
		if ((r = dup_string(ld, name, &u->name)) != 0)
			return r;
		out->n++;
		r = resolve(arg, name, &u->uid);
		if (r == 0)
			u->resolved = 1;
		else if (r == SD_ERR_NOTFOUND && ld->opts != NULL &&
		    (ld->opts->flags & SD_POLICY_KEEP_UNKNOWN_USERS))
			u->resolved = 0;
		else if (r == SD_ERR_NOTFOUND)
			return sd_error_set(ld->err, SD_ERR_NOTFOUND, here,
			    "no such user \"%s\"", name);
		else
			return sd_error_set(ld->err, r, here,
			    "cannot look up user \"%s\": %s", name,
			    sd_strerror(r));
	}
	return 0;
}

static int
users_has(const struct users *u, uid_t uid)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->v[i].resolved && u->v[i].uid == uid)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ string lists */

/*
 * A list of strings, each checked by valid (NULL: any string) and unique.
 * what names the rule in the error.
 */
static int
parse_strs(struct ld *ld, const json_t *arr, const char *loc, int nonempty,
    int (*valid)(const char *), const char *what, struct strs *out)
{
	char here[LOC_MAX], first[LOC_MAX];
	const char *s;
	json_t *v;
	size_t i, j;
	int r;

	if ((r = want_array(ld, arr, loc, nonempty)) != 0)
		return r;
	if (json_array_size(arr) == 0)
		return 0;
	if ((out->v = calloc(json_array_size(arr), sizeof(*out->v))) == NULL)
		return nomem(ld);
	json_array_foreach(arr, i, v) {
		pointer_index(here, sizeof(here), loc, i);
		if ((r = want_string(ld, v, here, &s)) != 0)
			return r;
		if (valid != NULL && !valid(s))
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "not a valid %s", what);
		for (j = 0; j < out->n; j++)
			if (strcmp(out->v[j], s) == 0) {
				pointer_index(first, sizeof(first), loc, j);
				return sd_error_set(ld->err, SD_ERR_INVALID,
				    here, "duplicate of %s", first);
			}
		if ((r = dup_string(ld, s, &out->v[out->n])) != 0)
			return r;
		out->n++;
	}
	return 0;
}

static int
strs_has(const struct strs *l, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ ARN patterns */

/*
 * "arn:PARTITION:SERVICE:REGION:ACCOUNT:TYPE:" then a full name, or a name
 * prefix (possibly empty) followed by one '*' that ends the pattern.
 * Returns NULL when valid, else the reason.
 */
static const char *
arn_pattern_error(enum sd_policy_arn_kind kind, const char *s)
{
	static const char *const parts[] = { "aws", "aws-cn", "aws-us-gov" };
	char region[40], account[16];
	const char *p = s, *q, *name, *part = NULL;
	size_t i, n;

	if (strlen(s) > SD_POLICY_ARN_MAX)
		return "longer than 256 bytes";
	if (strncmp(p, "arn:", 4) != 0)
		return "does not start with \"arn:\"";
	p += 4;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		n = strlen(parts[i]);
		if (strncmp(p, parts[i], n) == 0 && p[n] == ':') {
			part = parts[i];
			p += n + 1;
			break;
		}
	}
	if (part == NULL)
		return "partition is not aws, aws-cn or aws-us-gov";
	n = strlen(arn_services[kind]);
	if (strncmp(p, arn_services[kind], n) != 0 || p[n] != ':')
		return kind == SD_POLICY_ARN_LAMBDA ?
		    "service is not lambda" : "service is not states";
	p += n + 1;
	if ((q = strchr(p, ':')) == NULL || (size_t)(q - p) >= sizeof(region))
		return "region is missing or malformed";
	memcpy(region, p, (size_t)(q - p));
	region[q - p] = '\0';
	if (!sd_policy_valid_region(region))
		return "region is missing or malformed";
	if (strcmp(partition(region), part) != 0)
		return "partition does not match the region";
	p = q + 1;
	if ((q = strchr(p, ':')) == NULL || (size_t)(q - p) >= sizeof(account))
		return "account is missing or malformed";
	memcpy(account, p, (size_t)(q - p));
	account[q - p] = '\0';
	if (!sd_policy_valid_account(account))
		return "account is missing or malformed";
	p = q + 1;
	n = strlen(arn_types[kind]);
	if (strncmp(p, arn_types[kind], n) != 0 || p[n] != ':')
		return kind == SD_POLICY_ARN_LAMBDA ?
		    "resource type is not function" :
		    "resource type is not stateMachine";
	name = p + n + 1;
	n = strlen(name);
	if (n > 0 && name[n - 1] == '*') {
		/* A prefix: every byte before the '*' a name byte. */
		for (p = name; p < name + n - 1; p++)
			if (kind == SD_POLICY_ARN_LAMBDA ?
			    !(is_alnum((unsigned char)*p) || oneof(*p, "_-")) :
			    !sm_name_char((unsigned char)*p))
				return "'*' may only end the pattern, after "
				    "name characters";
		if (n - 1 >= (kind == SD_POLICY_ARN_LAMBDA ? 64u : 80u))
			return "name prefix is too long";
		return NULL;
	}
	if (kind == SD_POLICY_ARN_LAMBDA ? !sd_policy_valid_lambda_name(name) :
	    !sd_policy_valid_state_machine_name(name))
		return "name is not valid ('*' may only end the pattern)";
	return NULL;
}

static int
parse_arns(struct ld *ld, const json_t *arr, const char *loc,
    enum sd_policy_arn_kind kind, struct strs *out)
{
	char here[LOC_MAX];
	const char *why;
	size_t i;
	int r;

	if ((r = parse_strs(ld, arr, loc, 1, NULL, NULL, out)) != 0)
		return r;
	for (i = 0; i < out->n; i++)
		if ((why = arn_pattern_error(kind, out->v[i])) != NULL) {
			pointer_index(here, sizeof(here), loc, i);
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "not a valid %s ARN pattern: %s",
			    kind == SD_POLICY_ARN_LAMBDA ? "Lambda function" :
			    "state machine", why);
		}
	return 0;
}

static int
arn_match(const char *pattern, const char *arn)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, arn, n - 1) == 0;
	return strcmp(pattern, arn) == 0;
}

/* ------------------------------------------------------------ tags */

static int
tag_char(int c)
{
	return is_alnum(c) || oneof(c, " _.:/=+-@");
}

/* NULL when a valid value template, else the reason. */
static const char *
tag_template_error(const char *s)
{
	size_t i;

	if (strlen(s) > TAG_VALUE_MAX)
		return "longer than 256 bytes";
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '$' && s[i + 1] == '{') {
			if (strncmp(s + i, "${project}", 10) == 0)
				i += 9;
			else if (strncmp(s + i, "${config}", 9) == 0)
				i += 8;
			else
				return "unknown placeholder (only ${project} "
				    "and ${config})";
			continue;
		}
		if (!tag_char((unsigned char)s[i]))
			return "characters other than letters, digits, "
			    "spaces and _.:/=+-@";
	}
	return NULL;
}

static int
parse_tags(struct ld *ld, const json_t *obj, const char *loc,
    struct sd_policy_project *p)
{
	char here[LOC_MAX];
	const char *k, *s, *why;
	json_t *v;
	size_t i;
	int r;

	if ((r = want_object(ld, obj, loc)) != 0)
		return r;
	if (json_object_size(obj) > TAGS_MAX)
		return sd_error_set(ld->err, SD_ERR_LIMIT, loc,
		    "more than %d tags", TAGS_MAX);
	if (json_object_size(obj) == 0)
		return 0;
	if ((p->tags = calloc(json_object_size(obj), sizeof(*p->tags))) ==
	    NULL)
		return nomem(ld);
	json_object_foreach((json_t *)obj, k, v) {
		sd_policy_pointer(here, sizeof(here), loc, k);
		if (k[0] == '\0' || strlen(k) > TAG_KEY_MAX)
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "a tag key is 1-%d bytes", TAG_KEY_MAX);
		for (i = 0; k[i] != '\0'; i++)
			if (!tag_char((unsigned char)k[i]))
				return sd_error_set(ld->err, SD_ERR_INVALID,
				    here, "a tag key holds letters, digits, "
				    "spaces and _.:/=+-@");
		if (strncmp(k, "aws:", 4) == 0)
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "tag keys starting with \"aws:\" are reserved");
		if ((r = want_string(ld, v, here, &s)) != 0)
			return r;
		if ((why = tag_template_error(s)) != NULL)
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "%s", why);
		if ((r = dup_string(ld, k, &p->tags[p->ntags].key)) != 0 ||
		    (r = dup_string(ld, s, &p->tags[p->ntags].value)) != 0) {
			p->ntags++;
			return r;
		}
		p->ntags++;
	}
	return 0;
}

static int
default_tags(struct ld *ld, struct sd_policy_project *p)
{
	static const char *const def[3][2] = {
		{ "ProjectName", "${project}" },
		{ "ConfigName", "${config}" },
		{ "DeployWith", "stepdeploy" },
	};
	size_t i;
	int r;

	if ((p->tags = calloc(3, sizeof(*p->tags))) == NULL)
		return nomem(ld);
	for (i = 0; i < 3; i++) {
		r = dup_string(ld, def[i][0], &p->tags[i].key);
		p->ntags++;
		if (r != 0 || (r = dup_string(ld, def[i][1],
		    &p->tags[i].value)) != 0)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------ limits */

static const struct limit_field {
	const char	*name;
	size_t		 off;
	int		 is_signed;
	int64_t		 min, max;
} limit_fields[] = {
#define LU(f, lo, hi) { #f, offsetof(struct sd_policy_limits, f), 0, lo, hi }
#define LS(f, lo, hi) { #f, offsetof(struct sd_policy_limits, f), 1, lo, hi }
	LU(zip_max_bytes, 1, INT64_C(1) << 40),
	LU(zip_unzipped_max_bytes, 1, INT64_C(1) << 40),
	LU(zip_max_entries, 1, 1000000),
	LU(zip_max_ratio, 1, 100000),
	LU(release_max_bytes, 1, INT64_C(1) << 30),
	LU(definition_max_bytes, 1, INT64_C(1) << 30),
	LU(definition_max_states, 1, 1000000),
	LU(metadata_max_bytes, 1, INT64_C(1) << 30),
	LU(tests_max_bytes, 1, INT64_C(1) << 30),
	LU(tests_max_count, 1, 1000000),
	LU(tests_min_count, 0, 1000000),
	LS(release_max_age_seconds, 1, INT64_C(10) * 366 * 86400),
	LS(release_future_skew_seconds, 0, 86400),
#undef LU
#undef LS
};
#define NLIMITS	(sizeof(limit_fields) / sizeof(limit_fields[0]))

static int
parse_limits(struct ld *ld, const json_t *obj, const char *loc,
    struct sd_policy_limits *lim)
{
	const char *known[NLIMITS + 1];
	char here[LOC_MAX];
	json_t *v;
	int64_t n;
	size_t i;
	int r;

	if ((r = want_object(ld, obj, loc)) != 0)
		return r;
	for (i = 0; i < NLIMITS; i++)
		known[i] = limit_fields[i].name;
	known[NLIMITS] = NULL;
	if ((r = check_fields(ld, obj, loc, known)) != 0)
		return r;
	for (i = 0; i < NLIMITS; i++) {
		const struct limit_field *f = &limit_fields[i];

		if ((v = json_object_get(obj, f->name)) == NULL)
			continue;
		sd_policy_pointer(here, sizeof(here), loc, f->name);
		if ((r = want_int(ld, v, here, f->min, f->max, &n)) != 0)
			return r;
		if (f->is_signed)
			*(int64_t *)(void *)((char *)lim + f->off) = n;
		else
			*(uint64_t *)(void *)((char *)lim + f->off) =
			    (uint64_t)n;
	}
	return 0;
}

/* ------------------------------------------------------------ endpoints */

static int
is_loopback(const char *host)
{
	int a, b, c, d, n = 0;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	if (sscanf(host, "%3d.%3d.%3d.%3d%n", &a, &b, &c, &d, &n) == 4 &&
	    (size_t)n == strlen(host) && a == 127 && b >= 0 && b <= 255 &&
	    c >= 0 && c <= 255 && d >= 0 && d <= 255)
		return 1;
	return 0;
}

/*
 * "https://HOST[:PORT][/]" or, for a loopback HOST only, "http://...".
 * HOST is a DNS name ([A-Za-z0-9.-]) or a bracketed IPv6 address. Returns
 * NULL when valid (filling e), else the reason.
 */
static const char *
endpoint_parse(const char *s, struct endpoint *e, int *oom)
{
	const char *p, *h, *hend;
	char host[HOST_MAX + 3];
	unsigned port;
	int https, n;
	size_t i, hl;

	*oom = 0;
	if (strncmp(s, "https://", 8) == 0) {
		https = 1;
		p = s + 8;
	} else if (strncmp(s, "http://", 7) == 0) {
		https = 0;
		p = s + 7;
	} else
		return "must start with https:// (or http:// for a loopback "
		    "host)";
	h = p;
	if (*p == '[') {
		while (*p != '\0' && *p != ']') {
			if (p > h && !isxdigit((unsigned char)*p) && *p != ':'
			    && *p != '.')
				return "malformed IPv6 address";
			p++;
		}
		if (*p != ']' || p == h + 1)
			return "malformed IPv6 address";
		p++;
	} else {
		while (is_alnum((unsigned char)*p) || *p == '.' || *p == '-')
			p++;
		if (p > h && (!is_alnum((unsigned char)h[0]) ||
		    !is_alnum((unsigned char)p[-1])))
			return "host must start and end with a letter or digit";
	}
	hend = p;
	hl = (size_t)(hend - h);
	if (hl == 0)
		return "host is missing";
	if (hl > HOST_MAX + 2)
		return "host is too long";
	for (i = 0; i < hl; i++)
		host[i] = (char)tolower((unsigned char)h[i]);
	host[hl] = '\0';
	port = https ? 443 : 80;
	if (*p == ':') {
		p++;
		port = 0;
		for (n = 0; is_digit((unsigned char)*p); p++, n++) {
			if (n >= 5)
				return "port is not 1-65535";
			port = port * 10 + (unsigned)(*p - '0');
		}
		if (n == 0 || port < 1 || port > 65535)
			return "port is not 1-65535";
	}
	if (*p == '/')
		p++;
	if (*p != '\0')
		return "only scheme://host[:port] (no path, query, user "
		    "or fragment)";
	if (!https && !is_loopback(host))
		return "plain http is allowed only for a loopback host "
		    "(127.0.0.1, [::1], localhost)";
	if ((e->host = strdup(host)) == NULL) {
		*oom = 1;
		return "out of memory";
	}
	e->port = port;
	if (port == (https ? 443u : 80u))
		e->url = sd_asprintf("%s://%s", https ? "https" : "http", host);
	else
		e->url = sd_asprintf("%s://%s:%u", https ? "https" : "http",
		    host, port);
	if (e->url == NULL) {
		*oom = 1;
		return "out of memory";
	}
	return NULL;
}

static int
parse_endpoints(struct ld *ld, const json_t *obj, const char *loc,
    struct sd_policy *pol)
{
	static const char *const known[] = { "s3", "lambda", "states", NULL };
	char here[LOC_MAX];
	const char *s, *why;
	json_t *v;
	size_t i, j;
	int r, oom;

	if ((r = want_object(ld, obj, loc)) != 0 ||
	    (r = check_fields(ld, obj, loc, known)) != 0)
		return r;
	for (i = 0; i < SD_POLICY_SVC_COUNT; i++) {
		if ((v = json_object_get(obj, service_names[i])) == NULL)
			continue;
		sd_policy_pointer(here, sizeof(here), loc, service_names[i]);
		if ((r = want_string(ld, v, here, &s)) != 0)
			return r;
		if ((why = endpoint_parse(s, &pol->endpoints[i], &oom)) !=
		    NULL)
			return oom ? nomem(ld) : sd_error_set(ld->err,
			    SD_ERR_INVALID, here, "%s", why);
		for (j = 0; j < i; j++)
			if (pol->endpoints[j].host != NULL &&
			    strcmp(pol->endpoints[j].host,
			    pol->endpoints[i].host) == 0 &&
			    pol->endpoints[j].port == pol->endpoints[i].port)
				return sd_error_set(ld->err, SD_ERR_INVALID,
				    here, "same host and port as %s; the "
				    "signer tells services apart by host",
				    service_names[j]);
	}
	return 0;
}

/* ------------------------------------------------------------ projects */

static int
parse_project(struct ld *ld, const char *name, const json_t *obj,
    const char *loc, const struct sd_policy *pol, struct sd_policy_project *p)
{
	static const char *const known[] = { "submitters", "configs",
	    "accounts", "regions", "bucket", "lambda_arns",
	    "state_machine_arns", "tags", "limits", NULL };
	static const char *const required[] = { "submitters", "configs",
	    "accounts", "regions", "bucket", "lambda_arns",
	    "state_machine_arns", NULL };
	char here[LOC_MAX];
	const char *s;
	json_t *v;
	size_t i;
	int r;

	if ((r = dup_string(ld, name, &p->name)) != 0)
		return r;
	p->limits = pol->limits;
	if ((r = want_object(ld, obj, loc)) != 0 ||
	    (r = check_fields(ld, obj, loc, known)) != 0)
		return r;
	for (i = 0; required[i] != NULL; i++)
		if (json_object_get(obj, required[i]) == NULL)
			return missing(ld, loc, required[i]);

	sd_policy_pointer(here, sizeof(here), loc, "submitters");
	if ((r = parse_users(ld, json_object_get(obj, "submitters"), here, 0,
	    &p->submitters)) != 0)
		return r;
	sd_policy_pointer(here, sizeof(here), loc, "configs");
	if ((r = parse_strs(ld, json_object_get(obj, "configs"), here, 1,
	    sd_policy_valid_config_name,
	    "config name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})", &p->configs)) != 0)
		return r;
	sd_policy_pointer(here, sizeof(here), loc, "accounts");
	if ((r = parse_strs(ld, json_object_get(obj, "accounts"), here, 1,
	    sd_policy_valid_account, "AWS account id (12 digits)",
	    &p->accounts)) != 0)
		return r;
	sd_policy_pointer(here, sizeof(here), loc, "regions");
	if ((r = parse_strs(ld, json_object_get(obj, "regions"), here, 1,
	    sd_policy_valid_region, "AWS region (like us-east-1)",
	    &p->regions)) != 0)
		return r;
	sd_policy_pointer(here, sizeof(here), loc, "bucket");
	if ((r = want_string(ld, json_object_get(obj, "bucket"), here,
	    &s)) != 0)
		return r;
	if (!sd_policy_valid_bucket(s))
		return sd_error_set(ld->err, SD_ERR_INVALID, here,
		    "not a valid S3 bucket name (3-63 of [a-z0-9.-], "
		    "starting and ending with a letter or digit)");
	if ((r = dup_string(ld, s, &p->bucket)) != 0)
		return r;
	for (i = 0; i < 2; i++) {
		sd_policy_pointer(here, sizeof(here), loc, arn_fields[i]);
		if ((r = parse_arns(ld, json_object_get(obj, arn_fields[i]),
		    here, (enum sd_policy_arn_kind)i, &p->arns[i])) != 0)
			return r;
	}
	if ((v = json_object_get(obj, "tags")) != NULL) {
		sd_policy_pointer(here, sizeof(here), loc, "tags");
		if ((r = parse_tags(ld, v, here, p)) != 0)
			return r;
	} else if ((r = default_tags(ld, p)) != 0)
		return r;
	if ((v = json_object_get(obj, "limits")) != NULL) {
		sd_policy_pointer(here, sizeof(here), loc, "limits");
		if ((r = parse_limits(ld, v, here, &p->limits)) != 0)
			return r;
	}
	return 0;
}

static int
cmp_project(const void *a, const void *b)
{
	return strcmp(((const struct sd_policy_project *)a)->name,
	    ((const struct sd_policy_project *)b)->name);
}

static int
parse_projects(struct ld *ld, const json_t *obj, const char *loc,
    struct sd_policy *pol)
{
	char here[LOC_MAX];
	const char *k;
	json_t *v;
	size_t n;
	int r;

	if ((r = want_object(ld, obj, loc)) != 0)
		return r;
	if ((n = json_object_size(obj)) > SD_POLICY_PROJECTS_MAX)
		return sd_error_set(ld->err, SD_ERR_LIMIT, loc,
		    "more than %d projects", SD_POLICY_PROJECTS_MAX);
	if (n == 0)
		return 0;
	if ((pol->projects = calloc(n, sizeof(*pol->projects))) == NULL)
		return nomem(ld);
	json_object_foreach((json_t *)obj, k, v) {
		sd_policy_pointer(here, sizeof(here), loc, k);
		if (!sd_policy_valid_project_name(k))
			return sd_error_set(ld->err, SD_ERR_INVALID, here,
			    "not a valid project name (OWNER/NAME, each "
			    "[A-Za-z0-9][A-Za-z0-9._-]{0,63})");
		r = parse_project(ld, k, v, here, pol,
		    &pol->projects[pol->nprojects]);
		pol->nprojects++;
		if (r != 0)
			return r;
	}
	qsort(pol->projects, pol->nprojects, sizeof(*pol->projects),
	    cmp_project);
	return 0;
}

/* ------------------------------------------------------------ top level */

static int
parse_sockets(struct ld *ld, const json_t *obj, const char *loc,
    struct sd_policy *pol)
{
	static const char *const known[] = { "submit", "exec", "deploy",
	    "sign", NULL };
	char here[LOC_MAX];
	json_t *v;
	size_t i;
	int r;

	if ((r = want_object(ld, obj, loc)) != 0 ||
	    (r = check_fields(ld, obj, loc, known)) != 0)
		return r;
	for (i = 0; i < SD_POLICY_SOCK_COUNT; i++) {
		if ((v = json_object_get(obj, socket_names[i])) == NULL)
			continue;
		sd_policy_pointer(here, sizeof(here), loc, socket_names[i]);
		if ((r = parse_users(ld, v, here, 0, &pol->sockets[i])) != 0)
			return r;
	}
	return 0;
}

static int
parse_lock(struct ld *ld, const json_t *obj, const char *loc,
    struct sd_policy *pol)
{
	static const char *const known[] = { "lease_seconds", NULL };
	char here[LOC_MAX];
	json_t *v;
	int r;

	if ((r = want_object(ld, obj, loc)) != 0 ||
	    (r = check_fields(ld, obj, loc, known)) != 0)
		return r;
	if ((v = json_object_get(obj, "lease_seconds")) != NULL) {
		sd_policy_pointer(here, sizeof(here), loc, "lease_seconds");
		if ((r = want_int(ld, v, here, 10, 86400, &pol->lease)) != 0)
			return r;
	}
	return 0;
}

static int
parse_aws(struct ld *ld, const json_t *obj, const char *loc,
    struct sd_policy *pol)
{
	static const struct {
		const char	*name;
		size_t		 off;
		int64_t		 max;
	} f[] = {
#define F(n, max) { #n, offsetof(struct sd_policy_aws, n), max }
		F(connect_timeout_ms, 600000),
		F(request_timeout_ms, 3600000),
		F(attempts, 100),
		F(backoff_base_ms, 600000),
		F(backoff_max_ms, 600000),
		F(poll_interval_ms, 600000),
		F(poll_timeout_ms, 86400000),
#undef F
	};
	static const char *const known[] = { "connect_timeout_ms",
	    "request_timeout_ms", "attempts", "backoff_base_ms",
	    "backoff_max_ms", "poll_interval_ms", "poll_timeout_ms", NULL };
	char here[LOC_MAX];
	json_t *v;
	size_t i;
	int r;

	if ((r = want_object(ld, obj, loc)) != 0 ||
	    (r = check_fields(ld, obj, loc, known)) != 0)
		return r;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if ((v = json_object_get(obj, f[i].name)) == NULL)
			continue;
		sd_policy_pointer(here, sizeof(here), loc, f[i].name);
		if ((r = want_int(ld, v, here, 1, f[i].max,
		    (int64_t *)(void *)((char *)&pol->aws + f[i].off))) != 0)
			return r;
	}
	return 0;
}

static int
valid_abs_path(const char *s)
{
	size_t i;

	if (s[0] != '/' || strlen(s) > PATH_MAX_LEN)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
parse_root(struct ld *ld, const json_t *root, struct sd_policy *pol)
{
	static const char *const known[] = { "version", "sockets",
	    "credentials_file", "endpoints", "lock", "aws", "limits", "projects",
	    NULL };
	const char *s;
	json_t *v;
	int64_t n;
	int r;

	if ((r = want_object(ld, root, "")) != 0 ||
	    (r = check_fields(ld, root, "", known)) != 0)
		return r;
	if ((v = json_object_get(root, "version")) == NULL)
		return missing(ld, "", "version");
	if (!json_is_integer(v))
		return sd_error_set(ld->err, SD_ERR_TYPE, "/version",
		    "expected an integer");
	if (json_integer_value(v) != SD_POLICY_VERSION)
		return sd_error_set(ld->err, SD_ERR_INVALID, "/version",
		    "unsupported policy version %lld (this build reads %d)",
		    (long long)json_integer_value(v), SD_POLICY_VERSION);
	n = json_integer_value(v);
	pol->version = (int)n;
	if (json_object_get(root, "projects") == NULL)
		return missing(ld, "", "projects");

	if ((v = json_object_get(root, "sockets")) != NULL &&
	    (r = parse_sockets(ld, v, "/sockets", pol)) != 0)
		return r;
	if ((v = json_object_get(root, "credentials_file")) != NULL) {
		if ((r = want_string(ld, v, "/credentials_file", &s)) != 0)
			return r;
		if (!valid_abs_path(s))
			return sd_error_set(ld->err, SD_ERR_INVALID,
			    "/credentials_file", "expected an absolute path");
		free(pol->credentials_file);
		pol->credentials_file = NULL;
		if ((r = dup_string(ld, s, &pol->credentials_file)) != 0)
			return r;
	}
	if ((v = json_object_get(root, "endpoints")) != NULL &&
	    (r = parse_endpoints(ld, v, "/endpoints", pol)) != 0)
		return r;
	if ((v = json_object_get(root, "lock")) != NULL &&
	    (r = parse_lock(ld, v, "/lock", pol)) != 0)
		return r;
	if ((v = json_object_get(root, "aws")) != NULL &&
	    (r = parse_aws(ld, v, "/aws", pol)) != 0)
		return r;
	if ((v = json_object_get(root, "limits")) != NULL &&
	    (r = parse_limits(ld, v, "/limits", &pol->limits)) != 0)
		return r;
	return parse_projects(ld, json_object_get(root, "projects"),
	    "/projects", pol);
}

int
sd_policy_load_buf(const char *buf, size_t len,
    const struct sd_policy_opts *opts, struct sd_policy **out,
    struct sd_error *err)
{
	struct ld ld = { opts, err };
	struct sd_policy *pol = NULL;
	json_error_t je;
	json_t *root = NULL;
	int r = SD_ERR_INTERNAL;

	if (out == NULL)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "no output");
	*out = NULL;
	if (buf == NULL && len > 0)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "no input");
	if (len > SD_POLICY_FILE_MAX)
		return sd_error_set(err, SD_ERR_LIMIT, NULL,
		    "policy is larger than %zu bytes", SD_POLICY_FILE_MAX);
	/* No JSON_ALLOW_NUL: "\u0000" is refused in strings and keys. */
	if ((root = json_loadb(buf != NULL ? buf : "", len,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je)) == NULL) {
		r = sd_error_set(err, SD_ERR_PARSE, NULL,
		    "policy is not valid JSON (line %d, column %d): %s",
		    je.line, je.column, sd_json_reason(&je));
		goto out;
	}
	if ((pol = calloc(1, sizeof(*pol))) == NULL) {
		r = nomem(&ld);
		goto out;
	}
	pol->lease = SD_POLICY_DEFAULT_LEASE;
	pol->limits = sd_policy_default_limits;
	if ((pol->credentials_file = strdup(SD_POLICY_DEFAULT_CREDENTIALS)) ==
	    NULL) {
		r = nomem(&ld);
		goto out;
	}
	if ((r = parse_root(&ld, root, pol)) != 0)
		goto out;
	*out = pol;
	pol = NULL;
	r = 0;
 out:
	sd_policy_free(pol);
	json_decref(root);
	return r;
}

int
sd_policy_load_opts(const char *path, const struct sd_policy_opts *opts,
    struct sd_policy **out, struct sd_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (path == NULL)
		path = SD_POLICY_DEFAULT_PATH;
	/* One byte more than allowed, so "too large" is told apart. */
	if ((r = sd_read_file(path, SD_POLICY_FILE_MAX + 1, &buf, &len,
	    err)) != 0)
		return r;
	r = sd_policy_load_buf(buf, len, opts, out, err);
	free(buf);
	return r;
}

int
sd_policy_load(const char *path, struct sd_policy **out, struct sd_error *err)
{
	return sd_policy_load_opts(path, NULL, out, err);
}

/* ------------------------------------------------------------ queries */

int
sd_policy_version(const struct sd_policy *pol)
{
	return pol->version;
}

const char *
sd_policy_credentials_file(const struct sd_policy *pol)
{
	return pol->credentials_file;
}

const struct sd_policy_aws *
sd_policy_aws(const struct sd_policy *pol)
{
	return &pol->aws;
}

int64_t
sd_policy_lock_lease_seconds(const struct sd_policy *pol)
{
	return pol->lease;
}

int
sd_policy_peer_allowed(const struct sd_policy *pol, enum sd_policy_socket s,
    uid_t uid, struct sd_error *why)
{
	if (pol == NULL || (int)s < 0 || s >= SD_POLICY_SOCK_COUNT)
		return sd_error_set(why, SD_ERR_INVALID, NULL,
		    "no such socket");
	if (users_has(&pol->sockets[s], uid))
		return 0;
	return sd_error_set(why, SD_ERR_INVALID, NULL,
	    "uid %lu may not connect to %s.sock", (unsigned long)uid,
	    socket_names[s]);
}

int
sd_policy_endpoint(const struct sd_policy *pol, enum sd_policy_service svc,
    const char *region, char *buf, size_t len)
{
	int n;

	if (buf == NULL || len == 0)
		return SD_ERR_OVERFLOW;
	buf[0] = '\0';
	if ((int)svc < 0 || svc >= SD_POLICY_SVC_COUNT)
		return SD_ERR_INVALID;
	if (pol != NULL && pol->endpoints[svc].url != NULL)
		n = snprintf(buf, len, "%s", pol->endpoints[svc].url);
	else {
		if (!sd_policy_valid_region(region))
			return SD_ERR_INVALID;
		n = snprintf(buf, len, "https://%s.%s.amazonaws.com%s",
		    service_names[svc], region,
		    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	}
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return SD_ERR_OVERFLOW;
	}
	return 0;
}

int
sd_policy_host_service(const struct sd_policy *pol, const char *host,
    const char *region, enum sd_policy_service *svc)
{
	char h[HOST_MAX + 3], want[HOST_MAX + 3];
	const char *colon, *p;
	unsigned port = 0;
	size_t i, hl;
	int have_port = 0, n;

	if (host == NULL || svc == NULL)
		return SD_ERR_NOTFOUND;
	/* Split "host[:port]" ("[v6]:port" for IPv6). */
	if (host[0] == '[') {
		if ((p = strchr(host, ']')) == NULL)
			return SD_ERR_NOTFOUND;
		colon = p[1] == ':' ? p + 1 : NULL;
		if (p[1] != '\0' && colon == NULL)
			return SD_ERR_NOTFOUND;
	} else
		colon = strchr(host, ':');
	hl = colon != NULL ? (size_t)(colon - host) : strlen(host);
	if (hl == 0 || hl >= sizeof(h))
		return SD_ERR_NOTFOUND;
	for (i = 0; i < hl; i++)
		h[i] = (char)tolower((unsigned char)host[i]);
	h[hl] = '\0';
	if (colon != NULL) {
		have_port = 1;
		for (p = colon + 1, n = 0; is_digit((unsigned char)*p); p++) {
			if (++n > 5)
				return SD_ERR_NOTFOUND;
			port = port * 10 + (unsigned)(*p - '0');
		}
		if (n == 0 || *p != '\0' || port < 1 || port > 65535)
			return SD_ERR_NOTFOUND;
	}
	for (i = 0; i < SD_POLICY_SVC_COUNT; i++) {
		const struct endpoint *e = pol != NULL ?
		    &pol->endpoints[i] : NULL;

		if (e != NULL && e->url != NULL) {
			int https = strncmp(e->url, "https:", 6) == 0;

			if (strcmp(e->host, h) == 0 && (have_port ?
			    port == e->port : e->port == (https ? 443u : 80u))) {
				*svc = (enum sd_policy_service)i;
				return 0;
			}
			continue;
		}
		if (!sd_policy_valid_region(region))
			continue;
		n = snprintf(want, sizeof(want), "%s.%s.amazonaws.com%s",
		    service_names[i], region,
		    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
		if (n < 0 || (size_t)n >= sizeof(want))
			continue;
		if (strcmp(want, h) == 0 && (!have_port || port == 443)) {
			*svc = (enum sd_policy_service)i;
			return 0;
		}
	}
	return SD_ERR_NOTFOUND;
}

const struct sd_policy_limits *
sd_policy_limits(const struct sd_policy *pol,
    const struct sd_policy_project *project)
{
	if (project != NULL)
		return &project->limits;
	if (pol != NULL)
		return &pol->limits;
	return &sd_policy_default_limits;
}

size_t
sd_policy_project_count(const struct sd_policy *pol)
{
	return pol != NULL ? pol->nprojects : 0;
}

const struct sd_policy_project *
sd_policy_project_at(const struct sd_policy *pol, size_t i)
{
	if (pol == NULL || i >= pol->nprojects)
		return NULL;
	return &pol->projects[i];
}

const struct sd_policy_project *
sd_policy_project(const struct sd_policy *pol, const char *name)
{
	struct sd_policy_project key;

	if (pol == NULL || name == NULL || pol->nprojects == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.name = (char *)(uintptr_t)name;
	return bsearch(&key, pol->projects, pol->nprojects,
	    sizeof(*pol->projects), cmp_project);
}

const char *
sd_policy_project_name(const struct sd_policy_project *p)
{
	return p->name;
}

const char *
sd_policy_project_bucket(const struct sd_policy_project *p)
{
	return p->bucket;
}

int
sd_policy_project_has_config(const struct sd_policy_project *p,
    const char *config)
{
	return p != NULL && strs_has(&p->configs, config);
}

int
sd_policy_project_has_account(const struct sd_policy_project *p,
    const char *account)
{
	return p != NULL && strs_has(&p->accounts, account);
}

int
sd_policy_project_has_region(const struct sd_policy_project *p,
    const char *region)
{
	return p != NULL && strs_has(&p->regions, region);
}

const char *
sd_policy_project_region(const struct sd_policy_project *p, size_t i)
{
	if (p == NULL || i >= p->regions.n)
		return NULL;
	return p->regions.v[i];
}

const char *
sd_policy_project_config(const struct sd_policy_project *p, size_t i)
{
	if (p == NULL || i >= p->configs.n)
		return NULL;
	return p->configs.v[i];
}

int
sd_policy_project_has_submitter(const struct sd_policy_project *p, uid_t uid)
{
	return p != NULL && users_has(&p->submitters, uid);
}

int
sd_policy_project_tags(const struct sd_policy_project *p, const char *config,
    json_t **out)
{
	struct sd_buf b;
	json_t *obj = NULL, *s;
	const char *t;
	size_t i;
	int r = SD_ERR_INTERNAL;

	*out = NULL;
	if (p == NULL || !sd_policy_valid_config_name(config))
		return SD_ERR_INVALID;
	sd_buf_init(&b, TAG_VALUE_MAX);
	if ((obj = json_object()) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < p->ntags; i++) {
		sd_buf_reset(&b);
		(void)sd_buf_append(&b, "", 0);
		for (t = p->tags[i].value; *t != '\0'; t++) {
			if (strncmp(t, "${project}", 10) == 0) {
				(void)sd_buf_puts(&b, p->name);
				t += 9;
			} else if (strncmp(t, "${config}", 9) == 0) {
				(void)sd_buf_puts(&b, config);
				t += 8;
			} else
				(void)sd_buf_putc(&b, *t);
		}
		if (b.failed) {
			r = SD_ERR_OVERFLOW;
			goto out;
		}
		if ((s = json_string(b.data)) == NULL ||
		    json_object_set_new(obj, p->tags[i].key, s) != 0) {
			r = SD_ERR_NOMEM;
			goto out;
		}
	}
	*out = obj;
	obj = NULL;
	r = 0;
 out:
	sd_buf_release(&b);
	json_decref(obj);
	return r;
}

int
sd_policy_may_submit(const struct sd_policy *pol, uid_t uid,
    const char *project, const char *config, struct sd_error *why)
{
	const struct sd_policy_project *p;
	char sp[160], sc[80];

	msg_safe(sp, sizeof(sp), project);
	msg_safe(sc, sizeof(sc), config);
	if ((p = sd_policy_project(pol, project)) == NULL)
		return sd_error_set(why, SD_ERR_NOTFOUND, NULL,
		    "no project \"%s\" in the policy", sp);
	if (!users_has(&p->submitters, uid))
		return sd_error_set(why, SD_ERR_INVALID, NULL,
		    "uid %lu may not submit releases of %s",
		    (unsigned long)uid, sp);
	if (!strs_has(&p->configs, config))
		return sd_error_set(why, SD_ERR_INVALID, NULL,
		    "config \"%s\" is not allowed for project %s", sc, sp);
	return 0;
}

int
sd_policy_arn_allowed(const struct sd_policy *pol, const char *project,
    enum sd_policy_arn_kind kind, const char *arn, struct sd_error *why)
{
	const struct sd_policy_project *p;
	char sp[160], sa[300];
	size_t i;

	msg_safe(sp, sizeof(sp), project);
	if ((p = sd_policy_project(pol, project)) == NULL)
		return sd_error_set(why, SD_ERR_NOTFOUND, NULL,
		    "no project \"%s\" in the policy", sp);
	if ((kind != SD_POLICY_ARN_LAMBDA &&
	    kind != SD_POLICY_ARN_STATE_MACHINE) || arn == NULL)
		return sd_error_set(why, SD_ERR_INVALID, NULL, "no such ARN");
	for (i = 0; i < p->arns[kind].n; i++)
		if (arn_match(p->arns[kind].v[i], arn))
			return 0;
	msg_safe(sa, sizeof(sa), arn);
	return sd_error_set(why, SD_ERR_INVALID, NULL,
	    "project %s may not change %s %s", sp,
	    kind == SD_POLICY_ARN_LAMBDA ? "Lambda function" : "state machine",
	    sa);
}
