/*
 * test_creds: the signer's credentials file: INI parsing (profiles,
 * comments, line endings, the three keys, every error with its line and
 * never a value), the file checks (regular file, mode 0400/0600, owner,
 * no symbolic link, size), re-reading through the kept descriptor, and
 * systemd's LoadCredential= files (root, 0440, an ACL for the signer) and
 * the guarded memory (no access while locked).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "sd_creds.h"

#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN	"AQoDYXdzEPT//////////wEXAMPLEtoken="

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	(void)snprintf(dir, sizeof(dir), "/tmp/sdcredsXXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Parse text for profile; 0 or the error code, with err kept. */
static int
parse(const char *text, const char *profile, struct sd_creds **c,
    struct sd_error *err)
{
	*c = NULL;
	return sd_creds_parse(text, strlen(text), profile, c, err);
}

static void
expect_creds(const char *text, const char *profile, const char *id,
    const char *secret, const char *token)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_credentials cr;
	struct sd_creds *c = NULL;

	if (parse(text, profile, &c, &err) != 0)
		fail_msg("refused: %s", sd_error_text(&err));
	assert_int_equal(sd_creds_has_token(c), token != NULL);
	assert_int_equal(sd_creds_unlock(c, &cr), 0);
	assert_string_equal(cr.access_key_id, id);
	assert_string_equal(cr.secret, secret);
	assert_int_equal(cr.secret_len, strlen(secret));
	if (token == NULL)
		assert_null(cr.session_token);
	else
		assert_string_equal(cr.session_token, token);
	sd_creds_lock(c);
	sd_creds_free(c);
}

static void
expect_error(const char *text, const char *profile, int code,
    const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_creds *c = NULL;

	assert_int_equal(parse(text, profile, &c, &err), code);
	assert_null(c);
	assert_string_equal(sd_error_text(&err), msg);
	/* A message never quotes a value. */
	assert_null(strstr(err.message, "EXAMPLEKEY"));
	assert_null(strstr(err.message, "secret!"));
	sd_error_clear(&err);
}

static void
test_parse(void **state)
{
	(void)state;
	expect_creds("[default]\naws_access_key_id = AKIDEXAMPLE\n"
	    "aws_secret_access_key = " SECRET "\n", NULL, "AKIDEXAMPLE",
	    SECRET, NULL);
	expect_creds("[default]\naws_access_key_id=AKID\naws_secret_access_key="
	    SECRET "\naws_session_token=" TOKEN, "default", "AKID", SECRET,
	    TOKEN);
	/* Comments, blanks, CRLF, a BOM, blanks in brackets, key case. */
	expect_creds("\xef\xbb\xbf# comment\r\n; another\r\n\r\n[ default ]\r\n"
	    "AWS_Access_Key_Id\t=\tAKID2  \r\n"
	    "aws_secret_access_key =" SECRET "\r\n", NULL, "AKID2", SECRET,
	    NULL);
	/* The named profile only; other profiles' keys are skipped. */
	expect_creds("[default]\naws_access_key_id = A1\n"
	    "aws_secret_access_key = s1\n\n[deploy]\n"
	    "aws_access_key_id = A2\naws_secret_access_key = s2\n"
	    "aws_session_token = t2\nregion = us-east-1\noutput = json\n"
	    "[other]\naws_secret_access_key = has spaces but is not read\n",
	    "deploy", "A2", "s2", "t2");
	/* "[profile default]" is another section; no newline at the end. */
	expect_creds("[profile default]\naws_access_key_id = P\n"
	    "aws_secret_access_key = p\n[default]\naws_access_key_id = A3\n"
	    "aws_secret_access_key = s3", NULL, "A3", "s3", NULL);
}

static void
test_parse_profile_literal(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_creds *c = NULL;

	(void)state;
	/* "profile x" is not a valid profile name for us. */
	assert_int_equal(parse("[x]\n", "profile x", &c, &err),
	    SD_ERR_INVALID);
	assert_string_equal(sd_error_text(&err), "not a valid profile name");
	sd_error_clear(&err);
	assert_true(sd_creds_valid_profile("deploy-prod_1.x@y+z="));
	assert_false(sd_creds_valid_profile(""));
	assert_false(sd_creds_valid_profile("a b"));
	assert_false(sd_creds_valid_profile("a]"));
	assert_false(sd_creds_valid_profile(NULL));
}

