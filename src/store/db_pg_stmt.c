/* SPDX-License-Identifier: ISC */
/*
 * The PostgreSQL backend's statements (see db_pg.c): SQLite's ?N
 * rewritten to $N, each prepared once per connection under its name s1,
 * s2, ... at its first step with the types of its first bindings,
 * parameters bound by position (integers and text in text format, blobs
 * binary), rows read in text format (integers parsed strictly, bytea
 * decoded from its hex).  Writes a caller does not read at once are
 * queued in the connection's pipeline inside a transaction.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "db_pg_internal.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"

/* Copy a quoted part ('...' or "...", the quote doubled inside) or a
   comment; the index after it, or -1 when it does not end. */
static long pg_skip(const char *sql, long i)
{
    char q = sql[i];

    if (q == '\'' || q == '"') {
        for (i++; sql[i]; i++)
            if (sql[i] == q) {
                if (sql[i + 1] != q)
                    return i + 1;
                i++;
            }
        return -1;
    }
    if (q == '-') { /* -- to the end of the line */
        while (sql[i] && sql[i] != '\n')
            i++;
        return i;
    }
    const char *e = strstr(sql + i + 2, "*/"); /* a C comment */
    return e ? (long)(e - sql) + 2 : -1;
}

int db_pg_rewrite(const char *sql, char **out, int *nparams)
{
    size_t len = strlen(sql);
    char *o = malloc(len * 6 + 1), *w = o;
    long i = 0, max = 0;

    *out = NULL;
    *nparams = 0;
    if (o == NULL)
        return -KP_ERR_NOMEM;
    while (sql[i]) {
        char c = sql[i];
        if (c == '\'' || c == '"' || (c == '-' && sql[i + 1] == '-') ||
            (c == '/' && sql[i + 1] == '*')) {
            long e = pg_skip(sql, i);
            if (e < 0)
                goto bad;
            memcpy(w, sql + i, (size_t)(e - i));
            w += e - i;
            i = e;
            continue;
        }
        if (c == '?' || (c == '$' && isdigit((unsigned char)sql[i + 1]))) {
            long n;
            i++;
            if (isdigit((unsigned char)sql[i])) {
                n = 0;
                while (isdigit((unsigned char)sql[i])) {
                    n = n * 10 + (sql[i++] - '0');
                    if (n > PG_MAX_PARAMS)
                        goto bad;
                }
                if (n == 0)
                    goto bad;
            } else {
                n = max + 1;
                if (n > PG_MAX_PARAMS)
                    goto bad;
            }
            if (n > max)
                max = n;
            w += sprintf(w, "$%ld", n);
            continue;
        }
        *w++ = c;
        i++;
    }
    *w = '\0';
    *out = o;
    *nparams = (int)max;
    return 0;
bad:
    free(o);
    return -KP_ERR_PARSE;
}

/* Mark the parameters the SQL tests with IS NULL / IS NOT NULL ("?2 IS
   NULL OR event = ?2": an optional filter).  PostgreSQL types a parameter
   at its first use, and "$2 IS NULL" gives it none. */
static void pg_mark_nulltests(struct pg_stmt *s)
{
    const char *q = s->sql;

    while (*q) {
        if (*q == '\'' || *q == '"' || (q[0] == '-' && q[1] == '-') ||
            (q[0] == '/' && q[1] == '*')) {
            long e = pg_skip(q, 0);
            if (e < 0)
                return;
            q += e;
            continue;
        }
        if (*q != '$' || !isdigit((unsigned char)q[1])) {
            q++;
            continue;
        }
        char *end;
        long n = strtol(q + 1, &end, 10);
        const char *t = end + strspn(end, " \t\r\n");
        q = end;
        if (strncasecmp(t, "IS", 2) == 0 && isspace((unsigned char)t[2])) {
            t += 2 + strspn(t + 2, " \t\r\n");
            if ((strncasecmp(t, "NULL", 4) == 0 || strncasecmp(t, "NOT", 3) == 0) && n >= 1 &&
                n <= s->nparams) {
                s->nulltest[n - 1] = 1;
                s->has_nulltest = 1;
            }
        }
    }
}

