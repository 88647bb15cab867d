-- externalId is not unique (RFC 7643 §3.1 asks for no uniqueness; Entra's default mapping fills it from
-- mailNickname, which a tenant need not keep unique): still indexed for look-ups, case-exact, and a filter on it
-- returns every match. Keep in step with ../../postgres/2026-12-01-000003_external_id_not_unique.
DROP INDEX users_org_external_id;
CREATE INDEX users_org_external_id ON users (org, external_id) WHERE external_id IS NOT NULL;