static void
test_parse_errors(void **state)
{
	char big[600];

	(void)state;
	expect_error("", NULL, SD_ERR_NOTFOUND,
	    "no profile [default] in the credentials");
	expect_error("[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = s\n", "prod", SD_ERR_NOTFOUND,
	    "no profile [prod] in the credentials");
	expect_error("aws_access_key_id = A\n[default]\n", NULL, SD_ERR_PARSE,
	    "line 1: a key outside any [profile] section");
	expect_error("[default]\naws_access_key_id A\n", NULL, SD_ERR_PARSE,
	    "line 2: expected [profile], key = value or a comment");
	expect_error("[default\n", NULL, SD_ERR_PARSE,
	    "line 1: a section must be [name]");
	expect_error("[]\n", NULL, SD_ERR_PARSE,
	    "line 1: a section must be [name]");
	expect_error("[default]\n= secret!\n", NULL, SD_ERR_PARSE,
	    "line 2: a key is missing before '='");
	expect_error("[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = s\n[default]\n", NULL, SD_ERR_INVALID,
	    "line 4: profile [default] appears twice");
	expect_error("[default]\naws_access_key_id = A\n"
	    "aws_access_key_id = B\n", NULL, SD_ERR_INVALID,
	    "line 3: aws_access_key_id is given twice in profile [default]");
	expect_error("[default]\naws_access_key_id = A\n", NULL,
	    SD_ERR_INVALID, "profile [default] has no aws_secret_access_key");
	expect_error("[default]\naws_secret_access_key = " SECRET "\n", NULL,
	    SD_ERR_INVALID, "profile [default] has no aws_access_key_id");
	expect_error("[default]\naws_access_key_id = AK-ID\n", NULL,
	    SD_ERR_INVALID, "line 2: aws_access_key_id must be 1-128 letters "
	    "and digits");
	expect_error("[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key = secret! with a space\n", NULL,
	    SD_ERR_INVALID, "line 3: aws_secret_access_key must be 1-256 "
	    "printable ASCII characters without spaces");
	expect_error("[default]\naws_access_key_id = A\n"
	    "aws_secret_access_key =\n", NULL, SD_ERR_INVALID,
	    "line 3: aws_secret_access_key must be 1-256 printable ASCII "
	    "characters without spaces");
	expect_error("[default]\naws_access_key_id = A\n"
	    "aws_session_token = secret!\xc3\xa9\n", NULL, SD_ERR_INVALID,
	    "line 3: aws_session_token must be 1-8192 printable ASCII "
	    "characters without spaces");
	memset(big, 'k', sizeof(big));
	memcpy(big, "[default]\naws_secret_access_key = ", 34);
	big[34 + 257] = '\0';
	expect_error(big, NULL, SD_ERR_INVALID, "line 2: "
	    "aws_secret_access_key must be 1-256 printable ASCII characters "
	    "without spaces");
	expect_error("[default]\n  aws_secret_access_key = x\n", NULL,
	    SD_ERR_PARSE, "line 2: indented (nested) settings are not "
	    "supported in the signer's profile");
	{
		struct sd_error err = SD_ERROR_INIT;
		struct sd_creds *c = NULL;
		static const char nul[] =
		    "[default]\naws_access_key_id = A\0B\n";

		assert_int_equal(sd_creds_parse(nul, sizeof(nul) - 1, NULL,
		    &c, &err), SD_ERR_PARSE);
		assert_string_equal(sd_error_text(&err),
		    "the credentials file holds a NUL byte");
		sd_error_clear(&err);
	}
}

/* Write text to dir/name with mode; returns the path (static). */
static const char *
file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void
expect_open_error(const char *path, uid_t owner, int code, const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	int fd = 5;

	assert_int_equal(sd_creds_open(path, owner, 0, &fd, &err), code);
	assert_int_equal(fd, -1);
	assert_string_equal(sd_error_text(&err), msg);
	sd_error_clear(&err);
}

#define GOOD	"[default]\naws_access_key_id = AKID\n" \
		"aws_secret_access_key = " SECRET "\n"

