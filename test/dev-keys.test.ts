// Development keys land inside the directory named, with or without a trailing slash
// (DEV_KEYS_DIR=/keys once wrote /keysgateway-private.pem next to it).
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureAuditKey, ensureDevKeys } from '../scripts/dev-keys.ts';

describe('development keys', () => {
  it.each([['without'], ['with']])('are written inside a directory named %s a trailing slash', (how) => {
    const parent = mkdtempSync(join(tmpdir(), 'dev-keys-'));
    const dir = join(parent, 'keys') + (how === 'with' ? '/' : '');
    const keys = ensureDevKeys(dir);
    const audit = ensureAuditKey(keys.dir, 'bank-fabrikam');
    for (const file of [keys.idpPrivate, keys.idpPublic, keys.gatewayPrivate, keys.gatewayPublic, audit]) {
      expect(dirname(file)).toBe(join(parent, 'keys'));
      expect(existsSync(file)).toBe(true);
    }
    expect(readdirSync(parent)).toEqual(['keys']);
  });
});
