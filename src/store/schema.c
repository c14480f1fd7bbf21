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
    /* 2, 3, 4: the services directory, the audit log, citizens (other branches) */
    {5, /* USSD dialogs, per-partner screen limits, remembered languages */
     "CREATE TABLE dialog ("
     "  partner_id INTEGER NOT NULL REFERENCES partner(id) ON DELETE CASCADE,"
     "  session_key TEXT NOT NULL,"
     "  msisdn TEXT NOT NULL,"
     "  graph_version TEXT NOT NULL,"
     "  screen TEXT NOT NULL DEFAULT '',"
     "  lang TEXT NOT NULL DEFAULT 'en',"
     "  resumable INTEGER NOT NULL DEFAULT 1 CHECK (resumable IN (0, 1)),"
     "  started_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  state BLOB NOT NULL,"
     "  PRIMARY KEY (partner_id, session_key)) WITHOUT ROWID;"
     "CREATE INDEX dialog_by_msisdn ON dialog (msisdn, partner_id, updated_at);"
     "CREATE INDEX dialog_by_age ON dialog (updated_at);"
     "CREATE TABLE msisdn_lang ("
     "  msisdn TEXT PRIMARY KEY,"
     "  lang TEXT NOT NULL CHECK (lang IN ('en', 'ur', 'ps')),"
     "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
     "ALTER TABLE partner ADD COLUMN gsm7_limit INTEGER NOT NULL DEFAULT 182"
     "  CHECK (gsm7_limit BETWEEN 40 AND 254);"
     "ALTER TABLE partner ADD COLUMN ucs2_limit INTEGER NOT NULL DEFAULT 80"
     "  CHECK (ucs2_limit BETWEEN 20 AND 127);"},
    {6, /* one-time codes: keyed hashes only, the issue log, lockouts */
     "CREATE TABLE otp_code ("
     "  id INTEGER PRIMARY KEY,"
     "  citizen_id INTEGER NOT NULL,"
     "  purpose TEXT NOT NULL,"
     "  office TEXT NOT NULL DEFAULT '',"
     "  desk TEXT NOT NULL DEFAULT '',"
     "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
     "  msisdn TEXT NOT NULL,"
     "  issued_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  tries INTEGER NOT NULL DEFAULT 0,"
     "  use INTEGER NOT NULL DEFAULT 0 CHECK (use BETWEEN 0 AND 3),"
     "  sms_id INTEGER);"
     "CREATE INDEX otp_binding ON otp_code (citizen_id, purpose, office, desk, id);"
     "CREATE TABLE otp_log (key TEXT NOT NULL, at INTEGER NOT NULL);"
     "CREATE INDEX otp_log_key ON otp_log (key, at);"
     "CREATE TABLE otp_lock ("
     "  citizen_id INTEGER PRIMARY KEY,"
     "  failures INTEGER NOT NULL DEFAULT 0,"
     "  lockouts INTEGER NOT NULL DEFAULT 0,"
     "  locked_until INTEGER NOT NULL DEFAULT 0);"},
    {7, /* the SMS outbox */
     "CREATE TABLE sms_outbox ("
     "  id INTEGER PRIMARY KEY,"
     "  msisdn TEXT NOT NULL,"
     "  body TEXT,"                       /* NULL once scrubbed */
     "  is_code INTEGER NOT NULL DEFAULT 0 CHECK (is_code IN (0, 1)),"
     "  subject TEXT,"                    /* the citizen's CNIC index, for the audit log */
     "  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered',"
     "    'undeliverable', 'expired', 'failed')),"
     "  partner_id INTEGER REFERENCES partner(id) ON DELETE SET NULL,"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  next_attempt_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  message_id TEXT,"
     "  parts INTEGER NOT NULL DEFAULT 0,"
     "  last_status INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"
     "CREATE INDEX sms_due ON sms_outbox (state, next_attempt_at);"
     "CREATE INDEX sms_scrub ON sms_outbox (is_code, expires_at) WHERE body IS NOT NULL;"
     "CREATE TABLE sms_part ("
     "  sms_id INTEGER NOT NULL REFERENCES sms_outbox(id) ON DELETE CASCADE,"
     "  part INTEGER NOT NULL,"
     "  partner_id INTEGER NOT NULL,"
     "  message_id TEXT NOT NULL,"
     "  PRIMARY KEY (sms_id, part));"
     "CREATE INDEX sms_part_by_id ON sms_part (partner_id, message_id);"},
};

const struct store_migration *store_migrations(int *count)
{
    *count = (int)KP_ARRAY_LEN(migrations);
    return migrations;
}