static void
test_file_checks(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	char want[512], link[128], *big;
	const char *p;
	uid_t me = geteuid();
	int fd;

	(void)state;
	p = file("c600", GOOD, 0600);
	assert_int_equal(sd_creds_open(p, me, 0, &fd, &err), 0);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	p = file("c400", GOOD, 0400);
	assert_int_equal(sd_creds_open(p, me, 0, &fd, &err), 0);
	assert_int_equal(close(fd), 0);

	p = file("c644", GOOD, 0644);
	(void)snprintf(want, sizeof(want), "%s: mode 0644: the credentials "
	    "must be mode 0400 or 0600 (chmod 600 it)", p);
	expect_open_error(p, me, SD_ERR_INVALID, want);
	p = file("c640", GOOD, 0640);
	(void)snprintf(want, sizeof(want), "%s: mode 0640: the credentials "
	    "must be mode 0400 or 0600 (chmod 600 it)", p);
	expect_open_error(p, me, SD_ERR_INVALID, want);
	p = file("c700", GOOD, 0700);
	(void)snprintf(want, sizeof(want), "%s: mode 0700: the credentials "
	    "must be mode 0400 or 0600 (chmod 600 it)", p);
	expect_open_error(p, me, SD_ERR_INVALID, want);
	p = file("c4600", GOOD, 04600);
	(void)snprintf(want, sizeof(want), "%s: mode 4600: the credentials "
	    "must be mode 0400 or 0600 (chmod 600 it)", p);
	expect_open_error(p, me, SD_ERR_INVALID, want);

	p = file("cother", GOOD, 0600);
	(void)snprintf(want, sizeof(want), "%s: owned by uid %lu: the "
	    "credentials must be owned by the signer's uid %lu", p,
	    (unsigned long)me, (unsigned long)me + 1);
	expect_open_error(p, me + 1, SD_ERR_INVALID, want);

	p = file("ctarget", GOOD, 0600);
	(void)snprintf(link, sizeof(link), "%s/clink", dir);
	assert_int_equal(symlink(p, link), 0);
	(void)snprintf(want, sizeof(want), "%s: is a symbolic link: name the "
	    "file itself", link);
	expect_open_error(link, me, SD_ERR_INVALID, want);

	(void)snprintf(link, sizeof(link), "%s/cdir", dir);
	assert_int_equal(mkdir(link, 0700), 0);
	(void)snprintf(want, sizeof(want), "%s: not a regular file", link);
	expect_open_error(link, me, SD_ERR_INVALID, want);

	/* A FIFO must not block the open. */
	(void)snprintf(link, sizeof(link), "%s/cfifo", dir);
	assert_int_equal(mkfifo(link, 0600), 0);
	(void)snprintf(want, sizeof(want), "%s: not a regular file", link);
	expect_open_error(link, me, SD_ERR_INVALID, want);

	(void)snprintf(link, sizeof(link), "%s/missing", dir);
	(void)snprintf(want, sizeof(want), "%s: open: No such file or "
	    "directory", link);
	expect_open_error(link, me, SD_ERR_IO, want);
	expect_open_error("", me, SD_ERR_INVALID, "no credentials file");

	big = calloc(1, SD_CREDS_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '#', SD_CREDS_FILE_MAX + 1);
	p = file("cbig", big, 0600);
	free(big);
	(void)snprintf(want, sizeof(want), "%s: larger than 65536 bytes", p);
	expect_open_error(p, me, SD_ERR_LIMIT, want);
}

