/* SPDX-License-Identifier: ISC */
/*
 * kpassd.conf's [store] section: the backend, PostgreSQL's connection
 * string and password file, and opening the store they name.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kpass/core/err.h"
#include "kpass/core/mem.h"
#include "kpass/store/backend.h"
#include "db_pg.h"
#include "store_internal.h"

/* CONF_CHOICE writes an int. */
_Static_assert(sizeof(enum store_backend) == sizeof(int), "backend is written as an int");

#define STORE_OFF(f) offsetof(struct store_settings, f)

static const char *const store_backends[] = {"sqlite", "postgresql", NULL};
static const char *const store_node_counts[] = {"one", "several", NULL};

static const struct conf_key store_conf_keys[] = {
    {"store", "backend", CONF_CHOICE, STORE_OFF(backend), 0, 0, store_backends, 0},
    {"store", "dsn", CONF_STRING, STORE_OFF(dsn), 0, 0, NULL, 0},
    {"store", "passfile", CONF_STRING, STORE_OFF(passfile), 0, 0, NULL, 0},
    {"store", "nodes", CONF_CHOICE, STORE_OFF(nodes), 0, 0, store_node_counts, 0},
};

static void store_conf_defaults(void *set)
{
    memset(set, 0, sizeof(struct store_settings));
}

/* Does the connection string carry a password?  Keyword/value form
   ("password = x") or a URI's user:password@. */
static int store_dsn_has_password(const char *dsn)
{
    const char *p = dsn;

    while ((p = strcasestr(p, "password")) != NULL) {
        const char *q = p + 8;
        int word = p == dsn || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '&' || p[-1] == '?';
        while (*q == ' ' || *q == '\t')
            q++;
        if (word && *q == '=')
            return 1;
        p += 8;
    }
    if (strncmp(dsn, "postgres://", 11) == 0 || strncmp(dsn, "postgresql://", 13) == 0) {
        const char *auth = strstr(dsn, "://") + 3;
        size_t n = strcspn(auth, "/?"); /* user:password@host,host:port */
        const char *at = memchr(auth, '@', n);
        if (at && memchr(auth, ':', (size_t)(at - auth)))
            return 1;
    }
    return 0;
}

/* PostgreSQL needs its DSN; the password lives in passfile, never in the
   configuration (which is readable by the kpass group and copied around). */
static void store_conf_check(void *set, struct conf_report *r)
{
    struct store_settings *s = set;

    if (s->backend == STORE_BACKEND_POSTGRESQL && (s->dsn == NULL || s->dsn[0] == '\0'))
        conf_report(r, conf_report_line(r, "backend"), "backend = postgresql needs dsn");
    if (s->dsn && store_dsn_has_password(s->dsn))
        conf_report(r, conf_report_line(r, "dsn"),
                    "dsn: no password in the configuration; put it in passfile");
    if (s->nodes == STORE_NODES_SEVERAL && s->backend != STORE_BACKEND_POSTGRESQL)
        conf_report(r, conf_report_line(r, "nodes"),
                    "nodes = several needs backend = postgresql (a SQLite file has one node)");
    if (s->passfile && s->passfile[0] != '/')
        conf_report(r, conf_report_line(r, "passfile"), "passfile: an absolute path");
}

const struct conf_table store_conf_table = {"store", store_conf_keys, KP_ARRAY_LEN(store_conf_keys),
                                            store_conf_defaults, store_conf_check};

void store_settings_free(struct store_settings *set)
{
    free(set->dsn);
    free(set->passfile);
    set->dsn = set->passfile = NULL;
}

const char *store_conf_name(const struct store_settings *set, const char *sqlite_path)
{
    return set && set->backend == STORE_BACKEND_POSTGRESQL ? "PostgreSQL" : sqlite_path;
}

int store_open_conf(const struct store_settings *set, const char *sqlite_path, unsigned flags,
                    struct store **out)
{
    struct db_params p = {
        .kind = DB_POSTGRESQL,
        .readonly = (flags & STORE_READONLY) != 0,
        .exclusive = (flags & STORE_EXCLUSIVE) != 0,
    };
    struct store *st;
    int rc;

    if (set == NULL || set->backend == STORE_BACKEND_SQLITE)
        return store_open(sqlite_path, flags, out);
    p.dsn = set->dsn;
    p.passfile = set->passfile;
    p.shared = set->nodes == STORE_NODES_SEVERAL;
    if ((rc = store_open_params(&p, flags, &st)) < 0)
        return rc;
    st->shared = p.shared;
    *out = st;
    return 0;
}

int store_shared(const struct store *st)
{
    return st->shared;
}

unsigned long long store_round_trips(const struct store *st)
{
    return db_pg_round_trips(st->db);
}

/* PostgreSQL only (pg_* functions): role, visibility, synchronous
   standbys, and the lag that matters for each role. */
static const char sql_health_pg[] =
    "SELECT pg_is_in_recovery(), pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), "
    "(SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')), "
    "CASE WHEN pg_is_in_recovery() THEN "
    "CAST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 AS BIGINT) "
    "ELSE (SELECT CAST(coalesce(max(EXTRACT(EPOCH FROM replay_lag)), 0) * 1000 AS BIGINT) "
    "FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')) END";

void store_health(struct store *st, struct store_health *out)
{
    struct db_stmt *s;
    int visible;

    out->role = STORE_ROLE_UNREACHABLE;
    out->sync_standbys = -1;
    out->lag_ms = -1;
    if (db_kind(st->db) == DB_SQLITE) {
        if (store_schema_version(st) > 0)
            out->role = STORE_ROLE_SQLITE;
        return;
    }
    /* Away: told so, without asking (the question would wait for a
       reconnect, and count as a loss that fails the pass). */
    if (store_away(st))
        return;
    /* Inside the pass's transaction, behind a savepoint: a question that
       fails must not take the pass's changes with it. */
    enum store_scope scope;
    int inside = store_in_tx(st);
    if (inside && store_scope_begin(st, &scope) < 0)
        return;
    if ((s = store_stmt(st, sql_health_pg)) == NULL) {
        if (inside)
            store_scope_end(st, scope, 0);
        return;
    }
    if (db_step(s) == DB_ROW) {
        visible = db_col_int64(s, 1) != 0;
        out->role = db_col_int64(s, 0) ? STORE_ROLE_STANDBY : STORE_ROLE_PRIMARY;
        if (out->role == STORE_ROLE_STANDBY) {
            out->lag_ms = db_col_is_null(s, 3) ? -1 : db_col_int64(s, 3);
        } else if (visible) {
            out->sync_standbys = (int)db_col_int64(s, 2);
            out->lag_ms = out->sync_standbys > 0 ? db_col_int64(s, 3) : -1;
        }
    }
    db_reset(s);
    if (inside)
        store_scope_end(st, scope, 0);
}

const char *store_role_name(enum store_role role)
{
    switch (role) {
    case STORE_ROLE_SQLITE:
        return "sqlite";
    case STORE_ROLE_PRIMARY:
        return "primary";
    case STORE_ROLE_STANDBY:
        return "standby";
    default:
        return "unreachable";
    }
}

unsigned long long store_losses(const struct store *st)
{
    return db_pg_losses(st->db);
}

int store_away(const struct store *st)
{
    return db_pg_away(st->db);
}
