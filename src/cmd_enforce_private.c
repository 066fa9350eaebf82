/*
 * cmd_enforce_private.c - `presignd enforce-private`: lock a bucket down,
 * safely (refuse while rows depend on public URLs, save a rollback file
 * first), and prove it with real anonymous and presigned GETs. Also
 * `--rollback FILE` to put the saved settings back.
 */
#include "commands.h"

#include "cmd_bucket.h"
#include "presignd/bucket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: presignd enforce-private --bucket B [--dry-run] [--force] "
            "[--sample N]\n"
            "                                [--rollback-dir DIR] "
            "[--s3-endpoint URL]...\n"
            "                                [--cdn "
            "HOST=BUCKET[/PREFIX]]...\n"
            "       presignd enforce-private --rollback FILE [--bucket B]\n"
            "\n"
            "Makes bucket B private: turns on all four Block Public Access "
            "flags, removes\n"
            "public statements from the bucket policy (deleting it when "
            "nothing else is\n"
            "left: some stores, e.g. Ceph radosgw, ignore "
            "RestrictPublicBuckets), removes\n"
            "grants to AllUsers/AuthenticatedUsers from the bucket ACL and "
            "the ACLs of the\n"
            "N sampled objects (default %d), and sets object ownership to "
            "BucketOwnerEnforced\n"
            "where the store supports it. It refuses while host rows still "
            "reach the\n"
            "bucket only through legacy public URLs, unless --force. Before "
            "changing\n"
            "anything it saves the current settings to a new rollback file "
            "in DIR\n"
            "(default: the current directory) and prints its path. Then it "
            "verifies with\n"
            "real GETs (anonymous: denied; presigned: 200) and prints a "
            "before/after table.\n"
            "On a bucket that is already private it changes nothing and "
            "says so.\n"
            "--dry-run prints the exact changes and makes none. --rollback "
            "FILE restores\n"
            "the settings saved in FILE.\n"
            "Settings as for `presignd audit` (see its --help).\n"
            "\n"
            "exit status:\n"
            "  0  private and verified (or already private; or dry run "
            "printed)\n"
            "  4  refused: rows still depend on public URLs (use --force to "
            "override)\n"
            "  5  could not check (no such bucket, credentials refused, store "
            "or database\n"
            "     unreachable); nothing changed\n"
            "  6  changed, but verification failed (see the table; "
            "--rollback FILE undoes)\n"
            "  1  a change failed part-way (restore with --rollback FILE), "
            "or the\n"
            "     rollback failed, or the rollback file could not be written "
            "(nothing\n"
            "     changed)\n"
            "  2  usage error\n",
            BUCKET_DEFAULT_SAMPLE);
}

static void print_buf(FILE *f, const struct pd_buf *b)
{
    if (b->len > 0)
        fwrite(b->data, 1, b->len, f);
}

static int rollback(const struct cmd_bucket_args *args)
{
    struct bucket_session s;
    struct pd_buf log;
    struct pd_err err;
    int status;

    if (cmd_bucket_open(args, false, &s) != PD_EXIT_OK)
        return PD_EXIT_UNCHECKED;
    pd_buf_init(&log, 1024 * 1024);
    status =
        bucket_rollback_restore(&s.ctx, args->rollback, &log, &err) == PD_OK
            ? PD_EXIT_OK
            : PD_EXIT_FAIL;
    print_buf(stdout, &log);
    if (status == PD_EXIT_OK)
        printf("restored the settings saved in %s\n", args->rollback);
    else
        fprintf(stderr, "presignd enforce-private: rollback stopped: %s\n",
                err.msg);
    pd_buf_release(&log);
    bucket_session_release(&s);
    return status;
}

/* Audits again, probing the same keys, and prints the comparison. */
static int verify(struct bucket_session *s, const struct bucket_audit *before)
{
    struct bucket_audit after;
    struct pd_buf out, why;
    struct pd_err err;
    char **keys = calloc(before->object_count + 1, sizeof(*keys));
    int status = PD_EXIT_OK;

    for (size_t i = 0; keys != NULL && i < before->object_count; i++)
        keys[i] = before->objects[i].key;
    s->ctx.keys = keys;
    s->ctx.key_count = before->object_count;
    if (keys == NULL || bucket_audit_run(&s->ctx, &after, &err) != PD_OK) {
        fprintf(stderr, "presignd enforce-private: cannot verify: %s\n",
                keys ? err.msg : "out of memory");
        free(keys);
        return PD_EXIT_UNVERIFIED;
    }
    pd_buf_init(&out, 1024 * 1024);
    pd_buf_init(&why, 1024 * 1024);
    if (bucket_report_compare(before, &after, &out) == PD_OK)
        print_buf(stdout, &out);
    if (!bucket_verify(&after, &why)) {
        fprintf(stderr, "presignd enforce-private: verification FAILED:\n");
        print_buf(stderr, &why);
        status = PD_EXIT_UNVERIFIED;
    } else {
        if (after.object_count == 0)
            printf("verified: anonymous listing denied (no sampled keys to "
                   "probe)\n");
        else
            printf("verified: anonymous GETs denied (%zu keys and the "
                   "listing), presigned GETs work\n",
                   after.object_count);
    }
    pd_buf_release(&out);
    pd_buf_release(&why);
    bucket_audit_release(&after);
    free(keys);
    return status;
}