static void
test_load_fd(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_credentials cr;
	struct sd_creds *c = NULL;
	const char *p;
	char path[128];
	uid_t me = geteuid();
	int fd, w;

	(void)state;
	p = file("reload", GOOD, 0600);
	(void)snprintf(path, sizeof(path), "%s", p);
	assert_int_equal(sd_creds_open(path, me, 0, &fd, &err), 0);
	/* The descriptor's offset does not matter (pread from 0). */
	assert_true(lseek(fd, 0, SEEK_END) > 0);
	assert_int_equal(sd_creds_load_fd(fd, me, 0, NULL, &c, &err), 0);
	assert_int_equal(sd_creds_unlock(c, &cr), 0);
	assert_string_equal(cr.secret, SECRET);
	sd_creds_lock(c);
	sd_creds_free(c);
	c = NULL;

	/* Rewritten in place (same inode): the next load sees it. */
	w = open(path, O_WRONLY | O_TRUNC);
	assert_true(w >= 0);
	assert_int_equal(write(w, "[default]\naws_access_key_id = NEW\n"
	    "aws_secret_access_key = newsecret\naws_session_token = tok\n",
	    92), 92);
	assert_int_equal(close(w), 0);
	assert_int_equal(sd_creds_load_fd(fd, me, 0, "default", &c, &err), 0);
	assert_int_equal(sd_creds_unlock(c, &cr), 0);
	assert_string_equal(cr.access_key_id, "NEW");
	assert_string_equal(cr.secret, "newsecret");
	assert_string_equal(cr.session_token, "tok");
	sd_creds_lock(c);
	sd_creds_free(c);
	c = NULL;

	/* The checks are made again on every load. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(sd_creds_load_fd(fd, me, 0, NULL, &c, &err),
	    SD_ERR_INVALID);
	assert_null(c);
	assert_string_equal(sd_error_text(&err), "mode 0644: the credentials "
	    "must be mode 0400 or 0600 (chmod 600 it)");
	sd_error_clear(&err);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(sd_creds_load_fd(fd, me + 1, 0, NULL, &c, &err),
	    SD_ERR_INVALID);
	sd_error_clear(&err);
	assert_int_equal(close(fd), 0);

	/* NULL-safe; unlock of nothing fails. */
	sd_creds_free(NULL);
	sd_creds_lock(NULL);
	assert_int_equal(sd_creds_unlock(NULL, &cr), SD_ERR_INVALID);
	assert_false(sd_creds_has_token(NULL));
}

/* One POSIX ACL entry, little-endian, into p. */
static unsigned char *
acl_entry(unsigned char *p, unsigned tag, unsigned perm, uint32_t id)
{
	p[0] = (unsigned char)tag;
	p[1] = 0;
	p[2] = (unsigned char)perm;
	p[3] = 0;
	p[4] = (unsigned char)id;
	p[5] = (unsigned char)(id >> 8);
	p[6] = (unsigned char)(id >> 16);
	p[7] = (unsigned char)(id >> 24);
	return p + 8;
}

/*
 * A root-owned file as systemd's LoadCredential= writes it: mode 0400,
 * then an ACL granting uid read (the mode then shows 0440). group_perm and
 * other_uid / other_perm spoil it on demand.
 */
static int
systemd_file(const char *name, uid_t uid, unsigned user_perm,
    unsigned group_perm, uid_t other_uid, unsigned other_perm,
    const char **path)
{
	unsigned char acl[4 + 8 * 6], *p = acl + 4;
	int fd;

	*path = file(name, GOOD, 0400);
	acl[0] = 2;
	acl[1] = acl[2] = acl[3] = 0;
	p = acl_entry(p, 0x01, 4, 0xffffffffu);
	p = acl_entry(p, 0x02, user_perm, (uint32_t)uid);
	if (other_perm != 0)
		p = acl_entry(p, 0x02, other_perm, (uint32_t)other_uid);
	p = acl_entry(p, 0x04, group_perm, 0xffffffffu);
	p = acl_entry(p, 0x10, 4 | user_perm | group_perm | other_perm,
	    0xffffffffu);
	p = acl_entry(p, 0x20, 0, 0xffffffffu);
	fd = open(*path, O_RDONLY);
	assert_true(fd >= 0);
	if (fsetxattr(fd, "system.posix_acl_access", acl,
	    (size_t)(p - acl), 0) == -1) {
		assert_int_equal(close(fd), 0);
		return -1;
	}
	assert_int_equal(close(fd), 0);
	return 0;
}

