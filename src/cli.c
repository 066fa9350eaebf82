/* cli.c - helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include "commands.h"

#include <stdarg.h>
#include <stdio.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "presignd %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'presignd %s --help')\n", cmd);
    return PD_EXIT_USAGE;
}
