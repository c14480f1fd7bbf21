/* SPDX-License-Identifier: ISC */
/*
 * Private to the PostgreSQL backend: its connection and statement
 * structures and what its two files share (db_pg.c: the connection,
 * transactions and the pipeline; db_pg_stmt.c: statements and rows).
 */
#ifndef KPASS_STORE_DB_PG_INTERNAL_H
#define KPASS_STORE_DB_PG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db_backend.h"
#include "db_pg.h"

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
    unsigned gen;        /* counts connections: statements of an older one are prepared again */
    unsigned names;      /* the last sN given */
    int broken;          /* the connection was lost: reset at the next use */
    uint64_t retry_ms;   /* broken: no reconnect attempt before this (kp_clock_ms) */
    unsigned backoff_ms; /* ... the wait after the next failed attempt */
    uint64_t losses;     /* calls answered -KP_ERR_CLOSED (db_pg_losses) */
    int tx_lost;         /* ... while a transaction was open: refuse until it is ended */
    int readonly;
    int exclusive;               /* holds (and retakes) the daemons' advisory lock */
    int shared;                  /* ... in shared mode ([store] nodes = several) */
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

/* db_pg.c */
/* The -KP_ERR_* of a failed result (NULL: the connection), into db->err. */
int db_pg_error(struct pg_db *db, const PGresult *r);
/* A usable connection: a lost one is reset, statements prepared again. */
int db_pg_conn(struct pg_db *db);
/* Does sql start with keyword (any case, after blanks), as a word? */
int db_pg_starts(const char *sql, const char *keyword);
/* BEGIN, SAVEPOINT, RELEASE, ROLLBACK TO: sent with the next command. */
int db_pg_deferrable(const char *sql);
/* A DELETE or upsert without RETURNING: queued inside a transaction. */
int db_pg_queueable(const char *sql);
/* db_exec(): deferral, the pipeline, a lost transaction, COMMIT checked. */
int db_pg_exec(struct pg_db *db, const char *sql);
/* The pipeline: entered (deferred commands sent), an owed result noted,
   everything owed read back in one round trip. */
int db_pg_pipe_open(struct pg_db *db);
int db_pg_pend_add(struct pg_db *db, enum pg_pend_kind kind, struct pg_stmt *s);
int db_pg_pipe_sync(struct pg_db *db, PGresult **last);
/* An INSERT, UPDATE or DELETE's row count into db_changes(). */
void db_pg_note_changes(struct pg_db *db, PGresult *r);
/* Is a transaction open (or aborted, or running)? */
int db_pg_in_tx(PGTransactionStatusType t);
/* The first line of a libpq message, after what, into db->err. */
void db_pg_set_err(struct pg_db *db, const char *what, const char *msg);

/* db_pg_stmt.c: db.h's statement calls */
int db_pg_prepare(struct pg_db *db, const char *sql, struct pg_stmt **out);
void db_pg_finalize(struct pg_stmt *s);
void db_pg_reset(struct pg_stmt *s);
void db_pg_bind_int64(struct pg_stmt *s, int i, int64_t v);
void db_pg_bind_text(struct pg_stmt *s, int i, const char *v);
void db_pg_bind_textn(struct pg_stmt *s, int i, const char *v, size_t n);
void db_pg_bind_blob(struct pg_stmt *s, int i, const void *v, size_t n);
void db_pg_bind_null(struct pg_stmt *s, int i);
int db_pg_step(struct pg_stmt *s);
int db_pg_column_count(struct pg_stmt *s);
int db_pg_col_is_null(struct pg_stmt *s, int i);
int64_t db_pg_col_int64(struct pg_stmt *s, int i);
const char *db_pg_col_text(struct pg_stmt *s, int i);
const void *db_pg_col_blob(struct pg_stmt *s, int i);
size_t db_pg_col_bytes(struct pg_stmt *s, int i);

#endif
