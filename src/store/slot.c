/* SPDX-License-Identifier: ISC */
/*
 * Client-mode bind slots of a cluster (issue 12, doc/cluster.md 5.4): a
 * node binds a partner's slot only while it holds the slot's PostgreSQL
 * session advisory lock.  The locks go with the connection: a node that
 * dies, or a database that fails over, frees them.  PostgreSQL only
 * (store_shared()); a lone node binds every slot without asking.
 */
#include "kpass/core/err.h"
#include "kpass/store/backend.h"
#include "kpass/store/slot.h"
#include "store_internal.h"

/* Two keys per lock: the class after the daemons' lock (db_pg.c's
   1802526579) and a hash of the schema, partner and slot, so that two
   installations in one database do not share slots. */
#define SLOT_KEY "hashtext(current_schema() || '/' || CAST(?1 AS TEXT) || '/' || CAST(?2 AS TEXT))"

/* 1: this session holds it already (checked in pg_locks, which the new
   primary of a failover empties); 2: just taken; 0: another node's. */
static const char sql_hold[] =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
    "AND pid = pg_backend_pid() AND classid = 1802526580 AND objid = CAST(" SLOT_KEY " AS oid) "
    "AND objsubid = 2 AND granted) THEN 1 "
    "WHEN pg_try_advisory_lock(1802526580, " SLOT_KEY ") THEN 2 ELSE 0 END";
static const char sql_release[] =
    "SELECT CAST(pg_advisory_unlock(1802526580, " SLOT_KEY ") AS INTEGER)";
/* The nodes alive: the sessions holding the daemons' lock in shared mode. */
static const char sql_live[] =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1802526579 "
    "AND objid = CAST(hashtext(current_schema()) AS oid) AND objsubid = 2 AND granted";

/* One row, one integer column. */
static int slot_query(struct store *st, const char *sql, int64_t partner_id, int slot)
{
    struct db_stmt *s;
    int rc = -KP_ERR_DB;

    if (!store_shared(st))
        return -KP_ERR_INVAL;
    if ((s = store_stmt(st, sql)) == NULL)
        return -KP_ERR_DB;
    if (slot >= 0) {
        db_bind_int64(s, 1, partner_id);
        db_bind_int64(s, 2, slot);
    }
    if (db_step(s) == DB_ROW)
        rc = (int)db_col_int64(s, 0);
    db_reset(s);
    return rc;
}

int store_slot_hold(struct store *st, int64_t partner_id, unsigned slot)
{
    int rc = slot_query(st, sql_hold, partner_id, (int)slot);

    return rc < 0 ? rc : rc > 0;
}

int store_slot_release(struct store *st, int64_t partner_id, unsigned slot)
{
    int rc = slot_query(st, sql_release, partner_id, (int)slot);

    return rc < 0 ? rc : 0;
}

int store_nodes_live(struct store *st)
{
    return slot_query(st, sql_live, 0, -1);
}
