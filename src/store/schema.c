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
};

const struct store_migration *store_migrations(int *count)
{
    *count = (int)KP_ARRAY_LEN(migrations);
    return migrations;
}
