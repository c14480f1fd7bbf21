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
 *
 * This file: the connection, errors, transactions, libpq's pipeline and
 * the backend's table; db_pg_stmt.c: statements, parameters and rows.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "db_pg_internal.h"
#include "kpass/core/err.h"
#include "kpass/core/log.h"

static void pg_close(struct pg_db *db);

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
void db_pg_set_err(struct pg_db *db, const char *what, const char *msg)
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
        db_pg_set_err(db, "postgresql", PQerrorMessage(db->conn));
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

int db_pg_in_tx(PGTransactionStatusType t)
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
    if (db_pg_in_tx(db->txs))
        db->tx_lost = 1;
    db->txs = PQTRANS_IDLE;
    return -KP_ERR_CLOSED;
}

/* The -KP_ERR_* of a failed result (r may be NULL: out of memory or the
   connection gone). */
int db_pg_error(struct pg_db *db, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

    if (r)
        pg_result_err(db, r, state);
    else
        db_pg_set_err(db, "postgresql", PQerrorMessage(db->conn));
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

/*
 * The daemons' lock ([store] nodes).  A node alone on its database
 * (nodes = one) keeps state in memory that assumes no other daemon writes
 * (dialogs, a number's language, departments), so it holds the lock
 * exclusively; nodes of a cluster (nodes = several) hold it in shared mode,
 * which keeps a lone node out while they run, and them out while it does.
 * On SQLite a lock file beside the database does this.  Taken on every new
 * connection (after a failover the new primary holds no lock, and another
 * daemon may have started meanwhile).  -KP_ERR_BUSY when refused.
 */
/* The lock's two keys: kpass's own class and the schema the tables live in
   (one installation per schema; several may share a PostgreSQL database). */
#define PG_DAEMON_LOCK "SELECT pg_try_advisory_lock(1802526579, hashtext(current_schema()))"
#define PG_DAEMON_LOCK_SHARED                                                                      \
    "SELECT pg_try_advisory_lock_shared(1802526579, hashtext(current_schema()))"

static int pg_daemon_lock(struct pg_db *db)
{
    PGresult *r;
    int held;

    db->round_trips++;
    r = PQexec(db->conn, db->shared ? PG_DAEMON_LOCK_SHARED : PG_DAEMON_LOCK);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        db_pg_error(db, r);
        PQclear(r);
        return -KP_ERR_DB;
    }
    held = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!held) {
        db_pg_set_err(db, "postgresql",
                      db->shared ? "a kpassd configured as the database's only node (nodes = "
                                   "one) is using it"
                                 : "another kpassd holds this database's lock (several nodes "
                                   "need nodes = several on each)");
        return -KP_ERR_BUSY;
    }
    return 0;
}

