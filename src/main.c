/*
 * main.c - the presignd binary: finds the subcommand and hands it argv.
 *
 * Nothing else happens here; each command lives in src/cmd_<name>.c.
 */
#include "commands.h"
#include "presignd/version.h"

#include <stdio.h>
#include <string.h>

const struct pd_command pd_commands[] = {
    {"serve", "serve authenticated redirects to presigned URLs", cmd_serve},
    {"migrate", "apply presignd's database migrations", cmd_migrate},
    {"backfill", "turn legacy public URLs into object references",
     cmd_backfill},
    {"audit", "report whether a bucket is private and safe to lock", cmd_audit},
    {"enforce-private", "lock a bucket down and prove it", cmd_enforce_private},
    {"presign", "print a presigned URL for one object", cmd_presign},
    {"parse-url", "show how a legacy URL maps to bucket and key",
     cmd_parse_url},
    {NULL, NULL, NULL},
};

static void print_help(FILE *out)
{
    fprintf(out, "usage: presignd COMMAND [OPTIONS]\n"
                 "       presignd COMMAND --help\n"
                 "       presignd --version\n\n"
                 "A signed-URL gateway for private object storage.\n\n"
                 "commands:\n");
    for (const struct pd_command *c = pd_commands; c->name != NULL; c++)
        fprintf(out, "  %-16s %s\n", c->name, c->summary);
    fprintf(out, "  %-16s %s\n", "help", "show this help, or a command's");
    fprintf(out, "\nexit status: 0 success, 1 failure, 2 usage error "
                 "(some commands add their own; see their --help).\n");
}

static const struct pd_command *find_command(const char *name)
{
    for (const struct pd_command *c = pd_commands; c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int main(int argc, char **argv)
{
    const struct pd_command *cmd;

    if (argc < 2) {
        print_help(stderr);
        return PD_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("presignd %s\n", PRESIGND_VERSION);
        return PD_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "help") != 0 &&
            (cmd = find_command(argv[2])) != NULL) {
            char *sub[] = {argv[2], "--help", NULL};
            return cmd->run(2, sub);
        }
        if (argc > 2 && strcmp(argv[2], "help") != 0) {
            fprintf(stderr, "presignd: unknown command '%s'\n", argv[2]);
            return PD_EXIT_USAGE;
        }
        print_help(stdout);
        return PD_EXIT_OK;
    }
    cmd = find_command(argv[1]);
    if (cmd == NULL) {
        fprintf(stderr,
                "presignd: unknown command '%s' (see 'presignd help')\n",
                argv[1]);
        return PD_EXIT_USAGE;
    }
    return cmd->run(argc - 1, argv + 1);
}
