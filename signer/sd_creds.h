/*
 * sd_creds: the signer's AWS credentials, read from a file in the
 * ~/.aws/credentials INI format and kept in libsodium guarded memory.
 *
 *	[default]
 *	aws_access_key_id = AKIDEXAMPLE
 *	aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
 *	aws_session_token = ...			(optional)
 *
 * The file must be a regular file (opened with O_NOFOLLOW, checked with
 * fstat), mode exactly 0400 or 0600, owned by the uid the signer runs as.
 * Anything else is refused with a message that says what to fix.
 *
 * One exception, only with SD_CREDS_SYSTEMD (the daemon sets it for
 * $CREDENTIALS_DIRECTORY/aws): systemd's LoadCredential= writes the file
 * owned by root, chmod 0400, and grants the service user read access with
 * a POSIX ACL (the mode then reads 0440: the group bits show the ACL
 * mask). That is accepted when the ACL lets exactly the signer's uid read
 * (named user entries: that uid only, read only; no group, no other).
 * On file systems without ACLs systemd chowns the file to the service
 * user instead, which the normal rule covers.
 *
 * The daemon opens the file once, before it drops privileges and installs
 * its seccomp filter (which forbids open), and keeps the descriptor: a
 * reload (SIGHUP) re-checks it with fstat and re-reads it from offset 0
 * with pread. So a reload sees the file rewritten in place (truncated and
 * written, e.g. `cat new > file`), not a new file renamed over the old
 * name: that needs a restart.
 *
 * The secrets never leave guarded memory: the file is read into a
 * sodium_malloc buffer (wiped and freed at once), parsed in place, and
 * the values copied into one sodium_malloc region that is kept
 * sodium_mprotect_noaccess except between sd_creds_unlock() (read-only)
 * and sd_creds_lock(). Error messages name lines, never values.
 *
 * sodium_init() must have succeeded before any function here is called.
 */
#ifndef SD_CREDS_H
#define SD_CREDS_H

#include <stddef.h>
#include <sys/types.h>

#include "sd_err.h"
#include "sd_sigv4.h"

#define SD_CREDS_FILE_MAX	((size_t)64 * 1024)	/* bytes in the file */
#define SD_CREDS_PROFILE_MAX	128		/* a profile (section) name */
#define SD_CREDS_DEFAULT_PROFILE "default"

/* Flags of sd_creds_open / _check_fd / _load_fd. */
#define SD_CREDS_SYSTEMD	0x1	/* also LoadCredential='s root + ACL */

struct sd_creds;	/* opaque; the secrets live in guarded memory */

/* 1 when s is a usable profile name: 1-128 of [A-Za-z0-9._@+=-]. */
int	 sd_creds_valid_profile(const char *s);

/*
 * Open path read-only (O_NOFOLLOW, O_NONBLOCK so a FIFO cannot block,
 * O_CLOEXEC) and check it with sd_creds_check_fd. *fd is new (close it);
 * -1 on failure. SD_ERR_IO when it cannot be opened, SD_ERR_INVALID when
 * it is not acceptable.
 */
int	 sd_creds_open(const char *path, uid_t owner, unsigned flags,
	    int *fd, struct sd_error *err);
/*
 * 0 when fd is a regular file of mode 0400 or 0600 owned by owner (or, with
 * SD_CREDS_SYSTEMD, what LoadCredential= writes, see above) and at most
 * SD_CREDS_FILE_MAX bytes; SD_ERR_INVALID, SD_ERR_LIMIT or SD_ERR_IO
 * otherwise.
 */
int	 sd_creds_check_fd(int fd, uid_t owner, unsigned flags,
	    struct sd_error *err);

/*
 * Parse len bytes of INI text (need not be NUL-terminated) and take the
 * credentials of profile (NULL: "default"). *out is new (sd_creds_free),
 * locked (no access). SD_ERR_PARSE for a line that is not a section, a
 * key = value pair, a comment or blank; SD_ERR_NOTFOUND when the profile
 * is missing; SD_ERR_INVALID for a missing, repeated or malformed key;
 * SD_ERR_NOMEM.
 */
int	 sd_creds_parse(const char *text, size_t len, const char *profile,
	    struct sd_creds **out, struct sd_error *err);
/*
 * sd_creds_check_fd, then read the whole file from offset 0 (pread; the
 * offset of fd is not used) into guarded memory and sd_creds_parse it.
 */
int	 sd_creds_load_fd(int fd, uid_t owner, unsigned flags,
	    const char *profile, struct sd_creds **out, struct sd_error *err);
/* Wipes and frees (sodium_free); NULL-safe. */
void	 sd_creds_free(struct sd_creds *);

/*
 * Make the credentials readable and point out at them (borrowed, valid
 * until sd_creds_lock). Every unlock must be followed by a lock.
 */
int	 sd_creds_unlock(struct sd_creds *, struct sd_sigv4_credentials *out);
/* Back to no access. */
void	 sd_creds_lock(struct sd_creds *);
/* 1 when the credentials carry a session token (no unlock needed). */
int	 sd_creds_has_token(const struct sd_creds *);

#endif /* SD_CREDS_H */
