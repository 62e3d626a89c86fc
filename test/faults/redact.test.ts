/** The one redaction registry's rules (issue #10), pure: what is secret, how it is masked, what is left alone. */
import { describe, expect, it } from 'vitest';
import { hasSecretShape, isSecretEnv, isSecretVariable, redactUrl, SecretRegistry } from '../../src/report/redact.js';
import { redactUrl as postgresRedactUrl } from '../../src/sources/postgres/connect.js';

describe('redaction registry', () => {
  it('URL passwords containing "@" are masked whole, any scheme, with or without a scheme', () => {
    expect(redactUrl('postgres://user:p@ss@host:5432/db')).toBe('postgres://user:***@host:5432/db');
    expect(redactUrl('ftp://user:pass@files.example/x')).toBe('ftp://user:***@files.example/x');
    expect(redactUrl('see //app:s3cret@h/x')).toBe('see //app:***@h/x');
    expect(redactUrl('http://h/x?user=a&password=s3cret&limit=5')).toBe('http://h/x?user=a&password=***&limit=5');
    expect(redactUrl('http://h/x?access_token=abc.def&api_key=k1')).toBe('http://h/x?access_token=***&api_key=***');
    // One implementation: the PostgreSQL module uses the same one.
    expect(postgresRedactUrl).toBe(redactUrl);
  });

  it("secret-named env vars are secret only when the value has a secret's shape", () => {
    expect(isSecretEnv('SESSION_TTL_MS', '1234')).toBe(false);
    expect(isSecretEnv('XDG_SESSION_CLASS', 'user')).toBe(false);
    expect(isSecretEnv('XDG_SESSION_TYPE', 'tty')).toBe(false);
    expect(isSecretEnv('DB_PASSWORD', 'hunter2')).toBe(true);
    expect(isSecretEnv('SERVICE_TOKEN', 'SvcT0ken-93kd0s')).toBe(true);
    expect(isSecretEnv('HOME', 'SvcT0ken-93kd0s')).toBe(false);
    expect(hasSecretShape('true')).toBe(false);
  });

  it('captured values: by name, or a 12+ character token under any name (a 16-character `auth`)', () => {
    expect(isSecretVariable('auth', 'Qm7xV2pL9sK4tR8w')).toBe(true);
    expect(isSecretVariable('whatever', 'Qm7xV2pL9sK4tR8w')).toBe(true);
    expect(isSecretVariable('user_id', '1234')).toBe(false);
    expect(isSecretVariable('email', 'qa-1@example.test')).toBe(false);
  });

  it('registers credential headers (and the part after Bearer), masks them, leaves "1 users" alone', () => {
    const registry = new SecretRegistry();
    registry.addEnvironment({ SESSION_TTL_MS: '1234', XDG_SESSION_CLASS: 'user', API_TOKEN: 'tok-abcdef-123' });
    registry.addHeader('Authorization', 'Bearer abc123def456');
    registry.addHeader('Accept', 'application/json');
    expect(registry.redact('1 users, 1234 ms, sent Bearer abc123def456 and tok-abcdef-123, application/json')).toBe(
      '1 users, 1234 ms, sent Bearer *** and ***, application/json',
    );
    expect(registry.redact('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic ***');
  });
});
