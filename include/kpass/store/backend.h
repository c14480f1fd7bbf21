/* SPDX-License-Identifier: ISC */
/*
 * Which database the store runs on: kpassd.conf's [store] section (the
 * store module owns it) and opening the configured one.  SQLite on one
 * node is the default ([daemon] database names its file); PostgreSQL
 * serves several nodes (issue 12, doc/kpassd.conf.5).
 */
#ifndef KPASS_STORE_BACKEND_H
#define KPASS_STORE_BACKEND_H

#include "kpass/core/conf.h"

struct store;

enum store_backend {
    STORE_BACKEND_SQLITE = 0,
    STORE_BACKEND_POSTGRESQL = 1,
};

/*
 * How many kpassd nodes share the database ([store] nodes).  One: the
 * daemon holds the database's lock alone and may keep what it wrote in
 * memory (dialogs, memos: issue 14).  Several (PostgreSQL only): every node
 * holds the lock in shared mode, so a node configured for one is refused
 * while others run, and the reverse; what another node may change is read
 * from the database, never trusted from memory (doc/cluster.md).
 */
enum store_nodes {
    STORE_NODES_ONE = 0,
    STORE_NODES_SEVERAL = 1,
};

struct store_settings {
    int backend;    /* enum store_backend ([store] backend) */
    char *dsn;      /* libpq connection string, no password ([store] dsn) */
    char *passfile; /* the file holding the password, 0600 ([store] passfile) */
    int nodes;      /* enum store_nodes ([store] nodes) */
};

extern const struct conf_table store_conf_table;
/* Free the strings the parser gave set; the struct itself is the caller's. */
void store_settings_free(struct store_settings *set);

/*
 * Open the configured store: SQLite at sqlite_path ([daemon] database),
 * or PostgreSQL at set->dsn with set->passfile.  flags as store_open().
 * 0, or store_open()'s errors; -KP_ERR_CLOSED: PostgreSQL not reachable
 * (try again later), -KP_ERR_UNSUPPORTED: a build without that backend.
 */
int store_open_conf(const struct store_settings *set, const char *sqlite_path, unsigned flags,
                    struct store **out);
/* The daemon shares its database with other nodes ([store] nodes =
   several): 1, else 0 (always 0 on SQLite). */
int store_shared(const struct store *st);
/* What the node's database is to it, for /healthz and /metrics. */
enum store_role {
    STORE_ROLE_UNREACHABLE = 0, /* the last question went unanswered */
    STORE_ROLE_SQLITE,          /* an embedded file: no roles, no replication */
    STORE_ROLE_PRIMARY,         /* PostgreSQL that takes writes */
    STORE_ROLE_STANDBY,         /* PostgreSQL in recovery: read-only */
};

struct store_health {
    enum store_role role;
    int sync_standbys; /* primary: synchronous standbys streaming; -1 not visible to us */
    int64_t lag_ms;    /* primary: the slowest synchronous standby's replay lag (0 when
                          caught up and idle); standby: the age of the last transaction
                          replayed; -1 unknown */
};

/*
 * Ask the database what it is (one round trip on PostgreSQL; SQLite: one
 * read of the schema version).  The lag comes from pg_stat_replication,
 * which shows it only to roles with pg_read_all_stats (pg_monitor has it):
 * without it sync_standbys and lag_ms are -1.  Always fills *out.
 */
void store_health(struct store *st, struct store_health *out);
/* "unreachable", "sqlite", "primary", "standby". */
const char *store_role_name(enum store_role role);

/* For messages: the SQLite file, or "PostgreSQL" (never the DSN: it may
   name hosts and users an error message need not spread). */
const char *store_conf_name(const struct store_settings *set, const char *sqlite_path);

/* Round trips to the database server so far (benchmarks: kpassd logs
   them when it stops); 0 on SQLite, which has none. */
unsigned long long store_round_trips(const struct store *st);

/*
 * The database away (PostgreSQL: the connection lost, a failover, a
 * restart).  store_losses() counts the calls that failed for want of the
 * connection: the daemon reads it before and after a loop pass, and a
 * pass in which it grew is failed as a whole (its replies withheld, its
 * requests answered with a temporary error; kpassd(8)).  store_away() is
 * 1 while the connection is lost and not yet back (reconnects are tried
 * at most every 250 ms to 1 s meanwhile), so that the desk API answers
 * 503.  Both 0 on SQLite, whose failures stop the daemon instead.
 */
unsigned long long store_losses(const struct store *st);
int store_away(const struct store *st);

#endif
