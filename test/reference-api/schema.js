/**
 * The schema, created idempotently (IF NOT EXISTS) on every start.
 *
 * Integer `serial` keys everywhere so ids come back from pg as JS numbers (bigint would arrive as
 * strings and make naive/optimized payload comparisons depend on driver details).
 * `organizations.owner_id` has no foreign key: the owner is a user of the organization, which must
 * exist first, and PostgreSQL 15 has no `ADD CONSTRAINT IF NOT EXISTS` to add it idempotently later.
 */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS organizations (
     id         serial PRIMARY KEY,
     name       text NOT NULL UNIQUE,
     owner_id   integer,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS users (
     id              serial PRIMARY KEY,
     email           text NOT NULL UNIQUE,
     full_name       text NOT NULL DEFAULT '',
     password_hash   text NOT NULL,
     organization_id integer NOT NULL REFERENCES organizations(id),
     is_active       boolean NOT NULL DEFAULT true,
     created_at      timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS users_organization_id_idx ON users (organization_id)`,
  `CREATE TABLE IF NOT EXISTS roles (
     id          serial PRIMARY KEY,
     name        text NOT NULL UNIQUE,
     description text NOT NULL DEFAULT ''
   )`,
  `CREATE TABLE IF NOT EXISTS permissions (
     id          serial PRIMARY KEY,
     name        text NOT NULL UNIQUE,
     description text NOT NULL DEFAULT ''
   )`,
  `CREATE TABLE IF NOT EXISTS role_permissions (
     role_id       integer NOT NULL REFERENCES roles(id),
     permission_id integer NOT NULL REFERENCES permissions(id),
     PRIMARY KEY (role_id, permission_id)
   )`,
  `CREATE TABLE IF NOT EXISTS user_roles (
     user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
     role_id integer NOT NULL REFERENCES roles(id),
     PRIMARY KEY (user_id, role_id)
   )`,
  `CREATE TABLE IF NOT EXISTS organization_settings (
     organization_id         integer PRIMARY KEY REFERENCES organizations(id),
     timezone                text NOT NULL,
     locale                  text NOT NULL,
     session_timeout_minutes integer NOT NULL,
     mfa_required            boolean NOT NULL,
     allowed_email_domains   text[] NOT NULL DEFAULT '{}',
     data_retention_days     integer NOT NULL,
     updated_at              timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS sso_configurations (
     organization_id         integer PRIMARY KEY REFERENCES organizations(id),
     provider                text NOT NULL,
     entity_id               text NOT NULL,
     sso_url                 text NOT NULL,
     certificate_fingerprint text NOT NULL,
     enabled                 boolean NOT NULL,
     updated_at              timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS audit_logs (
     id              serial PRIMARY KEY,
     organization_id integer NOT NULL REFERENCES organizations(id),
     user_id         integer NOT NULL REFERENCES users(id),
     action          text NOT NULL,
     resource_type   text NOT NULL,
     resource_id     text NOT NULL,
     ip_address      text NOT NULL,
     created_at      timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE INDEX IF NOT EXISTS audit_logs_created_at_idx ON audit_logs (created_at DESC, id DESC)`,
];