static void pg_stmt_free(struct pg_stmt *s)
{
    for (int i = 0; s->params && i < s->nparams; i++)
        free(s->params[i].own);
    for (int i = 0; i < s->ncols; i++)
        free(s->cols[i].p);
    free(s->cols);
    free(s->params);
    free(s->types);
    free(s->vals);
    free(s->lens);
    free(s->fmts);
    free(s->nulltest);
    free(s->sql);
    free(s);
}

int db_pg_prepare(struct pg_db *db, const char *sql, struct pg_stmt **out)
{
    struct pg_stmt *s;
    int rc;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return -KP_ERR_NOMEM;
    s->base.ops = &db_pg_ops;
    if ((rc = db_pg_rewrite(sql, &s->sql, &s->nparams)) < 0) {
        snprintf(db->err, sizeof(db->err), "postgresql: cannot read the statement's parameters");
        free(s);
        return -KP_ERR_DB;
    }
    if (s->nparams) {
        size_t n = (size_t)s->nparams;
        s->params = calloc(n, sizeof(*s->params));
        s->types = calloc(n, sizeof(*s->types));
        s->vals = calloc(n, sizeof(*s->vals));
        s->lens = calloc(n, sizeof(*s->lens));
        s->fmts = calloc(n, sizeof(*s->fmts));
        s->nulltest = calloc(n, 1);
        if (!s->params || !s->types || !s->vals || !s->lens || !s->fmts || !s->nulltest) {
            pg_stmt_free(s);
            return -KP_ERR_NOMEM;
        }
    }
    pg_mark_nulltests(s);
    s->db = db;
    snprintf(s->name, sizeof(s->name), "s%u", ++db->names);
    /* The store prepares its group transaction's BEGIN and COMMIT once
       (cheaper on SQLite): here they take db_exec()'s path, which defers
       BEGIN and checks what COMMIT did. */
    s->control =
        s->nparams == 0 && (db_pg_deferrable(s->sql) || db_pg_starts(s->sql, "COMMIT") ||
                            db_pg_starts(s->sql, "END") || db_pg_starts(s->sql, "ROLLBACK"));
    s->queue = db_pg_queueable(s->sql);
    s->next = db->stmts;
    db->stmts = s;
    *out = s;
    return 0;
}

static void pg_clear_result(struct pg_stmt *s)
{
    PQclear(s->res);
    s->res = NULL;
    s->row = s->nrows = 0;
    for (int i = 0; i < s->ncols; i++) /* the decoded blobs were of that result */
        s->cols[i].row = -1;
}

