/*
 * s3api_xml.c - S3 XML bodies in and out: a tiny read-only tree built with
 * expat, the parsers of the answers presignd reads, and the writers of the
 * bodies it sends (see s3api.h).
 *
 * Element names are matched without their namespace prefix, because S3
 * answers with and without xmlns (radosgw's Block Public Access document
 * has none and a different root name than AWS's). A DOCTYPE stops the
 * parse: S3 never sends one, and refusing it rules out entity expansion.
 */
#include "presignd/s3api.h"

#include <expat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XML_MAX_NODES 4096
#define XML_MAX_DEPTH 16
#define XML_MAX_TEXT  8192
#define XML_NAME_MAX  64

struct xml_node {
    char name[XML_NAME_MAX];     /* local name, prefix dropped */
    char xsi_type[XML_NAME_MAX]; /* the xsi:type attribute, or "" */
    struct pd_buf text;
    int parent, first_child, last_child, next;
};

struct xml_doc {
    struct xml_node *nodes;
    size_t count, cap;
    int stack[XML_MAX_DEPTH];
    int depth;
    bool failed;
    const char *why;
    XML_Parser parser;
};

static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');

    return colon != NULL ? colon + 1 : name;
}

static void xml_stop(struct xml_doc *d, const char *why)
{
    if (!d->failed) {
        d->failed = true;
        d->why = why;
    }
    XML_StopParser(d->parser, XML_FALSE);
}