static void
test_systemd_credentials(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_creds *c = NULL;
	char want[512];
	const char *p;
	uid_t svc = 65534;
	int fd;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	if (systemd_file("sd-ok", svc, 4, 0, 0, 0, &p) != 0) {
		/* No ACLs on this file system. */
		skip();
		return;
	}
	/* Accepted only with SD_CREDS_SYSTEMD. */
	assert_int_equal(sd_creds_open(p, svc, SD_CREDS_SYSTEMD, &fd, &err),
	    0);
	assert_int_equal(sd_creds_load_fd(fd, svc, SD_CREDS_SYSTEMD, NULL, &c,
	    &err), 0);
	sd_creds_free(c);
	assert_int_equal(close(fd), 0);
	(void)snprintf(want, sizeof(want), "%s: owned by uid 0: the "
	    "credentials must be owned by the signer's uid 65534", p);
	expect_open_error(p, svc, SD_ERR_INVALID, want);
	/* The ACL must name the signer's uid... */
	assert_int_equal(sd_creds_open(p, 65533, SD_CREDS_SYSTEMD, &fd, &err),
	    SD_ERR_INVALID);
	(void)snprintf(want, sizeof(want), "%s: its ACL lets uid 65534 at it",
	    p);
	assert_string_equal(sd_error_text(&err), want);
	sd_error_clear(&err);
	/* ...for reading only... */
	assert_int_equal(systemd_file("sd-rw", svc, 6, 0, 0, 0, &p), 0);
	assert_int_equal(sd_creds_open(p, svc, SD_CREDS_SYSTEMD, &fd, &err),
	    SD_ERR_INVALID);
	sd_error_clear(&err);
	/* ...and nobody else. */
	assert_int_equal(systemd_file("sd-group", svc, 4, 4, 0, 0, &p), 0);
	assert_int_equal(sd_creds_open(p, svc, SD_CREDS_SYSTEMD, &fd, &err),
	    SD_ERR_INVALID);
	(void)snprintf(want, sizeof(want), "%s: its ACL lets a group or "
	    "others at it", p);
	assert_string_equal(sd_error_text(&err), want);
	sd_error_clear(&err);
	assert_int_equal(systemd_file("sd-other", svc, 4, 0, 1000, 4, &p), 0);
	assert_int_equal(sd_creds_open(p, svc, SD_CREDS_SYSTEMD, &fd, &err),
	    SD_ERR_INVALID);
	(void)snprintf(want, sizeof(want), "%s: its ACL lets uid 1000 at it",
	    p);
	assert_string_equal(sd_error_text(&err), want);
	sd_error_clear(&err);
	/* Root-owned 0440 without an ACL: group root could read it. */
	p = file("sd-noacl", GOOD, 0440);
	assert_int_equal(sd_creds_open(p, svc, SD_CREDS_SYSTEMD, &fd, &err),
	    SD_ERR_INVALID);
	(void)snprintf(want, sizeof(want), "%s: owned by root with no ACL for "
	    "uid 65534", p);
	assert_string_equal(sd_error_text(&err), want);
	sd_error_clear(&err);
	p = file("sd-0644", GOOD, 0644);
	assert_int_equal(sd_creds_open(p, svc, SD_CREDS_SYSTEMD, &fd, &err),
	    SD_ERR_INVALID);
	(void)snprintf(want, sizeof(want), "%s: mode 0644: a root-owned "
	    "credentials file must be mode 0440 with an ACL for uid 65534 "
	    "only", p);
	assert_string_equal(sd_error_text(&err), want);
	sd_error_clear(&err);
}

/* While locked, the secret cannot be read: the read faults. */
static void
test_guarded(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_credentials cr;
	struct sd_creds *c = NULL;
	volatile const char *s;
	pid_t pid;
	int st, devnull;

	(void)state;
	assert_int_equal(parse(GOOD, NULL, &c, &err), 0);
	assert_int_equal(sd_creds_unlock(c, &cr), 0);
	s = cr.secret;
	assert_int_equal(s[0], 'w');
	sd_creds_lock(c);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A sanitizer reports the fault: keep the output quiet. */
		devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			(void)dup2(devnull, STDERR_FILENO);
		(void)signal(SIGSEGV, SIG_DFL);
		if (s[0] == 'w')
			_exit(0);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	sd_creds_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_profile_literal),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_file_checks),
		cmocka_unit_test(test_load_fd),
		cmocka_unit_test(test_systemd_credentials),
		cmocka_unit_test(test_guarded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
