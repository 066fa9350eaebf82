/*
 * commands.h - the subcommands of the presignd binary.
 *
 * Each command takes the arguments after its name (argv[0] is the command
 * name), prints its own --help, and returns the process exit status:
 * 0 success, 2 usage error, 1 other failure; commands document any further
 * codes of their own (audit, for instance).
 */
#ifndef PRESIGND_COMMANDS_H
#define PRESIGND_COMMANDS_H

#define PD_EXIT_OK    0
#define PD_EXIT_FAIL  1
#define PD_EXIT_USAGE 2

struct pd_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

int cmd_presign(int argc, char **argv);
int cmd_parse_url(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_backfill(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_enforce_private(int argc, char **argv);

/* The command table, terminated by an entry whose name is NULL. */
extern const struct pd_command pd_commands[];

#endif
