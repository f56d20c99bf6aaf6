#!/bin/sh
# Runs once, when the PostgreSQL volume is empty: the schema owner (used only
# by the migration), the casebridge_app group the migrations grant to, and the
# server's login role in it. Passwords are the fifth field of the pgpass
# secrets, so each lives in one place.
set -eu
pw() { cut -d: -f5 "$1" | head -n 1; }
owner_pw=$(pw /run/secrets/owner-pgpass)
server_pw=$(pw /run/secrets/server-pgpass)
psql -v ON_ERROR_STOP=1 -U postgres -d postgres \
  -v owner_pw="$owner_pw" -v server_pw="$server_pw" <<'SQL'
CREATE ROLE casebridge_owner LOGIN PASSWORD :'owner_pw';
CREATE ROLE casebridge_app NOLOGIN;
CREATE ROLE casebridge_server LOGIN PASSWORD :'server_pw' IN ROLE casebridge_app;
CREATE DATABASE casebridge OWNER casebridge_owner;
REVOKE ALL ON DATABASE casebridge FROM PUBLIC;
GRANT CONNECT ON DATABASE casebridge TO casebridge_app;
SQL
