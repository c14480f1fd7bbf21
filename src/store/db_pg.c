/* SPDX-License-Identifier: ISC */
/*
 * The PostgreSQL backend of the store's seam (db.h) over libpq.
 *
 * Statements are prepared once per connection under names s1, s2, ...
 * (the SQL's ?N rewritten to $N), lazily at their first step so that the
 * parameters' types can be told to the server: an int64 is sent as
 * BIGINT and a blob as BYTEA, which SQLite's typeless SQL needs
 * ("?1 + 86400" would otherwise be INTEGER, "?1 + ?2" ambiguous).  Text
 * and integers travel in text format, blobs in binary; results come back
 * in text format (integers parsed strictly, bytea decoded from its \x hex
 * into a buffer of the statement).
 *
 * A lost connection (libpq says bad, SQLSTATE class 08 or 57P01..03) is
 * -KP_ERR_CLOSED and is reset at the next use, so that a node finds the
 * new primary after a failover by itself (a multi-host DSN with
 * target_session_attrs=read-write); statements are then prepared again.
 * A transaction open when the connection broke is lost with it: every
 * call answers -KP_ERR_CLOSED until the caller ends it (ROLLBACK, or a
 * COMMIT that answers -KP_ERR_CLOSED), so that no half of it is ever
 * committed in autocommit on the new connection.
 *
 * The password comes only from the passfile; neither it nor the DSN is
 * ever logged, and error texts carry no bound values (no DETAIL, and
 * quoted values of data errors masked).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "db_backend.h"
#include "db_pg.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"

/* pg_type.h's OIDs (stable since PostgreSQL 7). */
#define PG_BOOLOID  16
#define PG_BYTEAOID 17
#define PG_INT8OID  20
#define PG_TEXTOID  25

#define PG_MAX_PARAMS 32766
#define PG_DEFER_MAX  16

enum pg_param_kind { PG_P_NULL = 0, PG_P_INT, PG_P_TEXT, PG_P_BLOB };

struct pg_param {
    enum pg_param_kind kind;
    const char *v; /* text (NUL-terminated) or blob, the caller's or own */
    size_t len;
    char num[24]; /* an int64 in decimal */
    char *own;    /* a db_bind_textn() copy */
};

struct pg_col {
    uint8_t *p; /* a bytea column decoded */
    size_t n, cap;
    int row; /* the row it was decoded from; -1: none */
};

struct pg_stmt {
    struct db_stmt base; /* first: db.c's dispatch */
    struct pg_db *db;
    struct pg_stmt *next;
    char name[16];
    char *sql; /* rewritten */
    int nparams;
    struct pg_param *params;
    Oid *types;        /* PQprepare's, from the first bindings */
    uint8_t *nulltest; /* the parameter is tested "IS [NOT] NULL": see pg_stmt_parse() */
    int has_nulltest;
    const char **vals; /* PQexecPrepared's */
    int *lens, *fmts;
    unsigned gen; /* the connection it was prepared on; 0: not yet */
    int control;  /* BEGIN, COMMIT, SAVEPOINT...: stepped as db_exec() */
    int queue;    /* a write whose result may wait for the commit (pg_queueable) */
    PGresult *res;
    int row, nrows;
    struct pg_col *cols;
    int ncols;
};

/* What a result owed by the pipeline answers. */
enum pg_pend_kind {
    PG_PEND_CMD = 1, /* a deferred BEGIN, SAVEPOINT... */
    PG_PEND_PARSE,   /* a statement's Parse (s->gen is taken back if it fails) */
    PG_PEND_WRITE,   /* a queued write (its row count: db_changes()) */
    PG_PEND_LAST,    /* the statement or command whose result the caller waits for */
};

struct pg_pend {
    enum pg_pend_kind kind;
    struct pg_stmt *s;
};

struct pg_db {
    struct db base; /* first: db.c's dispatch */
    PGconn *conn;
    unsigned gen;   /* counts connections: statements of an older one are prepared again */
    unsigned names; /* the last sN given */
    int broken;     /* the connection was lost: reset at the next use */
    int tx_lost;    /* ... while a transaction was open: refuse until it is ended */
    int readonly;
    PGTransactionStatusType txs; /* after the last command */
    int64_t changes;
    uint64_t round_trips;
    struct pg_stmt *stmts;
    /* BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO: sent with the next command
       instead of alone (PG_DEFER_MAX at most). */
    char *defer[PG_DEFER_MAX];
    int ndefer;
    /* Sent in pipeline mode, results owed (see pg_pipe_sync()). */
    struct pg_pend *pend;
    int npend, cappend;
    int piped;
    char err[256];
};

