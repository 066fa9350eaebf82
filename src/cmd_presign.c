/*
 * cmd_presign.c - `presignd presign`: not built yet.
 *
 * Placeholder so the dispatch table is complete; it says so plainly and
 * fails. The issue that adds this command replaces the whole file.
 */
#include "commands.h"

#include <stdio.h>

int cmd_presign(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "presignd: '%s' is not implemented in this build\n",
            argv[0]);
    return PD_EXIT_FAIL;
}
