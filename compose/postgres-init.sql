-- Runs once, on the first start of the postgres container (docker-entrypoint-initdb.d):
-- the three systems of record, one database each, as in stack/README.md.
CREATE DATABASE orders;
CREATE DATABASE gateway;
CREATE DATABASE kitchen;