static int xml_add_node(struct xml_doc *d, const char *name)
{
    struct xml_node *n;
    int parent = d->depth > 0 ? d->stack[d->depth - 1] : -1;

    if (d->count == d->cap) {
        size_t cap = d->cap * 2;
        if (cap > XML_MAX_NODES)
            return -1;
        n = realloc(d->nodes, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        d->nodes = n;
        d->cap = cap;
    }
    n = &d->nodes[d->count];
    memset(n, 0, sizeof(*n));
    snprintf(n->name, sizeof(n->name), "%s", local_name(name));
    pd_buf_init(&n->text, XML_MAX_TEXT);
    n->parent = parent;
    n->first_child = n->last_child = n->next = -1;
    if (parent >= 0) {
        struct xml_node *p = &d->nodes[parent];
        if (p->last_child >= 0)
            d->nodes[p->last_child].next = (int)d->count;
        else
            p->first_child = (int)d->count;
        p->last_child = (int)d->count;
    } else if (d->count > 0) {
        return -1; /* a second root element */
    }
    return (int)d->count++;
}

static void XMLCALL on_start(void *ud, const XML_Char *name,
                             const XML_Char **attrs)
{
    struct xml_doc *d = ud;
    int idx;

    if (d->depth == XML_MAX_DEPTH) {
        xml_stop(d, "nested too deeply");
        return;
    }
    idx = xml_add_node(d, name);
    if (idx < 0) {
        xml_stop(d, "too many elements (or out of memory)");
        return;
    }
    for (size_t i = 0; attrs[i] != NULL; i += 2)
        if (strcmp(local_name(attrs[i]), "type") == 0)
            snprintf(d->nodes[idx].xsi_type, XML_NAME_MAX, "%s",
                     local_name(attrs[i + 1]));
    d->stack[d->depth++] = idx;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xml_doc *d = ud;

    (void)name;
    if (d->depth > 0)
        d->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xml_doc *d = ud;

    if (d->depth == 0 || len <= 0)
        return;
    if (pd_buf_append(&d->nodes[d->stack[d->depth - 1]].text, s, (size_t)len) !=
        PD_OK)
        xml_stop(d, "element text too long");
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name,
                               const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    xml_stop(ud, "DOCTYPE declarations are not accepted");
}

static void xml_doc_release(struct xml_doc *d)
{
    for (size_t i = 0; i < d->count; i++)
        pd_buf_release(&d->nodes[i].text);
    free(d->nodes);
    d->nodes = NULL;
    d->count = 0;
}

/* Parses body into d; on failure d is released and err says why. */
static enum pd_code xml_doc_parse(struct xml_doc *d, const char *body,
                                  size_t len, struct pd_err *err)
{
    enum XML_Status st;

    memset(d, 0, sizeof(*d));
    if (len > S3API_MAX_BODY || len > (size_t)INT32_MAX)
        return pd_fail(err, PD_ELIMIT, "XML body over %d bytes",
                       S3API_MAX_BODY);
    d->cap = 32;
    d->nodes = calloc(d->cap, sizeof(*d->nodes));
    d->parser = XML_ParserCreate(NULL);
    if (d->nodes == NULL || d->parser == NULL) {
        if (d->parser != NULL)
            XML_ParserFree(d->parser);
        free(d->nodes);
        return pd_fail(err, PD_ENOMEM, "out of memory parsing XML");
    }
    XML_SetUserData(d->parser, d);
    XML_SetElementHandler(d->parser, on_start, on_end);
    XML_SetCharacterDataHandler(d->parser, on_text);
    XML_SetStartDoctypeDeclHandler(d->parser, on_doctype);
    st = XML_Parse(d->parser, body, (int)len, XML_TRUE);
    if (st != XML_STATUS_OK || d->failed || d->count == 0) {
        const char *why = d->failed ? d->why
                          : d->count == 0 && st == XML_STATUS_OK
                              ? "no root element"
                              : XML_ErrorString(XML_GetErrorCode(d->parser));
        pd_fail(err, PD_ES3, "malformed XML from the store: %s", why);
        XML_ParserFree(d->parser);
        xml_doc_release(d);
        return PD_ES3;
    }
    XML_ParserFree(d->parser);
    d->parser = NULL;
    return PD_OK;
}

/* The first child of node idx named name, or -1. */
static int xml_child(const struct xml_doc *d, int idx, const char *name)
{
    if (idx < 0)
        return -1;
    for (int c = d->nodes[idx].first_child; c >= 0; c = d->nodes[c].next)
        if (strcmp(d->nodes[c].name, name) == 0)
            return c;
    return -1;
}

/* The text of node idx, trimmed of surrounding white space; "" for -1. */
static const char *xml_text(struct xml_doc *d, int idx)
{
    struct pd_buf *t;
    size_t start = 0;

    if (idx < 0)
        return "";
    t = &d->nodes[idx].text;
    if (t->data == NULL)
        return "";
    while (t->len > 0 && strchr(" \t\r\n", t->data[t->len - 1]) != NULL)
        t->data[--t->len] = '\0';
    while (t->data[start] != '\0' && strchr(" \t\r\n", t->data[start]))
        start++;
    return t->data + start;
}

static void copy_text(char *dst, size_t n, struct xml_doc *d, int idx)
{
    snprintf(dst, n, "%s", xml_text(d, idx));
}

void s3api_parse_error(const char *body, size_t len, struct s3api_reply *out)
{
    struct xml_doc d;

    out->code[0] = out->message[0] = out->request_id[0] = '\0';
    if (body == NULL || len == 0 || xml_doc_parse(&d, body, len, NULL) != PD_OK)
        return;
    if (strcmp(d.nodes[0].name, "Error") == 0) {
        copy_text(out->code, sizeof(out->code), &d, xml_child(&d, 0, "Code"));
        copy_text(out->message, sizeof(out->message), &d,
                  xml_child(&d, 0, "Message"));
        copy_text(out->request_id, sizeof(out->request_id), &d,
                  xml_child(&d, 0, "RequestId"));
    }
    xml_doc_release(&d);
}

/* Parses a document whose root must be one of two names. */
static enum pd_code parse_root(struct xml_doc *d, const char *body, size_t len,
                               const char *root, const char *alt_root,
                               struct pd_err *err)
{
    enum pd_code rc = xml_doc_parse(d, body, len, err);

    if (rc != PD_OK)
        return rc;
    if (strcmp(d->nodes[0].name, root) == 0 ||
        (alt_root != NULL && strcmp(d->nodes[0].name, alt_root) == 0))
        return PD_OK;
    /* A store that does not know the subresource answers something else
     * (radosgw 16 lists the bucket for ?ownershipControls). */
    pd_fail(err, PD_EUNSUPPORTED, "expected <%s>, the store answered <%s>",
            root, d->nodes[0].name);
    xml_doc_release(d);
    return PD_EUNSUPPORTED;
}

static enum pd_code parse_bool(struct xml_doc *d, int idx, const char *name,
                               bool *out, struct pd_err *err)
{
    const char *t = xml_text(d, xml_child(d, idx, name));

    if (t[0] == '\0' || strcasecmp(t, "false") == 0) {
        *out = false; /* an absent element means the flag is off */
        return PD_OK;
    }
    if (strcasecmp(t, "true") == 0) {
        *out = true;
        return PD_OK;
    }
    return pd_fail(err, PD_ES3, "<%s> is neither true nor false", name);
}

enum pd_code s3api_parse_pab(const char *body, size_t len,
                             struct s3api_pab *out, struct pd_err *err)
{
    struct xml_doc d;
    enum pd_code rc;

    memset(out, 0, sizeof(*out));
    rc = parse_root(&d, body, len, "PublicAccessBlockConfiguration",
                    "BlockPublicAccessBlockConfiguration", err);
    if (rc != PD_OK)
        return rc;
    rc = parse_bool(&d, 0, "BlockPublicAcls", &out->block_public_acls, err);
    if (rc == PD_OK)
        rc = parse_bool(&d, 0, "IgnorePublicAcls", &out->ignore_public_acls,
                        err);
    if (rc == PD_OK)
        rc = parse_bool(&d, 0, "BlockPublicPolicy", &out->block_public_policy,
                        err);
    if (rc == PD_OK)
        rc = parse_bool(&d, 0, "RestrictPublicBuckets",
                        &out->restrict_public_buckets, err);
    xml_doc_release(&d);
    return rc;
}

enum pd_code s3api_parse_policy_status(const char *body, size_t len,
                                       bool *is_public, struct pd_err *err)
{
    struct xml_doc d;
    enum pd_code rc;
    int node;

    *is_public = false;
    rc = parse_root(&d, body, len, "PolicyStatus", NULL, err);
    if (rc != PD_OK)
        return rc;
    node = xml_child(&d, 0, "IsPublic");
    if (node < 0)
        rc = pd_fail(err, PD_ES3, "<PolicyStatus> without <IsPublic>");
    else
        rc = parse_bool(&d, 0, "IsPublic", is_public, err);
    xml_doc_release(&d);
    return rc;
}

enum pd_code s3api_parse_ownership(const char *body, size_t len, char *out,
                                   size_t out_size, struct pd_err *err)
{
    struct xml_doc d;
    enum pd_code rc;
    int rule;

    out[0] = '\0';
    rc = parse_root(&d, body, len, "OwnershipControls", NULL, err);
    if (rc != PD_OK)
        return rc;
    rule = xml_child(&d, 0, "Rule");
    copy_text(out, out_size, &d, xml_child(&d, rule, "ObjectOwnership"));
    if (out[0] == '\0')
        rc = pd_fail(err, PD_ES3, "<OwnershipControls> without a rule");
    xml_doc_release(&d);
    return rc;
}

static enum s3api_grantee_type grantee_type(const char *xsi_type)
{
    if (strcmp(xsi_type, "CanonicalUser") == 0)
        return S3API_GRANTEE_CANONICAL;
    if (strcmp(xsi_type, "Group") == 0)
        return S3API_GRANTEE_GROUP;
    if (strcmp(xsi_type, "AmazonCustomerByEmail") == 0)
        return S3API_GRANTEE_EMAIL;
    return S3API_GRANTEE_UNKNOWN;
}

static enum pd_code parse_grant(struct xml_doc *d, int grant,
                                struct s3api_grant *g, struct pd_err *err)
{
    int who = xml_child(d, grant, "Grantee");
    int id;

    if (who < 0)
        return pd_fail(err, PD_ES3, "ACL grant without a <Grantee>");
    g->type = grantee_type(d->nodes[who].xsi_type);
    id = xml_child(d, who,
                   g->type == S3API_GRANTEE_GROUP   ? "URI"
                   : g->type == S3API_GRANTEE_EMAIL ? "EmailAddress"
                                                    : "ID");
    copy_text(g->id, sizeof(g->id), d, id);
    copy_text(g->display_name, sizeof(g->display_name), d,
              xml_child(d, who, "DisplayName"));
    copy_text(g->permission, sizeof(g->permission), d,
              xml_child(d, grant, "Permission"));
    if (g->id[0] == '\0' || g->permission[0] == '\0')
        return pd_fail(err, PD_ES3, "ACL grant without grantee or permission");
    return PD_OK;
}

enum pd_code s3api_parse_acl(const char *body, size_t len,
                             struct s3api_acl *out, struct pd_err *err)
{
    struct xml_doc d;
    enum pd_code rc;
    int owner, list;

    memset(out, 0, sizeof(*out));
    rc = parse_root(&d, body, len, "AccessControlPolicy", NULL, err);
    if (rc != PD_OK)
        return rc;
    owner = xml_child(&d, 0, "Owner");
    copy_text(out->owner_id, sizeof(out->owner_id), &d,
              xml_child(&d, owner, "ID"));
    copy_text(out->owner_display_name, sizeof(out->owner_display_name), &d,
              xml_child(&d, owner, "DisplayName"));
    list = xml_child(&d, 0, "AccessControlList");
    for (int g = list >= 0 ? d.nodes[list].first_child : -1;
         g >= 0 && rc == PD_OK; g = d.nodes[g].next) {
        if (strcmp(d.nodes[g].name, "Grant") != 0)
            continue;
        if (out->grant_count == S3API_MAX_GRANTS)
            rc = pd_fail(err, PD_ELIMIT, "ACL has over %d grants",
                         S3API_MAX_GRANTS);
        else
            rc = parse_grant(&d, g, &out->grants[out->grant_count++], err);
    }
    if (rc == PD_OK && out->owner_id[0] == '\0')
        rc = pd_fail(err, PD_ES3, "ACL without an owner");
    xml_doc_release(&d);
    return rc;
}

const char *s3api_grant_public_group(const struct s3api_grant *g)
{
    static const char prefix[] = "http://acs.amazonaws.com/groups/global/";
    const char *name;

    if (g->type != S3API_GRANTEE_GROUP ||
        strncmp(g->id, prefix, sizeof(prefix) - 1) != 0)
        return NULL;
    name = g->id + sizeof(prefix) - 1;
    if (strcmp(name, "AllUsers") == 0)
        return "AllUsers";
    if (strcmp(name, "AuthenticatedUsers") == 0)
        return "AuthenticatedUsers";
    return NULL;
}

/* Appends s with the five XML special characters escaped. */
static enum pd_code xml_escape(struct pd_buf *b, const char *s)
{
    enum pd_code rc = PD_OK;

    for (; *s != '\0' && rc == PD_OK; s++) {
        switch (*s) {
        case '&':
            rc = pd_buf_puts(b, "&amp;");
            break;
        case '<':
            rc = pd_buf_puts(b, "&lt;");
            break;
        case '>':
            rc = pd_buf_puts(b, "&gt;");
            break;
        case '"':
            rc = pd_buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = pd_buf_puts(b, "&apos;");
            break;
        default:
            rc = pd_buf_putc(b, *s);
        }
    }
    return rc;
}

/* Appends <name>escaped text</name>. */
static enum pd_code xml_element(struct pd_buf *b, const char *name,
                                const char *text)
{
    enum pd_code rc = pd_buf_printf(b, "<%s>", name);

    if (rc == PD_OK)
        rc = xml_escape(b, text);
    if (rc == PD_OK)
        rc = pd_buf_printf(b, "</%s>", name);
    return rc;
}

static enum pd_code format_grant(struct pd_buf *b, const struct s3api_grant *g)
{
    static const char *const types[] = {"CanonicalUser", "Group",
                                        "AmazonCustomerByEmail"};
    static const char *const id_names[] = {"ID", "URI", "EmailAddress"};
    enum pd_code rc;

    if (g->type == S3API_GRANTEE_UNKNOWN)
        return PD_EINVAL;
    rc = pd_buf_printf(b,
                       "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/"
                       "XMLSchema-instance\" xsi:type=\"%s\">",
                       types[g->type]);
    if (rc == PD_OK)
        rc = xml_element(b, id_names[g->type], g->id);
    if (rc == PD_OK)
        rc = pd_buf_puts(b, "</Grantee>");
    if (rc == PD_OK)
        rc = xml_element(b, "Permission", g->permission);
    if (rc == PD_OK)
        rc = pd_buf_puts(b, "</Grant>");
    return rc;
}

enum pd_code s3api_format_acl(const struct s3api_acl *acl, struct pd_buf *out,
                              struct pd_err *err)
{
    enum pd_code rc = pd_buf_puts(
        out, "<AccessControlPolicy "
             "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner>");

    if (rc == PD_OK)
        rc = xml_element(out, "ID", acl->owner_id);
    if (rc == PD_OK && acl->owner_display_name[0] != '\0')
        rc = xml_element(out, "DisplayName", acl->owner_display_name);
    if (rc == PD_OK)
        rc = pd_buf_puts(out, "</Owner><AccessControlList>");
    for (size_t i = 0; i < acl->grant_count && rc == PD_OK; i++)
        rc = format_grant(out, &acl->grants[i]);
    if (rc == PD_OK)
        rc = pd_buf_puts(out, "</AccessControlList></AccessControlPolicy>");
    if (rc == PD_EINVAL)
        return pd_fail(err, rc, "ACL has a grantee of unknown type");
    if (rc != PD_OK)
        return pd_fail(err, rc, "ACL document too large");
    return PD_OK;
}

enum pd_code s3api_format_pab(const struct s3api_pab *pab, struct pd_buf *out,
                              struct pd_err *err)
{
    enum pd_code rc =
        pd_buf_printf(out,
                      "<PublicAccessBlockConfiguration "
                      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                      "<BlockPublicAcls>%s</BlockPublicAcls>"
                      "<IgnorePublicAcls>%s</IgnorePublicAcls>"
                      "<BlockPublicPolicy>%s</BlockPublicPolicy>"
                      "<RestrictPublicBuckets>%s</RestrictPublicBuckets>"
                      "</PublicAccessBlockConfiguration>",
                      pab->block_public_acls ? "true" : "false",
                      pab->ignore_public_acls ? "true" : "false",
                      pab->block_public_policy ? "true" : "false",
                      pab->restrict_public_buckets ? "true" : "false");

    if (rc != PD_OK)
        return pd_fail(err, rc, "Block Public Access document too large");
    return PD_OK;
}
