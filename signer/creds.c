/*
 * creds.c: AWS credentials in guarded memory (see sd_creds.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <sodium.h>

#include "sd_creds.h"

/* The one guarded region: everything secret, nothing else. */
struct secrets {
	char	 id[SD_SIGV4_MAX_ID + 1];
	char	 secret[SD_SIGV4_MAX_SECRET + 1];
	char	 token[SD_SIGV4_MAX_TOKEN + 1];
	size_t	 secret_len;
};

struct sd_creds {
	struct secrets	*s;		/* sodium_malloc, noaccess at rest */
	int		 has_token;
	int		 unlocked;
};

enum key {
	KEY_ID = 0,
	KEY_SECRET,
	KEY_TOKEN,
	KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
	"aws_access_key_id", "aws_secret_access_key", "aws_session_token"
};
static const size_t key_max[KEY_COUNT] = {
	SD_SIGV4_MAX_ID, SD_SIGV4_MAX_SECRET, SD_SIGV4_MAX_TOKEN
};

int
sd_creds_valid_profile(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= SD_CREDS_PROFILE_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._@+=-", c) != NULL))
			return 0;
	}
	return 1;
}

/* POSIX ACL xattr (linux/posix_acl_xattr.h), little-endian. */
#define ACL_XATTR		"system.posix_acl_access"
#define ACL_XATTR_VERSION	2
#define ACL_TAG_USER_OBJ	0x01
#define ACL_TAG_USER		0x02
#define ACL_TAG_GROUP_OBJ	0x04
#define ACL_TAG_GROUP		0x08
#define ACL_TAG_MASK		0x10
#define ACL_TAG_OTHER		0x20
#define ACL_PERM_READ		0x04
#define ACL_MAX_ENTRIES		32

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	    ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/*
 * The ACL of a root-owned credentials file must let owner read it and
 * nobody else (but root) read or write it.
 */
static int
check_acl(int fd, uid_t owner, struct sd_error *err)
{
	unsigned char buf[4 + 8 * ACL_MAX_ENTRIES];
	const unsigned char *e;
	unsigned tag, perm;
	uint32_t id;
	ssize_t n;
	int user_ok = 0;

	if ((n = fgetxattr(fd, ACL_XATTR, buf, sizeof(buf))) == -1) {
		if (errno == ENODATA || errno == ENOTSUP)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "owned by root with no ACL for uid %lu",
			    (unsigned long)owner);
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "its ACL cannot be read: %s", strerror(errno));
	}
	if (n < 4 || (n - 4) % 8 != 0 || le32(buf) != ACL_XATTR_VERSION)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "its ACL is malformed");
	for (e = buf + 4; e < buf + n; e += 8) {
		tag = (unsigned)e[0] | ((unsigned)e[1] << 8);
		perm = (unsigned)e[2] | ((unsigned)e[3] << 8);
		id = le32(e + 4);
		switch (tag) {
		case ACL_TAG_USER_OBJ:
		case ACL_TAG_MASK:
			break;
		case ACL_TAG_USER:
			if (id != owner && perm != 0)
				return sd_error_set(err, SD_ERR_INVALID, NULL,
				    "its ACL lets uid %lu at it",
				    (unsigned long)id);
			if (id == owner && (perm & ~ACL_PERM_READ) != 0)
				return sd_error_set(err, SD_ERR_INVALID, NULL,
				    "its ACL lets uid %lu do more than read "
				    "it", (unsigned long)id);
			if (id == owner && perm == ACL_PERM_READ)
				user_ok = 1;
			break;
		case ACL_TAG_GROUP_OBJ:
		case ACL_TAG_GROUP:
		case ACL_TAG_OTHER:
			if (perm != 0)
				return sd_error_set(err, SD_ERR_INVALID, NULL,
				    "its ACL lets a group or others at it");
			break;
		default:
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "its ACL holds an unknown entry");
		}
	}
	if (!user_ok)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "owned by root with no ACL for uid %lu",
		    (unsigned long)owner);
	return 0;
}

int
sd_creds_check_fd(int fd, uid_t owner, unsigned flags, struct sd_error *err)
{
	struct stat st;
	mode_t mode;
	int r;

	if (fstat(fd, &st) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "fstat: %s",
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "not a regular file");
	mode = st.st_mode & 07777;
	if (st.st_uid == owner) {
		if (mode != 0400 && mode != 0600)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "mode %04o: the credentials must be mode 0400 or "
			    "0600 (chmod 600 it)", (unsigned)mode);
	} else if ((flags & SD_CREDS_SYSTEMD) && st.st_uid == 0) {
		/* LoadCredential=: 0400 plus an ACL whose mask shows as
		 * the group bits. */
		if (mode != 0440 && mode != 0640)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "mode %04o: a root-owned credentials file must be "
			    "mode 0440 with an ACL for uid %lu only",
			    (unsigned)mode, (unsigned long)owner);
		if ((r = check_acl(fd, owner, err)) != 0)
			return r;
	} else
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "owned by uid %lu: the credentials must be owned by the "
		    "signer's uid %lu", (unsigned long)st.st_uid,
		    (unsigned long)owner);
	if (st.st_size < 0 || (uintmax_t)st.st_size > SD_CREDS_FILE_MAX)
		return sd_error_set(err, SD_ERR_LIMIT, NULL,
		    "larger than %zu bytes", SD_CREDS_FILE_MAX);
	return 0;
}