static void pg_close(struct pg_db *db);
static void pg_finalize(struct pg_stmt *s);
static int pg_pipe_open(struct pg_db *db);
static int pg_pend_add(struct pg_db *db, enum pg_pend_kind kind, struct pg_stmt *s);
static int pg_pipe_sync(struct pg_db *db, PGresult **last);

static void pg_defer_clear(struct pg_db *db)
{
    for (int i = 0; i < db->ndefer; i++)
        free(db->defer[i]);
    db->ndefer = 0;
}

/* libpq's notices (e.g. "there is no transaction in progress") go to the
   debug log, not stderr. */
static void pg_notice(void *arg, const char *msg)
{
    (void)arg;
    log_debug("store: postgresql: %.*s", (int)strcspn(msg, "\n"), msg);
}

/* The first line of a libpq message, into db->err. */
static void pg_set_err(struct pg_db *db, const char *what, const char *msg)
{
    snprintf(db->err, sizeof(db->err), "%s%s%.*s", what, *what ? ": " : "",
             (int)strcspn(msg ? msg : "", "\n"), msg ? msg : "");
}

/* A server error for db->err: the primary message and the SQLSTATE, never
   DETAIL (it holds the values of the row); data errors (class 22) quote
   the value they refused, so their quoted parts are masked. */
static void pg_result_err(struct pg_db *db, const PGresult *r, const char *state)
{
    const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    size_t o = 0;
    int masked = state && strncmp(state, "22", 2) == 0, inq = 0;

    if (m == NULL) {
        pg_set_err(db, "postgresql", PQerrorMessage(db->conn));
        return;
    }
    for (; *m && o + 1 < sizeof(db->err) - 24; m++) {
        if (masked && *m == '"') {
            inq = !inq;
            if (inq) {
                memcpy(db->err + o, "\"...\"", 5);
                o += 5;
            }
            continue;
        }
        if (!inq)
            db->err[o++] = *m;
    }
    snprintf(db->err + o, sizeof(db->err) - o, " (SQLSTATE %s)", state ? state : "?");
}

static int pg_in_tx(PGTransactionStatusType t)
{
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* The connection is gone: reset at the next use, and an open transaction
   is lost. */
static int pg_lost(struct pg_db *db)
{
    if (!db->broken)
        log_warnx("store: postgresql connection lost: %s", db->err);
    db->broken = 1;
    db->piped = 0; /* PQreset() leaves pipeline mode and drops what was owed */
    db->npend = 0;
    if (pg_in_tx(db->txs))
        db->tx_lost = 1;
    db->txs = PQTRANS_IDLE;
    return -KP_ERR_CLOSED;
}

/* The -KP_ERR_* of a failed result (r may be NULL: out of memory or the
   connection gone). */
static int pg_error(struct pg_db *db, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    if (r)
        pg_result_err(db, r, state);
    else
        pg_set_err(db, "postgresql", PQerrorMessage(db->conn));
    if (PQstatus(db->conn) != CONNECTION_OK || state == NULL)
        return pg_lost(db);
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
        strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
        return pg_lost(db);
    db->txs = PQtransactionStatus(db->conn);
    if (strncmp(state, "23", 2) == 0)
        return -KP_ERR_EXISTS;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return -KP_ERR_BUSY;
    return -KP_ERR_DB;
}

/* What every new connection is told. */
static int pg_session_setup(struct pg_db *db)
{
    PGresult *r;
    int ok;

    PQsetNoticeProcessor(db->conn, pg_notice, NULL);
    if (!db->readonly)
        return 0;
    db->round_trips++;
    r = PQexec(db->conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        pg_error(db, r);
    PQclear(r);
    return ok ? 0 : -KP_ERR_DB;
}

/* A usable connection: a lost one is reset (libpq tries every host of the
   DSN again), and the statements will be prepared anew on it. */
static int pg_conn(struct pg_db *db)
{
    if (!db->broken && PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    if (!db->broken)
        pg_lost(db);
    PQreset(db->conn);
    db->round_trips++;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        pg_set_err(db, "postgresql: reconnecting", PQerrorMessage(db->conn));
        return -KP_ERR_CLOSED;
    }
    db->gen++;
    db->broken = 0;
    db->txs = PQTRANS_IDLE;
    if (pg_session_setup(db) < 0)
        return -KP_ERR_CLOSED;
    log_info("store: postgresql connection re-established (%s:%s)", PQhost(db->conn),
             PQport(db->conn));
    return 0;
}

/* Read the password: the first line of a file only its owner can read. */
static int pg_read_passfile(const char *path, char *pw, size_t size, char *why, size_t whysize)
{
    struct stat sb;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        snprintf(why, whysize, "passfile %s: %s", path, strerror(errno));
        return -KP_ERR_DB;
    }
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        snprintf(why, whysize, "passfile %s: not a regular file", path);
        close(fd);
        return -KP_ERR_DB;
    }
    if (sb.st_mode & 077) {
        snprintf(why, whysize,
                 "passfile %s is readable by group or others (mode %03o): refused; "
                 "chmod 600 it",
                 path, (unsigned)(sb.st_mode & 0777));
        close(fd);
        return -KP_ERR_DB;
    }
    n = read(fd, pw, size - 1);
    close(fd);
    if (n < 0) {
        snprintf(why, whysize, "passfile %s: %s", path, strerror(errno));
        return -KP_ERR_DB;
    }
    pw[n] = '\0';
    pw[strcspn(pw, "\r\n")] = '\0';
    if (pw[0] == '\0') {
        snprintf(why, whysize, "passfile %s: empty first line", path);
        return -KP_ERR_DB;
    }
    return 0;
}