/* What every new connection is told. */
static int pg_session_setup(struct pg_db *db)
{
    PGresult *r;
    int ok;

    PQsetNoticeProcessor(db->conn, pg_notice, NULL);
    if (db->exclusive && (ok = pg_daemon_lock(db)) < 0)
        return ok;
    if (!db->readonly)
        return 0;
    db->round_trips++;
    r = PQexec(db->conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        db_pg_error(db, r);
    PQclear(r);
    return ok ? 0 : -KP_ERR_DB;
}

/*
 * Reconnect attempts while the database is away: the first at once (a
 * failover's new primary is often there already), then at most one per
 * PG_RETRY_MIN_MS, the wait growing to PG_RETRY_MAX_MS.  Every call in
 * between answers -KP_ERR_CLOSED at once, so that a daemon whose
 * database is gone answers each request quickly instead of spending a
 * connection attempt (up to connect_timeout per host) on each.
 */
#define PG_RETRY_MIN_MS 250u
#define PG_RETRY_MAX_MS 1000u

static uint64_t pg_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A usable connection: a lost one is reset (libpq tries every host of the
   DSN again), and the statements will be prepared anew on it. */
int db_pg_conn(struct pg_db *db)
{
    uint64_t now;

    if (!db->broken && PQstatus(db->conn) == CONNECTION_OK)
        return 0;
    if (!db->broken)
        pg_lost(db);
    now = pg_now_ms();
    if (now < db->retry_ms) {
        snprintf(db->err, sizeof(db->err),
                 "postgresql: the database is away (next attempt in "
                 "%u ms)",
                 (unsigned)(db->retry_ms - now));
        return -KP_ERR_CLOSED;
    }
    PQreset(db->conn);
    db->round_trips++;
    if (PQstatus(db->conn) != CONNECTION_OK) {
        db_pg_set_err(db, "postgresql: reconnecting", PQerrorMessage(db->conn));
        db->backoff_ms = db->backoff_ms ? db->backoff_ms * 2 : PG_RETRY_MIN_MS;
        if (db->backoff_ms > PG_RETRY_MAX_MS)
            db->backoff_ms = PG_RETRY_MAX_MS;
        db->retry_ms = pg_now_ms() + db->backoff_ms;
        return -KP_ERR_CLOSED;
    }
    db->gen++;
    db->broken = 0;
    db->txs = PQTRANS_IDLE;
    if (pg_session_setup(db) < 0) {
        db->broken = 1; /* not ours yet (the lock, say): set up again on the next use */
        db->backoff_ms = PG_RETRY_MAX_MS;
        db->retry_ms = pg_now_ms() + db->backoff_ms;
        log_warnx("store: %s", db->err);
        return -KP_ERR_CLOSED;
    }
    db->backoff_ms = 0;
    db->retry_ms = 0;
    log_info("store: postgresql connection re-established (%s:%s)", PQhost(db->conn),
             PQport(db->conn));
    return 0;
}

/* A first line of five fields, host:port:database:user:password (':' and
   '\\' escaped with '\\'): libpq's own password file format, which the HA
   cluster writes (one line per database node); libpq then reads it itself
   and picks the line of the host it reaches. */
static int pg_passfile_is_pgpass(const char *line)
{
    int colons = 0;

    for (const char *c = line; *c != '\0'; c++) {
        if (*c == '\\' && c[1] != '\0')
            c++;
        else if (*c == ':')
            colons++;
    }
    return colons == 4;
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

/*
 * PG_TCP_DEFAULTS: a connection whose server vanished (a host powered off,
 * a network cut: no RST ever comes) must not leave a read blocked for the
 * kernel's default of minutes (tcp_retries2: ~15 min) while the event
 * loop waits on it.  Unless the DSN says otherwise: connect_timeout 5 s a
 * host, TCP keepalives after 5 s idle every 2 s, 3 probes (an idle dead
 * peer found in ~11 s), and tcp_user_timeout 10 s (unacknowledged data,
 * e.g. a COMMIT sent to a dead host, fails the connection after 10 s).
 * Then the multi-host DSN finds the new primary (kpassd.conf(5)).
 */
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
    db->exclusive = p->exclusive;
    db->shared = p->shared;
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
       password (or libpq's password file) last, so that the file wins over
       anything in the DSN. */
    const char *pwkw = pw && pg_passfile_is_pgpass(pw) ? "passfile" : "password";
    const char *pwval = pw && strcmp(pwkw, "passfile") == 0 ? p->passfile : pw;
    /* The TCP bounds (PG_TCP_DEFAULTS) come before the DSN, which may set
       its own. */
    const char *kw[] = {"connect_timeout",
                        "client_encoding",
                        "application_name",
                        "keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        "dbname",
                        pw ? pwkw : NULL,
                        NULL};
    const char *val[] = {"5", "UTF8", "kpassd", "1", "5", "2", "3", "10000", p->dsn, pwval, NULL};
    db->conn = PQconnectdbParams(kw, val, 1);
    if (pw)
        sodium_free(pw); /* wiped; libpq keeps its own copy for PQreset() */
    db->round_trips++;
    if (db->conn == NULL) {
        free(db);
        return -KP_ERR_NOMEM;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        db_pg_set_err(db, "cannot connect to postgresql", PQerrorMessage(db->conn));
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
        db_pg_finalize(db->stmts);
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
    if (db->npend > 0 && db_pg_pipe_sync(db, NULL) < 0) {
        db->losses += db->broken != 0;
        return -1;
    }
    return db->changes;
}

static uint64_t pg_round_trips(struct pg_db *db)
{
    return db->round_trips;
}

/* Does sql start with keyword (any case, after blanks), as a whole word? */
int db_pg_starts(const char *sql, const char *keyword)
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
int db_pg_deferrable(const char *sql)
{
    const char *semi = strchr(sql, ';');

    if (semi && semi[strspn(semi, "; \t\r\n")] != '\0')
        return 0;
    if (db_pg_starts(sql, "BEGIN") || db_pg_starts(sql, "SAVEPOINT") ||
        db_pg_starts(sql, "RELEASE"))
        return 1;
    return db_pg_starts(sql, "ROLLBACK") && db_pg_starts(sql + strspn(sql, " \t\r\n") + 8, "TO");
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
int db_pg_queueable(const char *sql)
{
    if (strcasestr(sql, "RETURNING") != NULL)
        return 0;
    return db_pg_starts(sql, "DELETE") ||
           (db_pg_starts(sql, "INSERT") && strcasestr(sql, "ON CONFLICT") != NULL);
}

/* Only a deferred BEGIN, and now the end of that transaction: nothing
   was done, nothing to send (an empty loop pass costs no round trip). */
static int pg_defer_empty_tx(struct pg_db *db, const char *sql)
{
    if (db->ndefer != 1 || db->piped || !db_pg_starts(db->defer[0], "BEGIN"))
        return 0;
    if (!db_pg_starts(sql, "COMMIT") && !db_pg_starts(sql, "END") &&
        !(db_pg_starts(sql, "ROLLBACK") && !db_pg_starts(sql + strspn(sql, " \t\r\n") + 8, "TO")))
        return 0;
    pg_defer_clear(db);
    db->txs = PQTRANS_IDLE;
    return 1;
}

/* The caller ends a transaction the lost connection took with it. */
static int pg_exec_lost(struct pg_db *db, const char *sql)
{
    if (db_pg_starts(sql, "ROLLBACK")) {
        const char *p = sql + strspn(sql, " \t\r\n") + 8;
        if (!db_pg_starts(p, "TO")) {
            db->tx_lost = 0;
            return 0;
        }
    } else if (db_pg_starts(sql, "COMMIT") || db_pg_starts(sql, "END")) {
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
    if ((db_pg_starts(sql, "COMMIT") || db_pg_starts(sql, "END")) &&
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

    if ((rc = db_pg_pipe_open(db)) < 0)
        return rc;
    if (!PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0))
        return db_pg_error(db, NULL);
    if ((rc = db_pg_pend_add(db, PG_PEND_LAST, NULL)) < 0)
        return rc;
    if ((rc = db_pg_pipe_sync(db, &r)) < 0) {
        if (!db->broken && (db_pg_starts(sql, "COMMIT") || db_pg_starts(sql, "END")) &&
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

static int pg_exec_run(struct pg_db *db, const char *sql)
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
    if (db_pg_deferrable(sql) && db->ndefer < PG_DEFER_MAX && !db->broken) {
        if ((db->defer[db->ndefer] = strdup(sql)) == NULL)
            return -KP_ERR_NOMEM;
        db->ndefer++;
        if (db_pg_starts(sql, "BEGIN"))
            db->txs = PQTRANS_INTRANS;
        return 0;
    }
    if ((rc = db_pg_conn(db)) < 0)
        return rc;
    if ((db->piped || db->ndefer > 0) && pg_single(sql))
        return pg_exec_piped(db, sql);
    if ((rc = db_pg_pipe_sync(db, NULL)) < 0) /* owed results first: PQexec needs none */
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
        rc = db_pg_error(db, r);
        break;
    }
    PQclear(r);
    return rc;
}

int db_pg_exec(struct pg_db *db, const char *sql)
{
    int rc = pg_exec_run(db, sql);

    /* A COMMIT or ROLLBACK that found the connection lost has ended the
       transaction already: the caller need not end it again. */
    if (rc == -KP_ERR_CLOSED && db->tx_lost &&
        (db_pg_starts(sql, "COMMIT") || db_pg_starts(sql, "END") ||
         (db_pg_starts(sql, "ROLLBACK") && !db_pg_starts(sql + strspn(sql, " \t\r\n") + 8, "TO"))))
        db->tx_lost = 0;
    return rc;
}

/* INSERT, UPDATE, DELETE (with or without RETURNING) set db_changes(). */
void db_pg_note_changes(struct pg_db *db, PGresult *r)
{
    const char *st = PQcmdStatus(r), *n = PQcmdTuples(r);

    if (strncmp(st, "INSERT", 6) == 0 || strncmp(st, "UPDATE", 6) == 0 ||
        strncmp(st, "DELETE", 6) == 0 || strncmp(st, "MERGE", 5) == 0)
        db->changes = *n ? strtoll(n, NULL, 10) : 0;
}

int db_pg_pend_add(struct pg_db *db, enum pg_pend_kind kind, struct pg_stmt *s)
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
int db_pg_pipe_open(struct pg_db *db)
{
    int rc = 0;

    if (!db->piped) {
        if (!PQenterPipelineMode(db->conn)) {
            db_pg_set_err(db, "postgresql: pipeline", PQerrorMessage(db->conn));
            return -KP_ERR_DB;
        }
        db->piped = 1;
    }
    for (int i = 0; i < db->ndefer && rc == 0; i++) {
        if (!PQsendQueryParams(db->conn, db->defer[i], 0, NULL, NULL, NULL, NULL, 0))
            rc = db_pg_error(db, NULL);
        else
            rc = db_pg_pend_add(db, PG_PEND_CMD, NULL);
    }
    pg_defer_clear(db);
    return rc;
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
            *rc = db_pg_error(db, NULL);
        return NULL;
    }
    while ((x = PQgetResult(db->conn)) != NULL)
        PQclear(x);
    st = PQresultStatus(r);
    ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (e->kind == PG_PEND_PARSE && !ok && e->s)
        e->s->gen = 0;
    if (e->kind == PG_PEND_WRITE && ok)
        db_pg_note_changes(db, r);
    if (!ok && st != PGRES_PIPELINE_ABORTED && *rc == 0)
        *rc = db_pg_error(db, r);
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
int db_pg_pipe_sync(struct pg_db *db, PGresult **last)
{
    PGresult *r, *keep = NULL;
    int rc = 0, n = db->npend;

    if (last)
        *last = NULL;
    if (!db->piped)
        return 0;
    db->round_trips++;
    if (!PQpipelineSync(db->conn))
        return db_pg_error(db, NULL);
    for (int i = 0; i < n && !db->broken; i++)
        if ((r = pg_pipe_take(db, &db->pend[i], &rc)) != NULL)
            keep = r;
    if (!db->broken) {
        r = PQgetResult(db->conn); /* the Sync's own */
        if ((r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) && rc == 0)
            rc = db_pg_error(db, r);
        PQclear(r);
    }
    db->npend = 0;
    if (!db->broken) {
        if (!PQexitPipelineMode(db->conn) && rc == 0)
            rc = db_pg_error(db, NULL);
        db->piped = 0;
        db->txs = PQtransactionStatus(db->conn);
    }
    if (rc < 0 || last == NULL)
        PQclear(keep);
    else
        *last = keep;
    return rc;
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
    int rc = db_pg_prepare(PG(d), sql, &s);

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
    int rc = db_pg_exec(PG(d), sql);

    PG(d)->losses += rc == -KP_ERR_CLOSED;
    return rc;
}
static int64_t pgo_changes(struct db *d)
{
    return pg_changes(PG(d));
}
static void pgo_finalize(struct db_stmt *s)
{
    db_pg_finalize(PGS(s));
}
static void pgo_reset(struct db_stmt *s)
{
    db_pg_reset(PGS(s));
}
static void pgo_bind_int64(struct db_stmt *s, int i, int64_t v)
{
    db_pg_bind_int64(PGS(s), i, v);
}
static void pgo_bind_text(struct db_stmt *s, int i, const char *v)
{
    db_pg_bind_text(PGS(s), i, v);
}
static void pgo_bind_textn(struct db_stmt *s, int i, const char *v, size_t n)
{
    db_pg_bind_textn(PGS(s), i, v, n);
}
static void pgo_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
    db_pg_bind_blob(PGS(s), i, v, n);
}
static void pgo_bind_null(struct db_stmt *s, int i)
{
    db_pg_bind_null(PGS(s), i);
}
static int pgo_step(struct db_stmt *s)
{
    int rc = db_pg_step(PGS(s));

    PGS(s)->db->losses += rc == -KP_ERR_CLOSED;
    return rc;
}
static int pgo_column_count(struct db_stmt *s)
{
    return db_pg_column_count(PGS(s));
}
static int pgo_col_is_null(struct db_stmt *s, int i)
{
    return db_pg_col_is_null(PGS(s), i);
}
static int64_t pgo_col_int64(struct db_stmt *s, int i)
{
    return db_pg_col_int64(PGS(s), i);
}
static const char *pgo_col_text(struct db_stmt *s, int i)
{
    return db_pg_col_text(PGS(s), i);
}
static const void *pgo_col_blob(struct db_stmt *s, int i)
{
    return db_pg_col_blob(PGS(s), i);
}
static size_t pgo_col_bytes(struct db_stmt *s, int i)
{
    return db_pg_col_bytes(PGS(s), i);
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

uint64_t db_pg_losses(struct db *d)
{
    return d != NULL && d->ops == &db_pg_ops ? PG(d)->losses : 0;
}

int db_pg_away(struct db *d)
{
    return d != NULL && d->ops == &db_pg_ops && PG(d)->broken;
}