int
sd_creds_open(const char *path, uid_t owner, unsigned flags, int *fd,
    struct sd_error *err)
{
	int r, f;

	*fd = -1;
	if (path == NULL || path[0] == '\0')
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "no credentials file");
	f = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (f == -1) {
		if (errno == ELOOP)
			return sd_error_set(err, SD_ERR_INVALID, path,
			    "is a symbolic link: name the file itself");
		return sd_error_set(err, SD_ERR_IO, path, "open: %s",
		    strerror(errno));
	}
	if ((r = sd_creds_check_fd(f, owner, flags, err)) != 0) {
		(void)sd_error_prefix(err, "%s: ", path);
		if (close(f) == -1)
			(void)sd_error_prefix(err, "(close failed) ");
		return r;
	}
	*fd = f;
	return 0;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
valid_value(enum key k, const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n > key_max[k])
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (k == KEY_ID) {
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
			    || (c >= '0' && c <= '9')))
				return 0;
		} else if (c < 0x21 || c > 0x7e)
			return 0;
	}
	return 1;
}

static void
creds_free_locked(struct sd_creds *c)
{
	if (c == NULL)
		return;
	if (c->s != NULL)
		sodium_free(c->s);	/* wipes, whatever the protection */
	sodium_memzero(c, sizeof(*c));
	free(c);
}

int
sd_creds_parse(const char *text, size_t len, const char *profile,
    struct sd_creds **out, struct sd_error *err)
{
	struct sd_creds *c = NULL;
	const char *p = text, *end = text + len, *eol, *b, *e, *eq, *kb, *ke;
	const char *vb, *ve;
	size_t line = 0, n, plen;
	int in_any = 0, in_sel = 0, seen_sel = 0;
	int have[KEY_COUNT] = { 0, 0, 0 };
	int r = SD_ERR_INTERNAL, k;
	char *dst;