/* A connection that failed before a session: was the server there? */
static int pg_connect_err(PGconn *conn, const char *msg)
{
    if (PQconnectionNeedsPassword(conn))
        return -KP_ERR_DB; /* no passfile, and the server wants one */
    /* The server answered (authentication, no such database or role): a
       configuration error.  Not there, starting, stopping or in recovery:
       try again later. */
    if (strstr(msg, "starting up") || strstr(msg, "shutting down") || strstr(msg, "in recovery") ||
        strstr(msg, "not yet accepting"))
        return -KP_ERR_CLOSED;
    return strstr(msg, "FATAL") ? -KP_ERR_DB : -KP_ERR_CLOSED;
}

static int pg_open(const struct db_params *p, struct pg_db **out)
{
    struct pg_db *db;
    char *pw = NULL;
    int rc;

    *out = NULL;
    if (p->dsn == NULL) {
        log_warnx("store: postgresql: no dsn");
        return -KP_ERR_DB;
    }
    if ((db = calloc(1, sizeof(*db))) == NULL)
        return -KP_ERR_NOMEM;
    db->base.ops = &db_pg_ops;
    db->readonly = p->readonly;
    if (p->passfile) {
        if ((pw = sodium_malloc(1024)) == NULL) {
            free(db);
            return -KP_ERR_NOMEM;
        }
        if ((rc = pg_read_passfile(p->passfile, pw, 1024, db->err, sizeof(db->err))) < 0) {
            log_warnx("store: %s", db->err);
            sodium_free(pw);
            free(db);
            return rc;
        }
    }
    /* Defaults first: the DSN (expanded from dbname) overrides them; the
       password last, so that the file wins over anything in the DSN. */
    const char *kw[] = {"connect_timeout", "client_encoding",      "application_name",
                        "dbname",          pw ? "password" : NULL, NULL};
    const char *val[] = {"5", "UTF8", "kpassd", p->dsn, pw, NULL};
    db->conn = PQconnectdbParams(kw, val, 1);
    if (pw)
        sodium_free(pw); /* wiped; libpq keeps its own copy for PQreset() */
    db->round_trips++;
    if (db->conn == NULL) {
        free(db);
        return -KP_ERR_NOMEM;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        pg_set_err(db, "cannot connect to postgresql", PQerrorMessage(db->conn));
        log_warnx("store: %s", db->err);
        rc = pg_connect_err(db->conn, PQerrorMessage(db->conn));
        pg_close(db);
        return rc;
    }
    db->gen = 1;
    db->txs = PQTRANS_IDLE;
    if ((rc = pg_session_setup(db)) < 0) {
        log_warnx("store: %s", db->err);
        pg_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

static void pg_close(struct pg_db *db)
{
    if (db == NULL)
        return;
    while (db->stmts)
        pg_finalize(db->stmts);
    pg_defer_clear(db);
    free(db->pend);
    PQfinish(db->conn);
    free(db);
}

static const char *pg_errmsg(struct pg_db *db)
{
    return db->err[0] ? db->err : "no error";
}

static int64_t pg_changes(struct pg_db *db)
{
    /* Queued writes: their counts come with the sync. */
    if (db->npend > 0 && pg_pipe_sync(db, NULL) < 0)
        return -1;
    return db->changes;
}

static uint64_t pg_round_trips(struct pg_db *db)
{
    return db->round_trips;
}

/* Does sql start with keyword (any case, after blanks), as a whole word? */
static int pg_starts(const char *sql, const char *keyword)
{
    size_t n = strlen(keyword);

    while (isspace((unsigned char)*sql))
        sql++;
    return strncasecmp(sql, keyword, n) == 0 && !isalnum((unsigned char)sql[n]) && sql[n] != '_';
}

/*
 * Commands whose answer tells the caller nothing it needs before its next
 * statement: BEGIN, SAVEPOINT, RELEASE and ROLLBACK TO cannot fail on a
 * sound connection in a sound transaction, and if they do, the next
 * statement fails too (the transaction is aborted).  They wait and travel
 * with the next command: a loop pass's transaction costs one round trip
 * less, a change in a savepoint two less.  One statement each, no ';'.
 */
static int pg_deferrable(const char *sql)
{
    const char *semi = strchr(sql, ';');

    if (semi && semi[strspn(semi, "; \t\r\n")] != '\0')
        return 0;
    if (pg_starts(sql, "BEGIN") || pg_starts(sql, "SAVEPOINT") || pg_starts(sql, "RELEASE"))
        return 1;
    return pg_starts(sql, "ROLLBACK") && pg_starts(sql + strspn(sql, " \t\r\n") + 8, "TO");
}

/*
 * A write whose answer the caller does not need before its commit: a
 * DELETE, or an upsert (INSERT ... ON CONFLICT), without RETURNING.
 * Inside a transaction these are queued in the pipeline and their results
 * read with the next statement that needs one, or with the COMMIT: no
 * round trip of their own.  A failure among them (nothing a sound caller
 * provokes) then fails that later call, and the transaction.  Not queued:
 * a plain INSERT (its unique violation, -KP_ERR_EXISTS, is an answer
 * callers act on), an UPDATE (callers check its row count: claims,
 * counters), anything with RETURNING.  db_changes() waits for them.
 */
static int pg_queueable(const char *sql)
{
    if (strcasestr(sql, "RETURNING") != NULL)
        return 0;
    return pg_starts(sql, "DELETE") ||
           (pg_starts(sql, "INSERT") && strcasestr(sql, "ON CONFLICT") != NULL);
}

/* Only a deferred BEGIN, and now the end of that transaction: nothing
   was done, nothing to send (an empty loop pass costs no round trip). */
static int pg_defer_empty_tx(struct pg_db *db, const char *sql)
{
    if (db->ndefer != 1 || db->piped || !pg_starts(db->defer[0], "BEGIN"))
        return 0;
    if (!pg_starts(sql, "COMMIT") && !pg_starts(sql, "END") &&
        !(pg_starts(sql, "ROLLBACK") && !pg_starts(sql + strspn(sql, " \t\r\n") + 8, "TO")))
        return 0;
    pg_defer_clear(db);
    db->txs = PQTRANS_IDLE;
    return 1;
}

/* The caller ends a transaction the lost connection took with it. */
static int pg_exec_lost(struct pg_db *db, const char *sql)
{
    if (pg_starts(sql, "ROLLBACK")) {
        const char *p = sql + strspn(sql, " \t\r\n") + 8;
        if (!pg_starts(p, "TO")) {
            db->tx_lost = 0;
            return 0;
        }
    } else if (pg_starts(sql, "COMMIT") || pg_starts(sql, "END")) {
        db->tx_lost = 0;
        snprintf(db->err, sizeof(db->err),
                 "postgresql: the connection was lost in the "
                 "transaction; nothing of it was committed");
        return -KP_ERR_CLOSED;
    }
    snprintf(db->err, sizeof(db->err),
             "postgresql: the connection was lost in the transaction; end it first");
    return -KP_ERR_CLOSED;
}

/* PostgreSQL answers the COMMIT of a failed transaction with a ROLLBACK,
   and no error: the caller must not think it committed. */
static int pg_commit_check(struct pg_db *db, const char *sql, PGresult *r)
{
    if ((pg_starts(sql, "COMMIT") || pg_starts(sql, "END")) &&
        strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
        snprintf(db->err, sizeof(db->err),
                 "postgresql: a statement of the transaction had failed: rolled back");
        return -KP_ERR_DB;
    }
    return 0;
}

/* One statement (a trailing ';' allowed): the extended protocol takes no more. */
static int pg_single(const char *sql)
{
    const char *semi = strchr(sql, ';');

    return semi == NULL || semi[strspn(semi, "; \t\r\n")] == '\0';
}

/*
 * A command after deferred commands or queued writes: all of it in one
 * round trip.  When a queued write failed, the server skipped the rest:
 * a COMMIT then answers that failure, and the transaction the server
 * still holds open (aborted) is rolled back here.
 */
static int pg_exec_piped(struct pg_db *db, const char *sql)
{
    PGresult *r;
    int rc;

    if ((rc = pg_pipe_open(db)) < 0)
        return rc;
    if (!PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        return pg_error(db, NULL);
    if ((rc = pg_pend_add(db, PG_PEND_LAST, NULL)) < 0)
        return rc;
    if ((rc = pg_pipe_sync(db, &r)) < 0) {
        if (!db->broken && (pg_starts(sql, "COMMIT") || pg_starts(sql, "END")) &&
            PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
            db->round_trips++;
            PQclear(PQexec(db->conn, "ROLLBACK"));
            db->txs = PQtransactionStatus(db->conn);
        }
        return rc;
    }
    rc = r ? pg_commit_check(db, sql, r) : 0;
    PQclear(r);
    return rc;
}

static int pg_exec(struct pg_db *db, const char *sql)
{
    PGresult *r;
    char *joined = NULL;
    int rc = 0;

    if (db->tx_lost) {
        pg_defer_clear(db);
        return pg_exec_lost(db, sql);
    }
    if (pg_defer_empty_tx(db, sql))
        return 0;
    if (pg_deferrable(sql) && db->ndefer < PG_DEFER_MAX && !db->broken) {
        if ((db->defer[db->ndefer] = strdup(sql)) == NULL)
            return -KP_ERR_NOMEM;
        db->ndefer++;
        if (pg_starts(sql, "BEGIN"))
            db->txs = PQTRANS_INTRANS;
        return 0;
    }
    if ((rc = pg_conn(db)) < 0)
        return rc;
    if ((db->piped || db->ndefer > 0) && pg_single(sql))
        return pg_exec_piped(db, sql);
    if ((rc = pg_pipe_sync(db, NULL)) < 0) /* owed results first: PQexec needs none */
        return rc;
    if (db->ndefer > 0) { /* one simple query: the deferred commands, then sql */
        size_t n = strlen(sql) + 1;
        for (int i = 0; i < db->ndefer; i++)
            n += strlen(db->defer[i]) + 2;
        if ((joined = malloc(n)) == NULL)
            return -KP_ERR_NOMEM;
        joined[0] = '\0';
        for (int i = 0; i < db->ndefer; i++) {
            strcat(joined, db->defer[i]);
            strcat(joined, "; ");
        }
        strcat(joined, sql);
        pg_defer_clear(db);
    }
    db->round_trips++;
    r = PQexec(db->conn, joined ? joined : sql);
    free(joined);
    switch (PQresultStatus(r)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        db->txs = PQtransactionStatus(db->conn);
        rc = pg_commit_check(db, sql, r);
        break;
    default:
        rc = pg_error(db, r);
        break;
    }
    PQclear(r);
    return rc;
}

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

static int pg_prepare(struct pg_db *db, const char *sql, struct pg_stmt **out)
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
    s->control = s->nparams == 0 && (pg_deferrable(s->sql) || pg_starts(s->sql, "COMMIT") ||
                                     pg_starts(s->sql, "END") || pg_starts(s->sql, "ROLLBACK"));
    s->queue = pg_queueable(s->sql);
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

static void pg_finalize(struct pg_stmt *s)
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

static void pg_reset(struct pg_stmt *s)
{
    pg_clear_result(s);
    for (int i = 0; i < s->nparams; i++) {
        free(s->params[i].own);
        memset(&s->params[i], 0, sizeof(s->params[i]));
    }
}

static void pg_bind_int64(struct pg_stmt *s, int i, int64_t v)
{
    struct pg_param *p = pg_param(s, i);

    if (p == NULL)
        return;
    p->kind = PG_P_INT;
    snprintf(p->num, sizeof(p->num), "%lld", (long long)v);
    p->v = p->num;
}

static void pg_bind_text(struct pg_stmt *s, int i, const char *v)
{
    struct pg_param *p = pg_param(s, i);

    if (p == NULL || v == NULL)
        return;
    p->kind = PG_P_TEXT;
    p->v = v;
}

static void pg_bind_textn(struct pg_stmt *s, int i, const char *v, size_t n)
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

static void pg_bind_blob(struct pg_stmt *s, int i, const void *v, size_t n)
{
    struct pg_param *p = pg_param(s, i);

    if (p == NULL)
        return;
    p->kind = PG_P_BLOB;
    p->v = n ? v : ""; /* a NULL value would be SQL NULL, not zero bytes */
    p->len = n;
}

static void pg_bind_null(struct pg_stmt *s, int i)
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

/* INSERT, UPDATE, DELETE (with or without RETURNING) set db_changes(). */
static void pg_note_changes(struct pg_db *db, PGresult *r)
{
    const char *st = PQcmdStatus(r), *n = PQcmdTuples(r);

    if (strncmp(st, "INSERT", 6) == 0 || strncmp(st, "UPDATE", 6) == 0 ||
        strncmp(st, "DELETE", 6) == 0 || strncmp(st, "MERGE", 5) == 0)
        db->changes = *n ? strtoll(n, NULL, 10) : 0;
}

/* The statement's result (taken): its first row, done, or the error. */
static int pg_stmt_result(struct pg_stmt *s, PGresult *r)
{
    struct pg_db *db = s->db;
    int rc;

    switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
        pg_note_changes(db, r);
        s->res = r;
        s->nrows = PQntuples(r);
        s->row = 0;
        rc = s->nrows > 0 ? DB_ROW : DB_DONE;
        if (rc == DB_DONE)
            pg_clear_result(s);
        return rc;
    case PGRES_COMMAND_OK:
        pg_note_changes(db, r);
        PQclear(r);
        return DB_DONE;
    default:
        rc = pg_error(db, r);
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

static int pg_pend_add(struct pg_db *db, enum pg_pend_kind kind, struct pg_stmt *s)
{
    if (db->npend == db->cappend) {
        int cap = db->cappend ? db->cappend * 2 : 32;
        struct pg_pend *np = realloc(db->pend, (size_t)cap * sizeof(*np));
        if (np == NULL)
            return -KP_ERR_NOMEM;
        db->pend = np;
        db->cappend = cap;
    }
    db->pend[db->npend++] = (struct pg_pend){kind, s};
    return 0;
}

/* Into libpq's pipeline mode, the deferred commands sent first. */
static int pg_pipe_open(struct pg_db *db)
{
    int rc = 0;

    if (!db->piped) {
        if (!PQenterPipelineMode(db->conn)) {
            pg_set_err(db, "postgresql: pipeline", PQerrorMessage(db->conn));
            return -KP_ERR_DB;
        }
        db->piped = 1;
    }
    for (int i = 0; i < db->ndefer && rc == 0; i++) {
        if (!PQsendQueryParams(db->conn, db->defer[i], 0, NULL, NULL, NULL, NULL, 0))
            rc = pg_error(db, NULL);
        else
            rc = pg_pend_add(db, PG_PEND_CMD, NULL);
    }
    pg_defer_clear(db);
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
            return pg_error(db, NULL);
        if ((rc = pg_pend_add(db, PG_PEND_PARSE, s)) < 0)
            return rc;
        s->gen = db->gen; /* taken back by pg_pipe_sync() if the Parse fails */
    }
    pg_stmt_values(s);
    if (!PQsendQueryPrepared(db->conn, s->name, s->nparams, s->vals, s->lens, s->fmts, 0))
        return pg_error(db, NULL);
    return pg_pend_add(db, kind, s);
}

/* One owed result (and the NULL that ends its command), filed by kind;
   the first failure is kept in *rc (the server skips what follows it:
   PGRES_PIPELINE_ABORTED).  The PG_PEND_LAST result is returned. */
static PGresult *pg_pipe_take(struct pg_db *db, const struct pg_pend *e, int *rc)
{
    PGresult *r = PQgetResult(db->conn), *x;
    ExecStatusType st;
    int ok;

    if (r == NULL) {
        if (*rc == 0)
            *rc = pg_error(db, NULL);
        return NULL;
    }
    while ((x = PQgetResult(db->conn)) != NULL)
        PQclear(x);
    st = PQresultStatus(r);
    ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (e->kind == PG_PEND_PARSE && !ok && e->s)
        e->s->gen = 0;
    if (e->kind == PG_PEND_WRITE && ok)
        pg_note_changes(db, r);
    if (!ok && st != PGRES_PIPELINE_ABORTED && *rc == 0)
        *rc = pg_error(db, r);
    if (e->kind == PG_PEND_LAST && ok && *rc == 0)
        return r;
    PQclear(r);
    return NULL;
}

/*
 * One round trip for everything sent since the last: the deferred
 * commands, Parses, queued writes and the statement the caller waits
 * for, read back in order up to the Sync (within the caller's
 * transaction a Sync commits nothing).  0 and *last (that statement's
 * result, when asked for), or the first failure.
 */
static int pg_pipe_sync(struct pg_db *db, PGresult **last)
{
    PGresult *r, *keep = NULL;
    int rc = 0, n = db->npend;

    if (last)
        *last = NULL;
    if (!db->piped)
        return 0;
    db->round_trips++;
    if (!PQpipelineSync(db->conn))
        return pg_error(db, NULL);
    for (int i = 0; i < n && !db->broken; i++)
        if ((r = pg_pipe_take(db, &db->pend[i], &rc)) != NULL)
            keep = r;
    if (!db->broken) {
        r = PQgetResult(db->conn); /* the Sync's own */
        if ((r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) && rc == 0)
            rc = pg_error(db, r);
        PQclear(r);
    }
    db->npend = 0;
    if (!db->broken) {
        if (!PQexitPipelineMode(db->conn) && rc == 0)
            rc = pg_error(db, NULL);
        db->piped = 0;
        db->txs = PQtransactionStatus(db->conn);
    }
    if (rc < 0 || last == NULL)
        PQclear(keep);
    else
        *last = keep;
    return rc;
}

/*
 * Prepare a statement with a parameter tested IS NULL while it is bound
 * NULL or text: the server cannot type it ("could not determine data
 * type"), so it is tried as TEXT, then as BIGINT (an optional id),
 * before the statement's first execution and apart from it.  Inside a
 * transaction each try is wrapped in a savepoint: a failed Parse would
 * abort the caller's transaction.  Once per statement and connection.
 */
static int pg_stmt_parse(struct pg_stmt *s)
{
    static const Oid tries[] = {PG_TEXTOID, PG_INT8OID};
    struct pg_db *db = s->db;
    int in_tx = PQtransactionStatus(db->conn) == PQTRANS_INTRANS, rc = -KP_ERR_DB;

    for (size_t k = 0; k < sizeof(tries) / sizeof(tries[0]); k++) {
        PGresult *r;
        pg_stmt_types(s);
        for (int i = 0; i < s->nparams; i++)
            if (s->nulltest[i] && s->types[i] == 0)
                s->types[i] = tries[k];
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
        rc = pg_error(db, r);
        PQclear(r);
        if (rc == -KP_ERR_CLOSED)
            return rc;
        if (in_tx)
            PQclear(PQexec(db->conn, "ROLLBACK TO kp_parse"));
    }
    return rc;
}

static int pg_step(struct pg_stmt *s)
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
        return (rc = pg_exec(db, s->sql)) < 0 ? rc : DB_DONE;
    if (db->tx_lost) {
        snprintf(db->err, sizeof(db->err),
                 "postgresql: the connection was lost in the transaction; end it first");
        return -KP_ERR_CLOSED;
    }
    if ((rc = pg_conn(db)) < 0)
        return rc;
    if (s->gen != db->gen && s->has_nulltest) {
        if ((rc = pg_pipe_sync(db, NULL)) < 0 || (rc = pg_stmt_parse(s)) < 0)
            return rc;
    }
    if (s->queue && pg_in_tx(db->txs)) { /* its result waits for the next sync */
        if ((rc = pg_pipe_open(db)) < 0 || (rc = pg_pipe_send(s, PG_PEND_WRITE)) < 0)
            return rc;
        return DB_DONE;
    }
    if (!db->piped && db->ndefer == 0 && s->gen == db->gen)
        return pg_stmt_exec(s);
    PGresult *r;
    if ((rc = pg_pipe_open(db)) < 0 || (rc = pg_pipe_send(s, PG_PEND_LAST)) < 0 ||
        (rc = pg_pipe_sync(db, &r)) < 0)
        return rc;
    return pg_stmt_result(s, r);
}

static int pg_column_count(struct pg_stmt *s)
{
    return s->res ? PQnfields(s->res) : 0;
}

/* Is column i of the current row there? */
static int pg_has(struct pg_stmt *s, int i)
{
    return s->res && s->row < s->nrows && i >= 0 && i < PQnfields(s->res);
}

static int pg_col_is_null(struct pg_stmt *s, int i)
{
    return !pg_has(s, i) || PQgetisnull(s->res, s->row, i);
}

static int64_t pg_col_int64(struct pg_stmt *s, int i)
{
    const char *t;
    char *end;
    long long v;

    if (pg_col_is_null(s, i))
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

static const char *pg_col_text(struct pg_stmt *s, int i)
{
    if (pg_col_is_null(s, i))
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

static const void *pg_col_blob(struct pg_stmt *s, int i)
{
    struct pg_col *c;

    if (pg_col_is_null(s, i))
        return NULL;
    if (PQftype(s->res, i) != PG_BYTEAOID)
        return PQgetvalue(s->res, s->row, i);
    c = pg_col_decode(s, i);
    return c ? c->p : NULL;
}

static size_t pg_col_bytes(struct pg_stmt *s, int i)
{
    struct pg_col *c;

    if (pg_col_is_null(s, i))
        return 0;
    if (PQftype(s->res, i) != PG_BYTEAOID)
        return (size_t)PQgetlength(s->res, s->row, i);
    c = pg_col_decode(s, i);
    return c ? c->n : 0;
}

/* ---- db.h's table: db.c calls these with the heads the structs start with ---- */

#define PG(d)  ((struct pg_db *)(d))
#define PGS(s) ((struct pg_stmt *)(s))

static int pgo_open(const struct db_params *p, struct db **out)
{
    struct pg_db *db = NULL;
    int rc = pg_open(p, &db);

    *out = rc == 0 ? &db->base : NULL;
    return rc;
}

static int pgo_prepare(struct db *d, const char *sql, struct db_stmt **out)
{
    struct pg_stmt *s = NULL;
    int rc = pg_prepare(PG(d), sql, &s);

    *out = rc == 0 ? &s->base : NULL;
    return rc;
}

static void pgo_close(struct db *d)
{
    pg_close(PG(d));
}
static const char *pgo_errmsg(struct db *d)
{
    return pg_errmsg(PG(d));
}
static int pgo_exec(struct db *d, const char *sql)
{
    return pg_exec(PG(d), sql);
}
static int64_t pgo_changes(struct db *d)
{
    return pg_changes(PG(d));
}
static void pgo_finalize(struct db_stmt *s)
{
    pg_finalize(PGS(s));
}
static void pgo_reset(struct db_stmt *s)
{
    pg_reset(PGS(s));
}
static void pgo_bind_int64(struct db_stmt *s, int i, int64_t v)
{
    pg_bind_int64(PGS(s), i, v);
}
static void pgo_bind_text(struct db_stmt *s, int i, const char *v)
{
    pg_bind_text(PGS(s), i, v);
}
static void pgo_bind_textn(struct db_stmt *s, int i, const char *v, size_t n)
{
    pg_bind_textn(PGS(s), i, v, n);
}
static void pgo_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
    pg_bind_blob(PGS(s), i, v, n);
}
static void pgo_bind_null(struct db_stmt *s, int i)
{
    pg_bind_null(PGS(s), i);
}
static int pgo_step(struct db_stmt *s)
{
    return pg_step(PGS(s));
}
static int pgo_column_count(struct db_stmt *s)
{
    return pg_column_count(PGS(s));
}
static int pgo_col_is_null(struct db_stmt *s, int i)
{
    return pg_col_is_null(PGS(s), i);
}
static int64_t pgo_col_int64(struct db_stmt *s, int i)
{
    return pg_col_int64(PGS(s), i);
}
static const char *pgo_col_text(struct db_stmt *s, int i)
{
    return pg_col_text(PGS(s), i);
}
static const void *pgo_col_blob(struct db_stmt *s, int i)
{
    return pg_col_blob(PGS(s), i);
}
static size_t pgo_col_bytes(struct db_stmt *s, int i)
{
    return pg_col_bytes(PGS(s), i);
}

const struct db_ops db_pg_ops = {
    .kind = DB_POSTGRESQL,
    .name = "postgresql",
    .open = pgo_open,
    .close = pgo_close,
    .errmsg = pgo_errmsg,
    .exec = pgo_exec,
    .prepare = pgo_prepare,
    .finalize = pgo_finalize,
    .reset = pgo_reset,
    .bind_int64 = pgo_bind_int64,
    .bind_text = pgo_bind_text,
    .bind_textn = pgo_bind_textn,
    .bind_blob = pgo_bind_blob,
    .bind_null = pgo_bind_null,
    .step = pgo_step,
    .column_count = pgo_column_count,
    .col_is_null = pgo_col_is_null,
    .col_int64 = pgo_col_int64,
    .col_text = pgo_col_text,
    .col_blob = pgo_col_blob,
    .col_bytes = pgo_col_bytes,
    .changes = pgo_changes,
};

uint64_t db_pg_round_trips(struct db *d)
{
    return d != NULL && d->ops == &db_pg_ops ? pg_round_trips(PG(d)) : 0;
}
