/*
 * embedded.h - the files of sql/ compiled into the binary.
 *
 * The build turns every .sql file below sql/ into a constant byte array (see
 * cmake/embed.cmake), so an installed presignd needs no data directory:
 * migrations and the default host-schema queries travel inside it.
 */
#ifndef PRESIGND_EMBEDDED_H
#define PRESIGND_EMBEDDED_H

#include <stddef.h>

struct pd_embedded_file {
    const char *path; /* relative to sql/, e.g. "migrations/0001_x.sql" */
    const char *data; /* NUL-terminated */
    size_t len;
};

/* The embedded files, sorted by path. */
extern const struct pd_embedded_file pd_embedded_files[];
extern const size_t pd_embedded_count;

/* The file at path, or NULL. */
const struct pd_embedded_file *pd_embedded_find(const char *path);

#endif
