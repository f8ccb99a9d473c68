// The folder layout is the architecture: the gateway and the subgraphs are separate deployables
// that share code only through the kit package, imported by its name (`@consent-gateway/kit/...`),
// as a partner bank's code imports it. No file of one reaches into the other, or into the kit's
// sources, by a relative path; the kit reaches out of itself to nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name) && !e.parentPath.includes('node_modules'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every relative import or re-export of a file, resolved to a path from the repository's root. */
function relativeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2]!);
  return specifiers.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

const crossings = (from: string, forbidden: (target: string) => boolean) =>
  sources(from).flatMap((file) => relativeImports(file).filter(forbidden).map((target) => `${file} → ${target}`));

describe('module boundaries', () => {
  it('finds the imports it looks for (the check itself works)', () => {
    expect(relativeImports('gateway/server.ts')).toContain('gateway/engine.ts');
    expect(sources('gateway').length).toBeGreaterThan(10);
  });

  it('the gateway imports nothing of the subgraphs, nor the kit by path', () => {
    expect(crossings('gateway', (t) => t.startsWith('subgraphs/') || t.startsWith('kit/'))).toEqual([]);
  });

  it('the subgraphs import nothing of the gateway, nor the kit by path', () => {
    expect(crossings('subgraphs', (t) => t.startsWith('gateway/') || t.startsWith('kit/'))).toEqual([]);
  });

  it('the kit imports nothing outside itself', () => {
    expect(crossings('kit/src', (t) => !t.startsWith('kit/'))).toEqual([]);
  });
});
