// The bank registry: a file that says which banks exist and where; every mistake in it is named at
// once, and a change to it takes effect without a restart, unless the new file is not valid.
import { linkSync, mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@consent-gateway/kit/config';
import { DEFAULT_BANK_REGISTRY_FILE, loadBankRegistry, parseBankRegistry, watchBankRegistry } from '../gateway/bank-registry.ts';

const entry = (id: string, port = 4002) => ({ id, name: `${id} bank`, url: `http://localhost:${port}/graphql` });

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

describe('the bank registry', () => {
  it("ships npm start's banks, sorted by id", () => {
    const registry = loadBankRegistry(DEFAULT_BANK_REGISTRY_FILE);
    expect(registry.banks.map((b) => b.id)).toEqual(['contoso', 'northwind']);
    expect(registry.get('northwind')?.name).toBe('Northwind Bank');
    expect(registry.get('acme')).toBeUndefined();
  });

  it('names every problem of a bad file at once', () => {
    const bad = [entry('northwind'), { id: 'Not A Bank', name: '', url: 'ftp://x', extra: 1 }, entry('northwind', 4003)];
    expect(() => parseBankRegistry(JSON.stringify(bad))).toThrow(
      /entry 1 \("Not A Bank"\): unknown field\(s\) extra; .*"id" must be lower-case.*"name" must be a non-empty string; .*"url" must be an http\(s\) URL; entry 2 \("northwind"\): bank "northwind" is listed twice/,
    );
    expect(() => parseBankRegistry('{}')).toThrow(/expected an array/);
    const dir = mkdtempSync(join(tmpdir(), 'registry-'));
    writeFileSync(join(dir, 'banks.json'), '[{"id": "northwind",');
    expect(() => loadBankRegistry(join(dir, 'banks.json'))).toThrow(ConfigError);
    expect(() => loadBankRegistry(join(dir, 'banks.json'))).toThrow(/the bank registry .*banks\.json is not valid/);
    expect(() => loadBankRegistry(join(dir, 'missing.json'))).toThrow(/cannot read the bank registry .*missing\.json/);
  });

  it('reloads a changed file; a file that is not valid keeps the registry in use and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-'));
    const file = join(dir, 'banks.json');
    writeFileSync(file, JSON.stringify([entry('northwind')]));
    const lines: string[] = [];
    const watched = watchBankRegistry(file, (line) => lines.push(line));
    try {
      expect(watched.current().banks.map((b) => b.id)).toEqual(['northwind']);
      // Replaced the way deployments do it: write a new file, rename it over the old one.
      writeFileSync(`${file}.new`, JSON.stringify([entry('northwind'), entry('fabrikam', 4005)]));
      renameSync(`${file}.new`, file);
      await until(() => watched.current().banks.length === 2, 'the new registry is used');
      expect(watched.current().get('fabrikam')?.url).toBe('http://localhost:4005/graphql');
      writeFileSync(file, JSON.stringify([entry('northwind'), entry('northwind')]));
      await until(() => lines.some((l) => l.includes('not valid')), 'the bad file is reported');
      expect(lines.at(-1)).toMatch(/banks\.json changed but is not valid, keeping the registry in use: .*listed twice/);
      expect(watched.current().banks.map((b) => b.id)).toEqual(['fabrikam', 'northwind']);
    } finally {
      watched.close();
    }
  });

  it('follows a Kubernetes ConfigMap update (the `..data` symlink swapped, the file itself never touched)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-configmap-'));
    const version = (name: string, banks: unknown) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'banks.json'), JSON.stringify(banks));
    };
    version('..v1', [entry('northwind')]);
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/banks.json', join(dir, 'banks.json'));
    const watched = watchBankRegistry(join(dir, 'banks.json'), () => {});
    try {
      version('..v2', [entry('northwind'), entry('fabrikam', 4005)]);
      symlinkSync('..v2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      await until(() => watched.current().banks.length === 2, 'the new version is used');
    } finally {
      watched.close();
    }
  });

  it('reads the file again now and then, for filesystems whose changes a watch misses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-poll-'));
    const file = join(dir, 'banks.json');
    writeFileSync(file, JSON.stringify([entry('northwind')]));
    // The same file under a name in another directory: a write through it makes no event in the
    // watched directory (inotify reports a change to the directory the path went through), as a
    // change on a network filesystem would not either. Only reading the file again can see it.
    const other = join(mkdtempSync(join(tmpdir(), 'registry-poll-other-')), 'link.json');
    linkSync(file, other);
    const polled = watchBankRegistry(file, () => {}, { pollMs: 100 });
    try {
      writeFileSync(other, JSON.stringify([entry('northwind'), entry('fabrikam', 4005)]));
      await until(() => polled.current().banks.length === 2, 'the poll saw it');
    } finally {
      polled.close();
    }
  });
});
