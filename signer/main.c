/*
 * stepdeploy-signer: the only stepdeploy process that holds AWS
 * credentials. It signs (SigV4) the requests the uploader sends over a
 * Unix socket when the policy allows them, and nothing else.
 *
 * This file only parses argv, sets up, drops privileges, sandboxes and
 * runs the loop; the work is in daemon.c, creds.c, sign_policy.c and
 * sandbox.c (see sd_signer.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_audit.h"
#include "sd_err.h"
#include "sd_log.h"
#include "sd_policy.h"
#include "sd_signer.h"

static const char *prog = "stepdeploy-signer";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [--policy FILE] [--socket PATH] [--credentials FILE]\n"
	    "       [--profile NAME] [--user USER] [--foreground]\n"
	    "       [--log-json] [--log-level debug|info|warn|error]\n"
	    "       [--audit-log FILE]\n"
	    "\n"
	    "  --policy FILE       the policy (default %s)\n"
	    "  --socket PATH       the socket to listen on (default %s)\n"
	    "  --credentials FILE  AWS credentials (INI), mode 0400 or 0600\n"
	    "                      (default $CREDENTIALS_DIRECTORY/aws, else\n"
	    "                      the policy's credentials_file)\n"
	    "  --profile NAME      the credentials' profile (default default)\n"
	    "  --user USER         when started as root, run as USER\n"
	    "  --foreground        do not fork into the background\n"
	    "  --log-json          log one JSON object per line\n"
	    "  --audit-log FILE    its audit log: every signature issued or\n"
	    "                      refused (made when missing; stepdeploy audit\n"
	    "                      init makes it first)\n",
	    prog, SD_POLICY_DEFAULT_PATH, SD_SIGNER_DEFAULT_SOCKET);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy",	 required_argument, NULL, 'p' },
		{ "socket",	 required_argument, NULL, 's' },
		{ "credentials", required_argument, NULL, 'c' },
		{ "profile",	 required_argument, NULL, 'P' },
		{ "user",	 required_argument, NULL, 'u' },
		{ "foreground",	 no_argument,	    NULL, 'f' },
		{ "log-json",	 no_argument,	    NULL, 'j' },
		{ "log-level",	 required_argument, NULL, 'l' },
		{ "audit-log",	 required_argument, NULL, 'a' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL,		 0,		    NULL, 0 }
	};
	struct sd_signer_opts o;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_signer *s = NULL;
	const char *audit_log = NULL;
	int ch, foreground = 0, flags = 0, level = SD_LOG_INFO, r;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': o.policy = optarg; break;
		case 's': o.socket = optarg; break;
		case 'c': o.credentials = optarg; break;
		case 'P': o.profile = optarg; break;
		case 'a': audit_log = optarg; break;
		case 'u': o.user = optarg; break;
		case 'f': foreground = 1; break;
		case 'j': flags |= SD_LOG_JSON; break;
		case 'l':
			if ((level = sd_log_level_parse(optarg)) < 0) {
				fprintf(stderr, "%s: --log-level: debug, info, "
				    "warn or error\n", prog);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog,
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	sd_log_init(prog, (enum sd_log_level)level, flags);

	if ((r = sd_signer_nodump(&err)) != 0 ||
	    (r = sd_signer_new(&o, &s, &err)) != 0 ||
	    (audit_log != NULL && (r = sd_audit_start(audit_log, "signer", NULL,
	    &err)) != 0) ||
	    (!foreground && (r = sd_signer_daemonize(&err)) != 0) ||
	    (r = sd_signer_memlock(&err)) != 0 ||
	    (r = sd_signer_drop(s, &err)) != 0 ||
	    (r = sd_signer_sandbox(&err)) != 0) {
		sd_error("%s", sd_error_text(&err));
		goto out;
	}
	sd_info("sandboxed (seccomp), ready");
	if ((r = sd_signer_run(s, &err)) != 0)
		sd_error("%s", sd_error_text(&err));
 out:
	sd_signer_free(s);
	sd_error_clear(&err);
	return r == 0 ? 0 : r == SD_ERR_USAGE ? 2 : 1;
}
