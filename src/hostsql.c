/* hostsql.c - loads the named host-schema queries (see hostsql.h). */
#include "presignd/hostsql.h"

#include "presignd/buf.h"
#include "presignd/embedded.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTSQL_MAX_QUERIES 64
#define HOSTSQL_MAX_FILE    (1024 * 1024)
#define NAME_MARK           "-- name:"

struct hostsql_query {
    char *name;
    char *sql;
};

struct hostsql {
    struct hostsql_query queries[HOSTSQL_MAX_QUERIES];
    size_t count;
    char *origin;
};

void hostsql_free(struct hostsql *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->count; i++) {
        free(q->queries[i].name);
        free(q->queries[i].sql);
    }
    free(q->origin);
    free(q);
}

/* Copies [start, end) with surrounding space and a final ';' removed. */
static char *trimmed_copy(const char *start, const char *end)
{
    char *s;

    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && (isspace((unsigned char)end[-1]) || end[-1] == ';'))
        end--;
    s = malloc((size_t)(end - start) + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, start, (size_t)(end - start));
    s[end - start] = '\0';
    return s;
}

/* Finds the next line that starts with NAME_MARK at or after p. */
static const char *next_name_line(const char *p)
{
    for (;;) {
        if (strncmp(p, NAME_MARK, strlen(NAME_MARK)) == 0)
            return p;
        p = strchr(p, '\n');
        if (p == NULL)
            return NULL;
        p++;
    }
}

static enum pd_code add_query(struct hostsql *q, const char *line,
                              const char *body_end, const char *origin,
                              struct pd_err *err)
{
    const char *name = line + strlen(NAME_MARK);
    const char *name_end = strchr(name, '\n');
    struct hostsql_query *slot;

    if (name_end == NULL || name_end > body_end)
        name_end = body_end;
    if (q->count == HOSTSQL_MAX_QUERIES)
        return pd_fail(err, PD_ELIMIT, "%s: more than %d queries", origin,
                       HOSTSQL_MAX_QUERIES);
    slot = &q->queries[q->count];
    slot->name = trimmed_copy(name, name_end);
    slot->sql = trimmed_copy(name_end, body_end);
    if (slot->name == NULL || slot->sql == NULL) {
        free(slot->name);
        free(slot->sql);
        return pd_fail(err, PD_ENOMEM, "out of memory loading queries");
    }
    q->count++;
    if (slot->name[0] == '\0' || slot->sql[0] == '\0')
        return pd_fail(err, PD_EINVAL, "%s: query '%s' has %s", origin,
                       slot->name, slot->name[0] ? "no SQL" : "no name");
    for (size_t i = 0; i + 1 < q->count; i++)
        if (strcmp(q->queries[i].name, slot->name) == 0)
            return pd_fail(err, PD_EINVAL, "%s: query '%s' defined twice",
                           origin, slot->name);
    return PD_OK;
}

enum pd_code hostsql_parse(struct hostsql **out, const char *text,
                           const char *origin, struct pd_err *err)
{
    struct hostsql *q = calloc(1, sizeof(*q));
    const char *line, *next;
    enum pd_code rc = PD_OK;

    *out = NULL;
    if (q == NULL || (q->origin = strdup(origin)) == NULL) {
        hostsql_free(q);
        return pd_fail(err, PD_ENOMEM, "out of memory loading queries");
    }
    for (line = next_name_line(text); line != NULL && rc == PD_OK;
         line = next) {
        next = next_name_line(line + 1);
        rc = add_query(q, line, next ? next : line + strlen(line), origin, err);
    }
    if (rc == PD_OK && q->count == 0)
        rc = pd_fail(err, PD_EINVAL, "%s: no '-- name:' queries found", origin);
    if (rc != PD_OK) {
        hostsql_free(q);
        return rc;
    }
    *out = q;
    return PD_OK;
}

static enum pd_code read_file(const char *path, struct pd_buf *b,
                              struct pd_err *err)
{
    char chunk[8192];
    size_t n;
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        return pd_fail(err, PD_EIO, "cannot open queries file %s", path);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (pd_buf_append(b, chunk, n) != PD_OK) {
            fclose(f);
            return pd_fail(err, PD_ELIMIT, "queries file %s is over %d bytes",
                           path, HOSTSQL_MAX_FILE);
        }
    }
    fclose(f);
    if (b->data == NULL)
        return pd_fail(err, PD_EINVAL, "queries file %s is empty", path);
    return PD_OK;
}

enum pd_code hostsql_load(struct hostsql **out, const char *path,
                          struct pd_err *err)
{
    const struct pd_embedded_file *builtin;
    struct pd_buf text;
    enum pd_code rc;

    *out = NULL;
    if (path == NULL || path[0] == '\0')
        path = getenv("PRESIGND_QUERIES");
    if (path == NULL || path[0] == '\0') {
        builtin = pd_embedded_find("queries.sql");
        if (builtin == NULL)
            return pd_fail(err, PD_ECONFIG, "no built-in queries.sql");
        return hostsql_parse(out, builtin->data, "built-in", err);
    }
    pd_buf_init(&text, HOSTSQL_MAX_FILE);
    rc = read_file(path, &text, err);
    if (rc == PD_OK)
        rc = hostsql_parse(out, text.data, path, err);
    pd_buf_release(&text);
    return rc;
}

const char *hostsql_get(const struct hostsql *q, const char *name)
{
    for (size_t i = 0; i < q->count; i++)
        if (strcmp(q->queries[i].name, name) == 0)
            return q->queries[i].sql;
    return NULL;
}

enum pd_code hostsql_require(const struct hostsql *q, const char *name,
                             const char **sql, struct pd_err *err)
{
    *sql = hostsql_get(q, name);
    if (*sql == NULL)
        return pd_fail(err, PD_ECONFIG, "%s: query '%s' is missing", q->origin,
                       name);
    return PD_OK;
}

const char *hostsql_origin(const struct hostsql *q)
{
    return q->origin;
}