void db_pg_finalize(struct pg_stmt *s)
{
    struct pg_stmt **pp;

    if (s == NULL)
        return;
    for (int i = 0; i < s->db->npend; i++) /* owed results no longer point at it */
        if (s->db->pend[i].s == s)
            s->db->pend[i].s = NULL;
    for (pp = &s->db->stmts; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    pg_clear_result(s);
    pg_stmt_free(s);
}

static struct pg_param *pg_param(struct pg_stmt *s, int i)
{
    struct pg_param *p;

    if (i < 1 || i > s->nparams) {
        log_warnx("store: postgresql: parameter %d of %d bound", i, s->nparams);
        return NULL;
    }
    p = &s->params[i - 1];
    free(p->own);
    memset(p, 0, sizeof(*p));
    return p;
}

void db_pg_reset(struct pg_stmt *s)
{
    pg_clear_result(s);
    for (int i = 0; i < s->nparams; i++) {
        free(s->params[i].own);
        memset(&s->params[i], 0, sizeof(s->params[i]));
    }
}

void db_pg_bind_int64(struct pg_stmt *s, int i, int64_t v)
{
    struct pg_param *p = pg_param(s, i);

    if (p == NULL)
        return;
    p->kind = PG_P_INT;
    snprintf(p->num, sizeof(p->num), "%lld", (long long)v);
    p->v = p->num;
}

void db_pg_bind_text(struct pg_stmt *s, int i, const char *v)
{
    struct pg_param *p = pg_param(s, i);

    if (p == NULL || v == NULL)
        return;
    p->kind = PG_P_TEXT;
    p->v = v;
}

void db_pg_bind_textn(struct pg_stmt *s, int i, const char *v, size_t n)
{
    struct pg_param *p = pg_param(s, i);

    if (p == NULL || v == NULL)
        return;
    /* Text parameters travel NUL-terminated: a copy. */
    if ((p->own = malloc(n + 1)) == NULL)
        return;
    memcpy(p->own, v, n);
    p->own[n] = '\0';
    p->kind = PG_P_TEXT;
    p->v = p->own;
}

void db_pg_bind_blob(struct pg_stmt *s, int i, const void *v, size_t n)
{
    struct pg_param *p = pg_param(s, i);

    if (p == NULL)
        return;
    p->kind = PG_P_BLOB;
    p->v = n ? v : ""; /* a NULL value would be SQL NULL, not zero bytes */
    p->len = n;
}

void db_pg_bind_null(struct pg_stmt *s, int i)
{
    pg_param(s, i);
}

/* The parameters' types for PQprepare, telling the server what it cannot
   guess from SQLite's SQL: int64 is BIGINT, a blob BYTEA (0: the server
   infers it). */
static void pg_stmt_types(struct pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++)
        s->types[i] = s->params[i].kind == PG_P_INT    ? PG_INT8OID
                      : s->params[i].kind == PG_P_BLOB ? PG_BYTEAOID
                                                       : 0;
}

/* The bound values as PQexecPrepared takes them: text format, blobs binary. */
static void pg_stmt_values(struct pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        const struct pg_param *p = &s->params[i];
        s->vals[i] = p->kind == PG_P_NULL ? NULL : p->v;
        s->lens[i] = p->kind == PG_P_BLOB ? (int)p->len : 0;
        s->fmts[i] = p->kind == PG_P_BLOB;
    }
}

/* The statement's result (taken): its first row, done, or the error. */
static int pg_stmt_result(struct pg_stmt *s, PGresult *r)
{
    struct pg_db *db = s->db;
    int rc;

    switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
        db_pg_note_changes(db, r);
        s->res = r;
        s->nrows = PQntuples(r);
        s->row = 0;
        rc = s->nrows > 0 ? DB_ROW : DB_DONE;
        if (rc == DB_DONE)
            pg_clear_result(s);
        return rc;
    case PGRES_COMMAND_OK:
        db_pg_note_changes(db, r);
        PQclear(r);
        return DB_DONE;
    default:
        rc = db_pg_error(db, r);
        PQclear(r);
        return rc;
    }
}

/* Prepared and current: one PQexecPrepared. */
static int pg_stmt_exec(struct pg_stmt *s)
{
    struct pg_db *db = s->db;
    int rc;

    pg_stmt_values(s);
    db->round_trips++;
    rc = pg_stmt_result(
        s, PQexecPrepared(db->conn, s->name, s->nparams, s->vals, s->lens, s->fmts, 0));
    if (rc >= 0)
        db->txs = PQtransactionStatus(db->conn);
    return rc;
}

/* Send s, its Parse first when this connection has not seen it. */
static int pg_pipe_send(struct pg_stmt *s, enum pg_pend_kind kind)
{
    struct pg_db *db = s->db;
    int rc;

    if (s->gen != db->gen) {
        pg_stmt_types(s);
        if (!PQsendPrepare(db->conn, s->name, s->sql, s->nparams, s->types))
            return db_pg_error(db, NULL);
        if ((rc = db_pg_pend_add(db, PG_PEND_PARSE, s)) < 0)
            return rc;
        s->gen = db->gen; /* taken back by db_pg_pipe_sync() if the Parse fails */
    }
    pg_stmt_values(s);
    if (!PQsendQueryPrepared(db->conn, s->name, s->nparams, s->vals, s->lens, s->fmts, 0))
        return db_pg_error(db, NULL);
    return db_pg_pend_add(db, kind, s);
}