/* Whether rows still depending on public URLs (or not knowing) stop us. */
static int readiness(const struct cmd_bucket_args *args,
                     const struct bucket_audit *a)
{
    if (a->db_check.state != BUCKET_CHECKED) {
        fprintf(stderr,
                "presignd enforce-private: cannot count the rows that "
                "depend on public URLs: %s\n",
                a->db_check.detail);
        if (!args->force)
            return PD_EXIT_UNCHECKED;
        fprintf(stderr, "presignd enforce-private: --force: going on\n");
    } else if (a->legacy_rows > 0) {
        fprintf(stderr,
                "presignd enforce-private: %s %lld row(s) still reach "
                "bucket '%s' only through a legacy public URL; run "
                "`presignd backfill` first%s\n",
                args->force ? "--force: going on although" : "refusing:",
                a->legacy_rows, a->bucket,
                args->force ? "" : " (or use --force)");
        if (!args->force)
            return PD_EXIT_NOT_READY;
    }
    return -1;
}

/* Saves the rollback file, applies the plan, verifies. */
static int change(const struct cmd_bucket_args *args, struct bucket_session *s,
                  const struct bucket_audit *before,
                  const struct bucket_plan *plan)
{
    struct pd_buf path, log;
    struct pd_err err;
    int status = PD_EXIT_OK;

    pd_buf_init(&path, 4096);
    pd_buf_init(&log, 1024 * 1024);
    if (bucket_rollback_save(before, plan, args->rollback_dir, &path, &err) !=
        PD_OK) {
        fprintf(stderr, "presignd enforce-private: %s; nothing changed\n",
                err.msg);
        status = PD_EXIT_FAIL;
    } else {
        printf("rollback file: %s\n", path.data);
        fflush(stdout);
        if (bucket_plan_apply(&s->ctx, plan, &log, &err) != PD_OK) {
            print_buf(stdout, &log);
            fprintf(stderr,
                    "presignd enforce-private: stopped part-way: %s\n"
                    "presignd enforce-private: to undo: presignd "
                    "enforce-private --rollback %s\n",
                    err.msg, path.data);
            status = PD_EXIT_FAIL;
        } else {
            print_buf(stdout, &log);
            status = verify(s, before);
        }
    }
    pd_buf_release(&path);
    pd_buf_release(&log);
    return status;
}

static int enforce(const struct cmd_bucket_args *args, struct bucket_session *s,
                   const struct bucket_audit *a)
{
    struct bucket_plan plan;
    struct pd_buf text;
    struct pd_err err;
    int status;

    if (bucket_plan_make(a, &plan, &err) != PD_OK) {
        fprintf(stderr, "presignd enforce-private: %s; nothing changed\n",
                err.msg);
        return PD_EXIT_UNCHECKED;
    }
    pd_buf_init(&text, 1024 * 1024);
    if (bucket_plan_empty(&plan)) {
        printf("bucket %s: already private, nothing changed\n", a->bucket);
        status = verify(s, a);
    } else if (bucket_plan_describe(&plan, a->bucket, &text) != PD_OK) {
        fprintf(stderr, "presignd enforce-private: plan too large\n");
        status = PD_EXIT_FAIL;
    } else {
        int ready = readiness(args, a);
        if (args->dry_run || ready < 0) {
            printf("%s", args->dry_run ? "dry run: would make these "
                                         "changes:\n"
                                       : "changes:\n");
            print_buf(stdout, &text);
        }
        if (ready >= 0)
            status = ready;
        else
            status = args->dry_run ? PD_EXIT_OK : change(args, s, a, &plan);
    }
    pd_buf_release(&text);
    bucket_plan_release(&plan);
    return status;
}

int cmd_enforce_private(int argc, char **argv)
{
    struct cmd_bucket_args args;
    struct bucket_session s;
    struct bucket_audit a;
    struct pd_err err;
    int status = cmd_bucket_parse(argc, argv, true, &args, usage);

    if (status >= 0)
        return status;
    if (args.rollback != NULL)
        return rollback(&args);
    if (cmd_bucket_open(&args, true, &s) != PD_EXIT_OK)
        return PD_EXIT_UNCHECKED;
    if (bucket_audit_run(&s.ctx, &a, &err) != PD_OK) {
        fprintf(stderr, "presignd enforce-private: %s; nothing changed\n",
                err.msg);
        bucket_session_release(&s);
        return PD_EXIT_UNCHECKED;
    }
    status = enforce(&args, &s, &a);
    bucket_audit_release(&a);
    bucket_session_release(&s);
    return status;
}
