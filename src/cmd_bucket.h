/*
 * cmd_bucket.h - what `presignd audit` and `presignd enforce-private` share:
 * their exit codes, option parsing and session setup.
 */
#ifndef PRESIGND_CMD_BUCKET_H
#define PRESIGND_CMD_BUCKET_H

#include "presignd/bucket.h"

#include <stdbool.h>
#include <stdio.h>

#define PD_EXIT_PUBLIC     3 /* audit: the bucket is public */
#define PD_EXIT_NOT_READY  4 /* rows still depend on public URLs */
#define PD_EXIT_UNCHECKED  5 /* could not check; nothing changed */
#define PD_EXIT_UNVERIFIED 6 /* enforce: changed, but not proven private */

struct cmd_bucket_args {
    const char *cmd; /* "audit" or "enforce-private", for messages */
    bool json, dry_run, force;
    const char *rollback;     /* enforce-private --rollback FILE */
    const char *rollback_dir; /* where new rollback files go */
    struct bucket_session_options opts;
};

/*
 * Parses the options of audit (enforce false) or enforce-private. Returns
 * -1 to go on, or the exit status to return (help printed, usage error).
 */
int cmd_bucket_parse(int argc, char **argv, bool enforce,
                     struct cmd_bucket_args *args, void (*usage)(FILE *));

/* Opens the session, printing the error; PD_EXIT_OK or PD_EXIT_UNCHECKED. */
int cmd_bucket_open(const struct cmd_bucket_args *args, bool need_db,
                    struct bucket_session *s);

#endif
