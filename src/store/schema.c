/* SPDX-License-Identifier: ISC */
/*
 * The schema, as numbered migrations.  A migration is never edited once
 * released: changes are new migrations appended to the list.
 */
#include "kpass/mem.h"
#include "store_internal.h"

static const struct store_migration migrations[] = {
    {1, /* schema bookkeeping and SMPP partners */
     "CREATE TABLE IF NOT EXISTS schema_version ("
     "  version INTEGER PRIMARY KEY,"
     "  applied_at INTEGER NOT NULL);"
     "CREATE TABLE partner ("
     "  id INTEGER PRIMARY KEY,"
     "  system_id TEXT NOT NULL UNIQUE CHECK (length(system_id) BETWEEN 1 AND 15),"
     "  mode TEXT NOT NULL CHECK (mode IN ('server', 'client')),"
     "  password_hash TEXT,"  /* server mode: crypto_pwhash_str */
     "  password_enc TEXT,"   /* client mode: secretbox under keys/partner.key */
     "  system_type TEXT NOT NULL DEFAULT '' CHECK (length(system_type) <= 12),"
     "  host TEXT,"
     "  port INTEGER CHECK (port IS NULL OR port BETWEEN 1 AND 65535),"
     "  bind_type TEXT NOT NULL DEFAULT 'transceiver'"
     "    CHECK (bind_type IN ('transmitter', 'receiver', 'transceiver')),"
     "  binds INTEGER NOT NULL DEFAULT 1 CHECK (binds BETWEEN 1 AND 64),"
     "  allowed_cidrs TEXT NOT NULL DEFAULT '',"
     "  max_binds INTEGER NOT NULL DEFAULT 4 CHECK (max_binds BETWEEN 1 AND 1000),"
     "  throughput INTEGER NOT NULL DEFAULT 0 CHECK (throughput >= 0),"
     "  burst INTEGER NOT NULL DEFAULT 0 CHECK (burst >= 0),"
     "  profile TEXT NOT NULL DEFAULT 'its-session',"
     "  carries_sms INTEGER NOT NULL DEFAULT 0 CHECK (carries_sms IN (0, 1)),"
     "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  CHECK ((mode = 'server' AND password_hash IS NOT NULL) OR"
     "         (mode = 'client' AND password_enc IS NOT NULL AND host IS NOT NULL"
     "          AND port IS NOT NULL)));"},
    {3, /* the audit log (store_audit.h): append-only, hash-chained */
     "CREATE TABLE audit ("
     "  id INTEGER PRIMARY KEY CHECK (id >= 1),"
     "  at INTEGER NOT NULL,"
     "  event TEXT NOT NULL CHECK (length(event) BETWEEN 3 AND 48"
     "    AND event GLOB '[a-z]*.[a-z_]*' AND event NOT GLOB '*[^a-z_.]*'),"
     "  actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 48),"
     "  subject BLOB CHECK (subject IS NULL OR length(subject) = 32)," /* CNIC index */
     "  detail TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 200),"
     "  prev BLOB NOT NULL CHECK (length(prev) = 32),"
     "  hash BLOB NOT NULL CHECK (length(hash) = 32));"
     "CREATE INDEX audit_subject ON audit (subject, id) WHERE subject IS NOT NULL;"
     "CREATE INDEX audit_event ON audit (event, id);"
     "CREATE INDEX audit_at ON audit (at);"
     /* Append only: the next id, nothing replaced (INSERT OR REPLACE would
        delete without firing a DELETE trigger), nothing changed or deleted. */
     "CREATE TRIGGER audit_append_only BEFORE INSERT ON audit"
     "  WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit)"
     "  BEGIN SELECT RAISE(ABORT, 'audit log: rows are only appended, with the next id'); END;"
     "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
     "  BEGIN SELECT RAISE(ABORT, 'audit log: rows cannot be changed'); END;"
     "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
     "  BEGIN SELECT RAISE(ABORT, 'audit log: rows cannot be deleted'); END;"},
    {4, /* the citizens registry (store_citizen.h) */
     "CREATE TABLE citizen ("
     "  id INTEGER PRIMARY KEY,"
     "  cnic_index BLOB NOT NULL UNIQUE CHECK (length(cnic_index) = 32),"
     "  cnic_box BLOB NOT NULL CHECK (length(cnic_box) = 53)," /* nonce || secretbox(13) */
     "  last4 TEXT NOT NULL CHECK (length(last4) = 4 AND last4 NOT GLOB '*[^0-9]*'),"
     "  name_en TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 64),"
     "  name_ur TEXT NOT NULL CHECK (length(name_ur) BETWEEN 1 AND 64),"
     "  district TEXT NOT NULL CHECK (length(district) BETWEEN 2 AND 8"
     "    AND district NOT GLOB '*[^A-Z0-9]*'),"
     "  status TEXT NOT NULL DEFAULT 'active'"
     "    CHECK (status IN ('active', 'blocked', 'deceased')),"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"
     "CREATE INDEX citizen_district ON citizen (district, id);"
     "CREATE INDEX citizen_status ON citizen (status, id);"
     "CREATE TABLE citizen_msisdn ("
     "  msisdn TEXT PRIMARY KEY CHECK (length(msisdn) BETWEEN 9 AND 16"
     "    AND msisdn GLOB '+[1-9]*' AND substr(msisdn, 2) NOT GLOB '*[^0-9]*'),"
     "  citizen_id INTEGER NOT NULL REFERENCES citizen (id) ON DELETE CASCADE,"
     "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE INDEX citizen_msisdn_citizen ON citizen_msisdn (citizen_id);"},
};

const struct store_migration *store_migrations(int *count)
{
    *count = (int)KP_ARRAY_LEN(migrations);
    return migrations;
}