/*
 * Prepare a statement with a parameter tested IS NULL while it is bound
 * NULL or text: the server cannot type it ("could not determine data
 * type"), so it is tried as TEXT, then as BIGINT (an optional id),
 * before the statement's first execution and apart from it; with several
 * such parameters each mix of the two is tried (an optional id beside an
 * optional text: sql_office_in in directory_list.c), all TEXT first and
 * all BIGINT last, at most PG_PARSE_MIXED of them mixed.  Inside a
 * transaction each try is wrapped in a savepoint: a failed Parse would
 * abort the caller's transaction.  Once per statement and connection.
 */
#define PG_PARSE_MIXED 4 /* untyped parameters mixed; beyond, all alike */

static int pg_stmt_parse(struct pg_stmt *s)
{
    struct pg_db *db = s->db;
    int in_tx = PQtransactionStatus(db->conn) == PQTRANS_INTRANS, rc = -KP_ERR_DB;
    unsigned untyped = 0, last;

    pg_stmt_types(s);
    for (int i = 0; i < s->nparams; i++)
        untyped += s->nulltest[i] && s->types[i] == 0;
    last = untyped > PG_PARSE_MIXED ? 1 : (1u << untyped) - 1;
    /* mask bit j: the j-th untyped parameter as BIGINT; t = 0 all TEXT,
       t = 1 all BIGINT (last), then the mixes 1 .. last - 1 (the rarest) */
    for (unsigned t = 0; t <= last; t++) {
        unsigned mask = t == 0 ? 0 : t == 1 ? last : t - 1, j = 0;
        PGresult *r;
        if (untyped > PG_PARSE_MIXED)
            mask = t ? ~0u : 0;
        pg_stmt_types(s);
        for (int i = 0; i < s->nparams; i++)
            if (s->nulltest[i] && s->types[i] == 0)
                s->types[i] = (mask >> (j++ % 32)) & 1 ? PG_INT8OID : PG_TEXTOID;
        if (in_tx)
            PQclear(PQexec(db->conn, "SAVEPOINT kp_parse"));
        db->round_trips += in_tx ? 3 : 1;
        r = PQprepare(db->conn, s->name, s->sql, s->nparams, s->types);
        if (PQresultStatus(r) == PGRES_COMMAND_OK) {
            PQclear(r);
            if (in_tx)
                PQclear(PQexec(db->conn, "RELEASE kp_parse"));
            s->gen = db->gen;
            return 0;
        }
        rc = db_pg_error(db, r);
        PQclear(r);
        if (rc == -KP_ERR_CLOSED)
            return rc;
        if (in_tx)
            PQclear(PQexec(db->conn, "ROLLBACK TO kp_parse"));
    }
    return rc;
}

int db_pg_step(struct pg_stmt *s)
{
    struct pg_db *db = s->db;
    int rc;

    if (s->res) { /* the next row of the result */
        if (++s->row < s->nrows)
            return DB_ROW;
        pg_clear_result(s);
        return DB_DONE;
    }
    if (s->control)
        return (rc = db_pg_exec(db, s->sql)) < 0 ? rc : DB_DONE;
    if (db->tx_lost) {
        snprintf(db->err, sizeof(db->err),
                 "postgresql: the connection was lost in the transaction; end it first");
        return -KP_ERR_CLOSED;
    }
    if ((rc = db_pg_conn(db)) < 0)
        return rc;
    if (s->gen != db->gen && s->has_nulltest) {
        if ((rc = db_pg_pipe_sync(db, NULL)) < 0 || (rc = pg_stmt_parse(s)) < 0)
            return rc;
    }
    if (s->queue && db_pg_in_tx(db->txs)) { /* its result waits for the next sync */
        if ((rc = db_pg_pipe_open(db)) < 0 || (rc = pg_pipe_send(s, PG_PEND_WRITE)) < 0)
            return rc;
        return DB_DONE;
    }
    if (!db->piped && db->ndefer == 0 && s->gen == db->gen)
        return pg_stmt_exec(s);
    PGresult *r;
    if ((rc = db_pg_pipe_open(db)) < 0 || (rc = pg_pipe_send(s, PG_PEND_LAST)) < 0 ||
        (rc = db_pg_pipe_sync(db, &r)) < 0)
        return rc;
    return pg_stmt_result(s, r);
}