	*out = NULL;
	if (profile == NULL)
		profile = SD_CREDS_DEFAULT_PROFILE;
	if (!sd_creds_valid_profile(profile))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "not a valid profile name");
	plen = strlen(profile);
	if (text == NULL && len > 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no text");
	if (memchr(text, '\0', len) != NULL)
		return sd_error_set(err, SD_ERR_PARSE, NULL,
		    "the credentials file holds a NUL byte");
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->s = sodium_malloc(sizeof(*c->s))) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	sodium_memzero(c->s, sizeof(*c->s));
	/* A UTF-8 byte order mark is allowed (editors write one). */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;

	for (; p < end; p = eol < end ? eol + 1 : end) {
		line++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		b = p;
		e = eol;
		if (e > b && e[-1] == '\r')
			e--;
		while (b < e && is_blank(*b))
			b++;
		while (e > b && is_blank(e[-1]))
			e--;
		if (b == e || *b == '#' || *b == ';')
			continue;
		if (*b == '[') {
			if (e[-1] != ']' || e - b < 3) {
				r = sd_error_set(err, SD_ERR_PARSE, NULL,
				    "line %zu: a section must be [name]", line);
				goto out;
			}
			kb = b + 1;
			ke = e - 1;
			while (kb < ke && is_blank(*kb))
				kb++;
			while (ke > kb && is_blank(ke[-1]))
				ke--;
			in_sel = (size_t)(ke - kb) == plen &&
			    memcmp(kb, profile, plen) == 0;
			if (in_sel && seen_sel) {
				r = sd_error_set(err, SD_ERR_INVALID, NULL,
				    "line %zu: profile [%s] appears twice",
				    line, profile);
				goto out;
			}
			seen_sel |= in_sel;
			in_any = 1;
			continue;
		}
		if ((eq = memchr(b, '=', (size_t)(e - b))) == NULL) {
			r = sd_error_set(err, SD_ERR_PARSE, NULL,
			    "line %zu: expected [profile], key = value or a "
			    "comment", line);
			goto out;
		}
		if (!in_any) {
			r = sd_error_set(err, SD_ERR_PARSE, NULL,
			    "line %zu: a key outside any [profile] section",
			    line);
			goto out;
		}
		kb = b;
		ke = eq;
		while (ke > kb && is_blank(ke[-1]))
			ke--;
		if (ke == kb) {
			r = sd_error_set(err, SD_ERR_PARSE, NULL,
			    "line %zu: a key is missing before '='", line);
			goto out;
		}
		if (!in_sel)
			continue;	/* another profile's key */
		if (p != b) {
			r = sd_error_set(err, SD_ERR_PARSE, NULL,
			    "line %zu: indented (nested) settings are not "
			    "supported in the signer's profile", line);
			goto out;
		}
		n = (size_t)(ke - kb);
		for (k = 0; k < KEY_COUNT; k++)
			if (n == strlen(key_names[k]) &&
			    strncasecmp(kb, key_names[k], n) == 0)
				break;
		if (k == KEY_COUNT)
			continue;	/* region, output, ...: not ours */
		vb = eq + 1;
		ve = e;
		while (vb < ve && is_blank(*vb))
			vb++;
		n = (size_t)(ve - vb);
		if (have[k]) {
			r = sd_error_set(err, SD_ERR_INVALID, NULL,
			    "line %zu: %s is given twice in profile [%s]",
			    line, key_names[k], profile);
			goto out;
		}
		if (!valid_value((enum key)k, vb, n)) {
			r = sd_error_set(err, SD_ERR_INVALID, NULL,
			    "line %zu: %s must be 1-%zu %s", line,
			    key_names[k], key_max[k], k == KEY_ID ?
			    "letters and digits" :
			    "printable ASCII characters without spaces");
			goto out;
		}
		dst = k == KEY_ID ? c->s->id : k == KEY_SECRET ? c->s->secret :
		    c->s->token;
		memcpy(dst, vb, n);
		dst[n] = '\0';
		if (k == KEY_SECRET)
			c->s->secret_len = n;
		have[k] = 1;
	}
	if (!seen_sel) {
		r = sd_error_set(err, SD_ERR_NOTFOUND, NULL,
		    "no profile [%s] in the credentials", profile);
		goto out;
	}
	for (k = 0; k < KEY_TOKEN; k++)
		if (!have[k]) {
			r = sd_error_set(err, SD_ERR_INVALID, NULL,
			    "profile [%s] has no %s", profile, key_names[k]);
			goto out;
		}
	c->has_token = have[KEY_TOKEN];
	if (sodium_mprotect_noaccess(c->s) != 0) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "sodium_mprotect_noaccess: %s", strerror(errno));
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
 out:
	creds_free_locked(c);
	return r;
}

int
sd_creds_load_fd(int fd, uid_t owner, unsigned flags, const char *profile,
    struct sd_creds **out, struct sd_error *err)
{
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int r;

	*out = NULL;
	if ((r = sd_creds_check_fd(fd, owner, flags, err)) != 0)
		return r;
	/* One byte more than the cap tells a file that grew too large. */
	if ((buf = sodium_malloc(SD_CREDS_FILE_MAX + 1)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	while (got < SD_CREDS_FILE_MAX + 1) {
		n = pread(fd, buf + got, SD_CREDS_FILE_MAX + 1 - got,
		    (off_t)got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = sd_error_set(err, SD_ERR_IO, NULL, "read: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > SD_CREDS_FILE_MAX) {
		r = sd_error_set(err, SD_ERR_LIMIT, NULL,
		    "larger than %zu bytes", SD_CREDS_FILE_MAX);
		goto out;
	}
	r = sd_creds_parse(buf, got, profile, out, err);
 out:
	sodium_memzero(buf, SD_CREDS_FILE_MAX + 1);
	sodium_free(buf);
	return r;
}

void
sd_creds_free(struct sd_creds *c)
{
	creds_free_locked(c);
}

int
sd_creds_unlock(struct sd_creds *c, struct sd_sigv4_credentials *out)
{
	memset(out, 0, sizeof(*out));
	if (c == NULL || c->s == NULL)
		return SD_ERR_INVALID;
	if (sodium_mprotect_readonly(c->s) != 0)
		return SD_ERR_INTERNAL;
	c->unlocked = 1;
	out->access_key_id = c->s->id;
	out->secret = c->s->secret;
	out->secret_len = c->s->secret_len;
	out->session_token = c->has_token ? c->s->token : NULL;
	return 0;
}

void
sd_creds_lock(struct sd_creds *c)
{
	if (c == NULL || c->s == NULL || !c->unlocked)
		return;
	/*
	 * mprotect on memory we mapped cannot fail but for ENOMEM when it
	 * would split a mapping past the map count limit; secrets left
	 * readable would be a silent weakening, so that is fatal.
	 */
	if (sodium_mprotect_noaccess(c->s) != 0)
		abort();
	c->unlocked = 0;
}

int
sd_creds_has_token(const struct sd_creds *c)
{
	return c != NULL && c->has_token;
}
