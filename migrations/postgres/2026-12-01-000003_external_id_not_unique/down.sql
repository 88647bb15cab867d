DROP INDEX users_org_external_id;
CREATE UNIQUE INDEX users_org_external_id ON users (org, external_id) WHERE external_id IS NOT NULL;
