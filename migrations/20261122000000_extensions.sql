-- Extensions the schema relies on: exclusion constraints over time ranges
-- (btree_gist), fuzzy search on names (pg_trgm) and case-insensitive email (citext).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS citext;
