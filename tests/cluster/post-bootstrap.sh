#!/bin/sh
# SPDX-License-Identifier: ISC
#
# Patroni's bootstrap.post_bootstrap hook: runs once, on the node that
# initialised the cluster, after initdb and before any replica exists.
# Creates the `kpass` login role and the `kpass` database it owns.
#
#   post-bootstrap.sh CONNSTRING       (Patroni appends the superuser's URL)
#
# The password is read from the file named by KPASS_DB_PASSWORD_FILE (set in
# Patroni's environment), never from the command line or the YAML: psql
# reads the file itself (\set with a backquoted cat), so the password is in
# no process's arguments (`ps`).  It reaches the server inside the ALTER
# ROLE statement over the connection Patroni gives, and is stored as a
# SCRAM-SHA-256 verifier (password_encryption, PostgreSQL 15's default);
# log_statement is off by default, so it is not logged either.
set -eu
conn=${1:?usage: post-bootstrap.sh CONNSTRING}
pwfile=${KPASS_DB_PASSWORD_FILE:?KPASS_DB_PASSWORD_FILE is not set}
[ -s "$pwfile" ] || { echo "post-bootstrap: $pwfile is missing or empty" >&2; exit 1; }

psql -X -q -v ON_ERROR_STOP=1 -d "$conn" <<'SQL'
\set pw `cat "$KPASS_DB_PASSWORD_FILE"`
SET synchronous_commit = local;
CREATE ROLE kpass LOGIN;
ALTER ROLE kpass PASSWORD :'pw';
CREATE DATABASE kpass OWNER kpass;
-- /healthz and /metrics read the synchronous standby's lag from
-- pg_stat_replication, whose details only pg_monitor's members see
GRANT pg_monitor TO kpass;
SQL
