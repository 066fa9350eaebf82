/*
 * cmd_audit.c - `presignd audit`: is the bucket private, and is it safe to
 * make it private? Prints the report (table or JSON); the exit status is
 * the verdict.
 */
#include "commands.h"

#include "presignd/bucket.h"
#include "presignd/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_bucket.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: presignd audit --bucket B [--sample N] [--json]\n"
            "                      [--s3-endpoint URL[@REGION]]...\n"
            "                      [--cdn HOST=BUCKET[/PREFIX]]...\n"
            "\n"
            "Reports whether bucket B is private and whether anything still "
            "needs it public:\n"
            "Block Public Access flags, bucket policy (and the public "
            "statements in it),\n"
            "the store's policy status, ACL grants to AllUsers or "
            "AuthenticatedUsers on\n"
            "the bucket and on N object keys sampled from Postgres (default "
            "%d), object\n"
            "ownership, a real anonymous GET (must be denied) and presigned "
            "GET (must\n"
            "work) of each sampled key, and how many host rows still reach "
            "the bucket\n"
            "only through a legacy public URL. Checks a store does not "
            "support are\n"
            "reported as unsupported.\n"
            "\n"
            "Settings: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY "
            "(AWS_SESSION_TOKEN),\n"
            "AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION; never "
            "instance metadata.\n"
            "PRESIGND_S3_RESOLVE=HOST:PORT:ADDRESS[,...] pins endpoint names "
            "(no DNS).\n"
            "DATABASE_URL or PG*; PRESIGND_QUERIES; legacy URL forms as for "
            "backfill:\n"
            "--s3-endpoint/--cdn or PRESIGND_S3_ENDPOINTS/PRESIGND_CDNS.\n"
            "\n"
            "exit status:\n"
            "  0  private, and nothing depends on public access\n"
            "  3  public: a policy, ACL or anonymous GET grants public "
            "access\n"
            "  4  not ready: private-able, but rows still use legacy URLs or "
            "presigned\n"
            "     GETs fail\n"
            "  5  could not check (no such bucket, credentials refused, store "
            "or\n"
            "     database unreachable, a needed check failed)\n"
            "  1  other failure     2  usage error\n",
            BUCKET_DEFAULT_SAMPLE);
}

static int exit_for(enum bucket_verdict v)
{
    switch (v) {
    case BUCKET_PRIVATE_READY:
        return PD_EXIT_OK;
    case BUCKET_PUBLIC:
        return PD_EXIT_PUBLIC;
    case BUCKET_NOT_READY:
        return PD_EXIT_NOT_READY;
    case BUCKET_UNKNOWN:
        break;
    }
    return PD_EXIT_UNCHECKED;
}

int cmd_audit(int argc, char **argv)
{
    struct cmd_bucket_args args;
    struct bucket_session s;
    struct bucket_audit a;
    struct pd_buf out;
    struct pd_err err;
    int status = cmd_bucket_parse(argc, argv, false, &args, usage);

    if (status >= 0)
        return status;
    if (cmd_bucket_open(&args, true, &s) != PD_EXIT_OK)
        return PD_EXIT_UNCHECKED;
    if (bucket_audit_run(&s.ctx, &a, &err) != PD_OK) {
        fprintf(stderr, "presignd audit: %s\n", err.msg);
        bucket_session_release(&s);
        return PD_EXIT_UNCHECKED;
    }
    pd_buf_init(&out, 16 * 1024 * 1024);
    if ((args.json ? bucket_report_json(&a, &out)
                   : bucket_report_text(&a, &out)) != PD_OK) {
        fprintf(stderr, "presignd audit: report too large\n");
        status = PD_EXIT_FAIL;
    } else {
        fwrite(out.data, 1, out.len, stdout);
        status = exit_for(a.verdict);
    }
    pd_buf_release(&out);
    bucket_audit_release(&a);
    bucket_session_release(&s);
    return status;
}
