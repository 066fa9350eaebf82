/*
 * cli.h - what the subcommands share at the command-line edge.
 *
 * Only src/cmd_*.c use this: the core modules never print.
 */
#ifndef PRESIGND_CLI_H
#define PRESIGND_CLI_H

#include "presignd/error.h"

/*
 * Prints "presignd CMD: MESSAGE (see 'presignd CMD --help')" on stderr and
 * returns PD_EXIT_USAGE, so a parser can write
 * `return cli_usage_error("backfill", "--limit must be ...", arg);`.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) PD_PRINTF(2, 3);

#endif
