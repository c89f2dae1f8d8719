#!/bin/bash
# Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d): one
# database per service, each owned by a role of its own, so no service can read another's tables.
# Passwords come from the environment (<NAME>_DB_PASSWORD), never from this file.
set -euo pipefail

for name in donations matching programs notifications gateway; do
  var="${name^^}_DB_PASSWORD"
  password="${!var:?$var is not set}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="$name" -v password="$password" -v db="jii_$name" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
done
