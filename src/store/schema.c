/* SPDX-License-Identifier: ISC */
/*
 * The schema, as numbered migrations.  A migration is never edited once
 * released: changes are new migrations appended to the list.
 */
#include "kpass/core/mem.h"
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
     "  password_hash TEXT," /* server mode: crypto_pwhash_str */
     "  password_enc TEXT,"  /* client mode: secretbox under keys/partner.key */
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
    {2, /* the services directory: departments, districts, services, offices */
     "CREATE TABLE department ("
     "  id INTEGER PRIMARY KEY,"
     "  code TEXT NOT NULL UNIQUE"
     "    CHECK (length(code) BETWEEN 2 AND 8 AND code NOT GLOB '*[^A-Z0-9]*'),"
     "  name_en TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 30),"
     "  name_ur TEXT NOT NULL CHECK (length(name_ur) BETWEEN 1 AND 60),"
     "  name_ps TEXT NOT NULL DEFAULT '' CHECK (length(name_ps) <= 60),"
     "  sort INTEGER NOT NULL DEFAULT 0);" /* position in the imported file */
     "CREATE INDEX department_sort ON department (sort, code);"
     "CREATE TABLE district ("
     "  id INTEGER PRIMARY KEY,"
     "  code TEXT NOT NULL UNIQUE"
     "    CHECK (length(code) BETWEEN 2 AND 8 AND code NOT GLOB '*[^A-Z0-9]*'),"
     "  name_en TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 30),"
     "  name_ur TEXT NOT NULL CHECK (length(name_ur) BETWEEN 1 AND 60),"
     "  name_ps TEXT NOT NULL DEFAULT '' CHECK (length(name_ps) <= 60),"
     "  division TEXT NOT NULL CHECK (length(division) BETWEEN 1 AND 30),"
     "  sort INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX district_sort ON district (sort, code);"
     "CREATE TABLE service ("
     "  id INTEGER PRIMARY KEY,"
     "  code TEXT NOT NULL UNIQUE"
     "    CHECK (length(code) BETWEEN 2 AND 8 AND code NOT GLOB '*[^A-Z0-9]*'),"
     "  department_id INTEGER NOT NULL REFERENCES department (id),"
     "  name_en TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 32),"
     "  name_ur TEXT NOT NULL CHECK (length(name_ur) BETWEEN 1 AND 60),"
     "  name_ps TEXT NOT NULL DEFAULT '' CHECK (length(name_ps) <= 60),"
     "  description_en TEXT NOT NULL CHECK (length(description_en) BETWEEN 1 AND 160),"
     "  description_ur TEXT NOT NULL DEFAULT '' CHECK (length(description_ur) <= 160),"
     "  fee TEXT NOT NULL CHECK (fee IN ('Free', 'Varies') OR fee GLOB 'Rs [1-9]*'),"
     "  documents TEXT NOT NULL CHECK (length(documents) BETWEEN 1 AND 80),"
     "  processing_time TEXT NOT NULL CHECK (length(processing_time) BETWEEN 1 AND 16),"
     "  where_to_apply TEXT NOT NULL CHECK (length(where_to_apply) BETWEEN 1 AND 40),"
     "  online INTEGER NOT NULL CHECK (online IN (0, 1)),"
     "  ussd INTEGER NOT NULL CHECK (ussd IN (0, 1)),"
     "  sort INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX service_department ON service (department_id, sort, code);"
     "CREATE TABLE office ("
     "  id INTEGER PRIMARY KEY,"
     "  code TEXT NOT NULL UNIQUE"
     "    CHECK (length(code) BETWEEN 2 AND 8 AND code NOT GLOB '*[^A-Z0-9]*'),"
     "  district_id INTEGER NOT NULL REFERENCES district (id),"
     "  name_en TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 40),"
     "  name_ur TEXT NOT NULL CHECK (length(name_ur) BETWEEN 1 AND 60),"
     "  address TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 80),"
     "  hours TEXT NOT NULL CHECK (length(hours) BETWEEN 1 AND 24),"
     "  phone TEXT NOT NULL CHECK (length(phone) BETWEEN 1 AND 16),"
     "  sort INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX office_district ON office (district_id, sort, code);"
     "CREATE TABLE office_service ("
     "  office_id INTEGER NOT NULL REFERENCES office (id) ON DELETE CASCADE,"
     "  service_id INTEGER NOT NULL REFERENCES service (id),"
     "  pos INTEGER NOT NULL," /* order of the office's list */
     "  PRIMARY KEY (office_id, service_id)) WITHOUT ROWID;"
     "CREATE INDEX office_service_service ON office_service (service_id, office_id);"
     /* Keyword search: an FTS5 index over the service texts (external
        content: the words live in service, the index only points at rows),
        kept in step by triggers.  unicode61 folds case and Latin
        diacritics; marks (M*) count as letters so that Urdu words with
        a superscript alef or other combining marks stay whole. */
     "CREATE VIRTUAL TABLE service_fts USING fts5("
     "  name_en, name_ur, name_ps, description_en, description_ur,"
     "  content = 'service', content_rowid = 'id',"
     "  tokenize = \"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\");"
     "CREATE TRIGGER service_fts_insert AFTER INSERT ON service BEGIN"
     "  INSERT INTO service_fts (rowid, name_en, name_ur, name_ps, description_en,"
     "    description_ur) VALUES (new.id, new.name_en, new.name_ur, new.name_ps,"
     "    new.description_en, new.description_ur);"
     "END;"
     "CREATE TRIGGER service_fts_delete AFTER DELETE ON service BEGIN"
     "  INSERT INTO service_fts (service_fts, rowid, name_en, name_ur, name_ps,"
     "    description_en, description_ur) VALUES ('delete', old.id, old.name_en,"
     "    old.name_ur, old.name_ps, old.description_en, old.description_ur);"
     "END;"
     "CREATE TRIGGER service_fts_update"
     "  AFTER UPDATE OF name_en, name_ur, name_ps, description_en, description_ur"
     "  ON service BEGIN"
     "  INSERT INTO service_fts (service_fts, rowid, name_en, name_ur, name_ps,"
     "    description_en, description_ur) VALUES ('delete', old.id, old.name_en,"
     "    old.name_ur, old.name_ps, old.description_en, old.description_ur);"
     "  INSERT INTO service_fts (rowid, name_en, name_ur, name_ps, description_en,"
     "    description_ur) VALUES (new.id, new.name_en, new.name_ur, new.name_ps,"
     "    new.description_en, new.description_ur);"
     "END;"},
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
     /* 0: the daemon's [ussd] gsm7_limit / ucs2_limit */
     "ALTER TABLE partner ADD COLUMN gsm7_limit INTEGER NOT NULL DEFAULT 0"
     "  CHECK (gsm7_limit = 0 OR gsm7_limit BETWEEN 40 AND 254);"
     "ALTER TABLE partner ADD COLUMN ucs2_limit INTEGER NOT NULL DEFAULT 0"
     "  CHECK (ucs2_limit = 0 OR ucs2_limit BETWEEN 20 AND 127);"},
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
     "  body TEXT," /* NULL once scrubbed */
     "  is_code INTEGER NOT NULL DEFAULT 0 CHECK (is_code IN (0, 1)),"
     "  subject TEXT," /* the citizen's CNIC index, for the audit log */
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
    {8, /* QR credentials (store_credential.h): one row per KP1 token issued */
     "CREATE TABLE credential ("
     "  serial TEXT PRIMARY KEY" /* 12 random octets as lower-case hex: the token's serial */
     "    CHECK (length(serial) = 24 AND serial NOT GLOB '*[^0-9a-f]*'),"
     "  citizen_id INTEGER NOT NULL REFERENCES citizen (id),"
     "  key_id TEXT NOT NULL CHECK (length(key_id) = 8 AND key_id NOT GLOB '*[^0-9a-f]*'),"
     "  issued_at INTEGER NOT NULL CHECK (issued_at BETWEEN 0 AND 4294967295),"
     "  valid_days INTEGER NOT NULL CHECK (valid_days BETWEEN 1 AND 65535),"
     "  expires_at INTEGER NOT NULL CHECK (expires_at = issued_at + 86400 * valid_days),"
     "  revoked_at INTEGER CHECK (revoked_at IS NULL OR revoked_at >= 0),"
     "  revoke_reason TEXT NOT NULL DEFAULT ''"
     "    CHECK (length(revoke_reason) <= 150 AND (revoked_at IS NOT NULL OR revoke_reason = ''))"
     ") WITHOUT ROWID;"
     "CREATE INDEX credential_citizen ON credential (citizen_id, issued_at);"},
    {9, /* office desks and staff (store_desk.h) */
     "CREATE TABLE desk ("
     "  id TEXT PRIMARY KEY CHECK (id = office || '-' || seq),"
     "  office TEXT NOT NULL REFERENCES office (code),"
     "  seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 9999),"
     "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 40),"
     "  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
     "  created_at INTEGER NOT NULL,"
     "  revoked_at INTEGER CHECK (revoked_at IS NULL OR revoked_at >= created_at),"
     "  UNIQUE (office, seq)) WITHOUT ROWID;"
     "CREATE TABLE staff ("
     "  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 4 AND 15"
     "    AND id GLOB '[A-Z]*-[0-9]*' AND id NOT GLOB '*[^A-Z0-9-]*'),"
     "  office TEXT NOT NULL REFERENCES office (code),"
     "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
     "  pin_hash TEXT NOT NULL CHECK (pin_hash GLOB '$argon2*'),"
     "  failed_pins INTEGER NOT NULL DEFAULT 0 CHECK (failed_pins >= 0),"
     "  locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE INDEX staff_office ON staff (office, id);"},
    {10, /* desk sessions and in-person verifications */
     "CREATE TABLE desk_session ("
     "  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
     "  desk TEXT NOT NULL,"
     "  staff TEXT NOT NULL,"
     "  office TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE INDEX desk_session_expiry ON desk_session (expires_at);"
     "CREATE TABLE verification ("
     "  id TEXT PRIMARY KEY CHECK (length(id) = 32),"
     "  office TEXT NOT NULL,"
     "  desk TEXT NOT NULL,"
     "  staff TEXT NOT NULL,"
     "  citizen_id INTEGER NOT NULL,"
     "  serial TEXT NOT NULL,"
     "  state TEXT NOT NULL CHECK (state IN ('scanned', 'code_sent', 'verified', 'failed')),"
     "  purpose TEXT NOT NULL DEFAULT '',"
     "  receipt_id TEXT NOT NULL DEFAULT '',"
     "  biometric TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"},
    {11, /* issue 8: sessions that end with their desk or staff member, verifications
            that expire, and the change counter a running kpassd follows */
     /* Which PIN a session was signed in with: it stands only while it is the staff
        member's PIN (a counter, not a time: exact even within one second). */
     "ALTER TABLE staff ADD COLUMN pin_version INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE desk_session ADD COLUMN pin_version INTEGER NOT NULL DEFAULT 0;"
     "CREATE INDEX desk_session_desk ON desk_session (desk);"
     "CREATE INDEX desk_session_staff ON desk_session (staff);"
     /* A CHECK cannot be altered in SQLite: the table is rebuilt with 'expired'. */
     "CREATE TABLE verification_v11 ("
     "  id TEXT PRIMARY KEY CHECK (length(id) = 32),"
     "  office TEXT NOT NULL,"
     "  desk TEXT NOT NULL,"
     "  staff TEXT NOT NULL,"
     "  citizen_id INTEGER NOT NULL,"
     "  serial TEXT NOT NULL,"
     "  state TEXT NOT NULL"
     "    CHECK (state IN ('scanned', 'code_sent', 'verified', 'failed', 'expired')),"
     "  purpose TEXT NOT NULL DEFAULT '',"
     "  receipt_id TEXT NOT NULL DEFAULT '',"
     "  biometric TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
     "INSERT INTO verification_v11 SELECT id, office, desk, staff, citizen_id, serial, state,"
     "  purpose, receipt_id, biometric, created_at, updated_at FROM verification;"
     "DROP TABLE verification;"
     "ALTER TABLE verification_v11 RENAME TO verification;"
     /* Only the verifications still under way, for the housekeeping sweep. */
     "CREATE INDEX verification_open ON verification (created_at)"
     "  WHERE state IN ('scanned', 'code_sent');"
     /* One row: version counts the changes a running daemon must follow,
        keys_version the last of them that changed the key folder, applied
        the version the daemon has taken in, daemon_pid who (0: none). */
     "CREATE TABLE change_counter ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  version INTEGER NOT NULL DEFAULT 0,"
     "  keys_version INTEGER NOT NULL DEFAULT 0,"
     "  applied INTEGER NOT NULL DEFAULT 0,"
     "  applied_at INTEGER NOT NULL DEFAULT 0,"
     "  daemon_pid INTEGER NOT NULL DEFAULT 0);"
     "INSERT INTO change_counter (id) VALUES (1);"},
    {12, /* SMS: the code out of the text (sealed apart), the concatenation reference kept */
     "ALTER TABLE sms_outbox ADD COLUMN code_at INTEGER;" /* where the code goes in body */
     "ALTER TABLE sms_outbox ADD COLUMN code_box BLOB;"   /* otp_code_seal(); NULL once scrubbed */
     "ALTER TABLE sms_outbox ADD COLUMN concat_ref INTEGER;"}, /* chosen at the first send */
    {13, /* USSD code requests, answered at once and issued after the answer left */
     "CREATE TABLE code_request ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: kp_builtins counts by id */
     "  msisdn TEXT NOT NULL,"
     "  purpose TEXT NOT NULL,"
     "  citizen_id INTEGER," /* NULL: the number or the digits did not match */
     "  at INTEGER NOT NULL);"},
    {14, /* issue 11: receipts looked up by id (GET /v1/receipts/{id}, kpass receipt show) */
     /* The signed KPR1 text as the desk got it ('' before this version: not kept). */
     "ALTER TABLE verification ADD COLUMN receipt TEXT NOT NULL DEFAULT '';"
     "CREATE INDEX verification_receipt ON verification (receipt_id) WHERE receipt_id != '';"},
    {15, /* issue 15: a credential suspended by its citizen (over USSD) until an office
            lifts it; NULL: not suspended.  Revocation stays final and wins. */
     "ALTER TABLE credential ADD COLUMN suspended_at INTEGER"
     "  CHECK (suspended_at IS NULL OR suspended_at >= 0);"},
    {16, /* issue 11: Roman Urdu ('ur-Latn') may be remembered (SQLite cannot
            change a CHECK, so the table is built again with its rows); a
            partner may set the language of its first-time callers */
     "CREATE TABLE msisdn_lang_new ("
     "  msisdn TEXT PRIMARY KEY,"
     "  lang TEXT NOT NULL CHECK (lang IN ('en', 'ur', 'ps', 'ur-Latn')),"
     "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
     "INSERT INTO msisdn_lang_new (msisdn, lang, updated_at)"
     "  SELECT msisdn, lang, updated_at FROM msisdn_lang;"
     "DROP TABLE msisdn_lang;"
     "ALTER TABLE msisdn_lang_new RENAME TO msisdn_lang;"
     /* the language of a partner's first-time callers; '': the code's, else en */
     "ALTER TABLE partner ADD COLUMN first_lang TEXT NOT NULL DEFAULT ''"
     "  CHECK (first_lang IN ('', 'en', 'ur', 'ps', 'ur-Latn'));"},
    {17, /* issue 11: the directory in every language, and distances between districts */
     /* One translation a row (store_dir_text_put): the rows of the directory
        tables keep their own name_ur/name_ps columns, everything else in
        Pashto and Roman Urdu, and Urdu descriptions of documents, places and
        addresses, lives here.  The row it belongs to is found by kind and
        code, so that a translation survives the row's re-import; a
        translation of a row that no longer exists is left behind harmlessly
        (every read joins on the row) and replaced by a re-import. */
     "CREATE TABLE dir_text ("
     "  kind TEXT NOT NULL CHECK (kind IN ('department', 'district', 'service', 'office')),"
     "  code TEXT NOT NULL CHECK (length(code) BETWEEN 2 AND 8),"
     "  field TEXT NOT NULL CHECK (field IN ('name', 'description', 'documents', 'where',"
     "    'keywords', 'address')),"
     "  lang TEXT NOT NULL CHECK (lang IN ('en', 'ur', 'ps', 'ur-Latn')),"
     "  text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 160),"
     "  PRIMARY KEY (kind, code, field, lang)) WITHOUT ROWID;"
     "CREATE TABLE district_distance ("
     "  district_id INTEGER NOT NULL REFERENCES district (id) ON DELETE CASCADE,"
     "  near_id INTEGER NOT NULL REFERENCES district (id) ON DELETE CASCADE,"
     "  km INTEGER NOT NULL CHECK (km BETWEEN 1 AND 2000),"
     "  PRIMARY KEY (district_id, near_id), CHECK (district_id <> near_id)) WITHOUT ROWID;"
     /* A USSD code request's SMS goes out in the dialog's language. */
     "ALTER TABLE code_request ADD COLUMN lang TEXT NOT NULL DEFAULT 'en'"
     "  CHECK (lang IN ('en', 'ur', 'ps', 'ur-Latn'));"},
    {18, /* issue 13: department USSD apps (`kpass app`); the secret stays in its file */
     "CREATE TABLE dept_app ("
     "  name TEXT PRIMARY KEY,"
     "  department TEXT NOT NULL," /* pseudonyms are per department */
     "  url TEXT NOT NULL,"
     "  secret_file TEXT NOT NULL,"
     "  timeout_ms INTEGER NOT NULL CHECK (timeout_ms BETWEEN 100 AND 30000),"
     "  service_codes TEXT NOT NULL DEFAULT ''," /* "*789#,*790#"; '': any */
     "  enabled INTEGER NOT NULL DEFAULT 1,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"},
    {19, /* issue 13: departments as API clients: notices by CNIC, signed callbacks */
     "CREATE TABLE dept_api ("
     "  department TEXT PRIMARY KEY,"
     "  token_hash BLOB NOT NULL UNIQUE," /* BLAKE2b-256 of a random bearer token */
     "  quota_day INTEGER NOT NULL CHECK (quota_day >= 0),"
     "  callback_url TEXT NOT NULL DEFAULT '',"
     "  secret_file TEXT NOT NULL DEFAULT ''," /* callbacks' signing secret stays in its file */
     "  created_at INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE dept_template ("
     "  department TEXT NOT NULL,"
     "  name TEXT NOT NULL,"
     "  lang TEXT NOT NULL CHECK (lang IN ('en', 'ur', 'ps')),"
     "  body TEXT NOT NULL,"
     "  PRIMARY KEY (department, name, lang)) WITHOUT ROWID;"
     "CREATE TABLE notice ("
     "  id TEXT PRIMARY KEY CHECK (length(id) = 32),"
     "  department TEXT NOT NULL,"
     "  template TEXT NOT NULL,"
     "  sms_id INTEGER," /* NULL: the CNIC has no registered number */
     "  lang TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  callback_done INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
     "CREATE INDEX notice_quota ON notice (department, created_at);"
     "CREATE INDEX notice_open ON notice (created_at) WHERE callback_done = 0;"
     "CREATE TABLE webhook ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  department TEXT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  ref TEXT NOT NULL,"
     "  url TEXT NOT NULL,"
     "  body TEXT NOT NULL,"
     "  state INTEGER NOT NULL DEFAULT 0," /* 0 pending, 1 delivered, 2 failed */
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  next_at INTEGER NOT NULL,"
     "  last_status INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"
     "CREATE INDEX webhook_due ON webhook (next_at) WHERE state = 0;"
     /* a department's callbacks for desk verifications that end VERIFIED, per purpose and office */
     "CREATE TABLE dept_subscription ("
     "  department TEXT NOT NULL,"
     "  purpose TEXT NOT NULL,"
     "  office TEXT NOT NULL," /* a desk office's code, or '*': every office */
     "  PRIMARY KEY (department, purpose, office)) WITHOUT ROWID;"
     /* "It was not me": a citizen disputes a verification (the USSD push) */
     /* the operators' SIM-swap APIs (CAMARA shaped), by the numbers they serve */
     "CREATE TABLE simswap_api ("
     "  partner TEXT PRIMARY KEY," /* the operator's partner system_id */
     "  prefixes TEXT NOT NULL,"   /* "+92300,+92301": the numbers it answers for */
     "  url TEXT NOT NULL,"
     "  token_file TEXT NOT NULL DEFAULT '',"
     "  max_age_h INTEGER NOT NULL CHECK (max_age_h BETWEEN 1 AND 2400),"
     "  timeout_ms INTEGER NOT NULL CHECK (timeout_ms BETWEEN 100 AND 30000),"
     "  on_timeout TEXT NOT NULL CHECK (on_timeout IN ('send', 'hold'))) WITHOUT ROWID;"
     "CREATE TABLE verification_dispute ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  verification TEXT NOT NULL,"
     "  via TEXT NOT NULL,"
     "  at INTEGER NOT NULL);"},
    {20, /* issue 12: a cluster node claims the messages it sends for a lease
            (claimed_by its [daemon] node, lease_until in seconds); a dead
            node's claims are taken over once the lease passed */
     "ALTER TABLE sms_outbox ADD COLUMN claimed_by TEXT;"
     "ALTER TABLE sms_outbox ADD COLUMN lease_until INTEGER;"
     "CREATE INDEX sms_claims ON sms_outbox (lease_until) WHERE state = 'sending';"},
    {21, /* issue 12: security limits counted in the database, whichever node is asked:
            failed SMPP binds per source address and minute, and one row per issue
            key whose lock serialises "count the window, then log" across nodes */
     "CREATE TABLE bind_failure ("
     "  addr TEXT PRIMARY KEY,"
     "  window_start INTEGER NOT NULL,"
     "  failures INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE TABLE otp_gate ("
     "  key TEXT PRIMARY KEY,"
     "  at INTEGER NOT NULL) WITHOUT ROWID;"},
    {22, /* issue 12: PostgreSQL's word search index (schema_pg.c); SQLite's is
            FTS5's service_fts since 2: nothing to do, the number kept in step */
     "SELECT 1;"},
};

const struct store_migration *store_migrations(int *count)
{
    *count = (int)KP_ARRAY_LEN(migrations);
    return migrations;
}

const struct store_migration *store_migrations_kind(enum db_kind kind, int *count)
{
    if (kind == DB_SQLITE)
        return store_migrations(count);
    if (kind == DB_POSTGRESQL)
        return store_migrations_pg(count);
    *count = 0;
    return NULL;
}