int db_pg_column_count(struct pg_stmt *s)
{
    return s->res ? PQnfields(s->res) : 0;
}

/* Is column i of the current row there? */
static int pg_has(struct pg_stmt *s, int i)
{
    return s->res && s->row < s->nrows && i >= 0 && i < PQnfields(s->res);
}

int db_pg_col_is_null(struct pg_stmt *s, int i)
{
    return !pg_has(s, i) || PQgetisnull(s->res, s->row, i);
}

int64_t db_pg_col_int64(struct pg_stmt *s, int i)
{
    const char *t;
    char *end;
    long long v;

    if (db_pg_col_is_null(s, i))
        return 0;
    t = PQgetvalue(s->res, s->row, i);
    if (PQftype(s->res, i) == PG_BOOLOID) /* SQLite's booleans are 0/1 */
        return t[0] == 't';
    errno = 0;
    v = strtoll(t, &end, 10);
    if (errno != 0 || end == t || *end != '\0') {
        log_warnx("store: postgresql: column %d of %s is not a 64-bit integer", i, s->name);
        return 0;
    }
    return v;
}

const char *db_pg_col_text(struct pg_stmt *s, int i)
{
    if (db_pg_col_is_null(s, i))
        return NULL;
    return PQgetvalue(s->res, s->row, i);
}

static int pg_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Column i (bytea) decoded from its text form (\x and hex, the default
   bytea_output) into the statement's buffer for that column. */
static struct pg_col *pg_col_decode(struct pg_stmt *s, int i)
{
    int nf = PQnfields(s->res);
    struct pg_col *c;
    const char *t;
    size_t len;

    if (s->ncols < nf) {
        struct pg_col *nc = realloc(s->cols, (size_t)nf * sizeof(*nc));
        if (nc == NULL)
            return NULL;
        for (int k = s->ncols; k < nf; k++)
            nc[k] = (struct pg_col){NULL, 0, 0, -1};
        s->cols = nc;
        s->ncols = nf;
    }
    c = &s->cols[i];
    if (c->row == s->row && c->p != NULL)
        return c;
    t = PQgetvalue(s->res, s->row, i);
    len = (size_t)PQgetlength(s->res, s->row, i);
    if (len < 2 || t[0] != '\\' || t[1] != 'x' || len % 2) {
        log_warnx("store: postgresql: column %d of %s is not bytea in hex", i, s->name);
        return NULL;
    }
    if (c->cap < len / 2 || c->p == NULL) {
        uint8_t *np = realloc(c->p, len / 2 + 1);
        if (np == NULL)
            return NULL;
        c->p = np;
        c->cap = len / 2 + 1;
    }
    c->n = 0;
    for (size_t k = 2; k < len; k += 2) {
        int hi = pg_hexval(t[k]), lo = pg_hexval(t[k + 1]);
        if (hi < 0 || lo < 0) {
            log_warnx("store: postgresql: column %d of %s is not bytea in hex", i, s->name);
            return NULL;
        }
        c->p[c->n++] = (uint8_t)(hi << 4 | lo);
    }
    c->row = s->row;
    return c;
}

const void *db_pg_col_blob(struct pg_stmt *s, int i)
{
    struct pg_col *c;

    if (db_pg_col_is_null(s, i))
        return NULL;
    if (PQftype(s->res, i) != PG_BYTEAOID)
        return PQgetvalue(s->res, s->row, i);
    c = pg_col_decode(s, i);
    return c ? c->p : NULL;
}

size_t db_pg_col_bytes(struct pg_stmt *s, int i)
{
    struct pg_col *c;

    if (db_pg_col_is_null(s, i))
        return 0;
    if (PQftype(s->res, i) != PG_BYTEAOID)
        return (size_t)PQgetlength(s->res, s->row, i);
    c = pg_col_decode(s, i);
    return c ? c->n : 0;
}
