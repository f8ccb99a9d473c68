// The documentation holds together: every relative link in the README, docs/ and schema/ names a
// file of the repository and, when it has an anchor, a heading of that file; the consent policy is
// docs/consent-policy.md, and nothing points at a CONSENT.md outside the repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
const DOCUMENTS = tracked.filter((f) => f === 'README.md' || ((f.startsWith('docs/') || f.startsWith('schema/')) && f.endsWith('.md')));

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes; repeats get -1, -2... */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

const withoutFences = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, '');
const withoutCode = (markdown: string) => withoutFences(markdown).replace(/`[^`\n]*`/g, '');

function relativeLinks(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z][a-z+.-]*:/i.test(href));
}

describe('documentation links', () => {
  it('has documents to check, the consent policy among them', () => {
    expect(DOCUMENTS).toEqual(expect.arrayContaining(['README.md', 'docs/consent-policy.md', 'docs/partner-banks.md', 'schema/authorization.md']));
  });

  it.each(DOCUMENTS)('%s: every relative link resolves to a file of the repository, and every anchor to a heading', (document) => {
    const source = join(ROOT, document);
    const broken: string[] = [];
    for (const href of relativeLinks(readFileSync(source, 'utf8'))) {
      const [path, anchor] = href.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(source), decodeURI(path)) : source;
      if (!target.startsWith(ROOT) || !existsSync(target)) {
        broken.push(`${href}: no file ${relative(ROOT, target)}`);
        continue;
      }
      if (anchor && !(statSync(target).isFile() && anchorsOf(readFileSync(target, 'utf8')).has(anchor))) broken.push(`${href}: no heading #${anchor} in ${relative(ROOT, target)}`);
    }
    expect(broken).toEqual([]);
  });

  it('links the README, the partner guide and the authorization map to docs/consent-policy.md', () => {
    for (const document of ['README.md', 'docs/partner-banks.md', 'schema/authorization.md']) {
      expect(relativeLinks(readFileSync(join(ROOT, document), 'utf8')).some((href) => /(^|\/)(docs\/)?consent-policy\.md(#|$)/.test(href)), document).toBe(true);
    }
  });

  it('points nowhere at a CONSENT.md: the policy lives in the repository', () => {
    const mentions = tracked.filter((f) => !f.startsWith('bench/results/') && existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).size < 2_000_000 && readFileSync(join(ROOT, f), 'utf8').includes('CONSENT.md'));
    expect(mentions.filter((f) => f !== 'test/docs-links.test.ts')).toEqual([]);
  });

  it('computes anchors the way GitHub does', () => {
    expect([...anchorsOf('## 1. Who is asking\n### Row filters: credits, debits and the window\n## `npm test`\n## Pages\n## Pages')]).toEqual([
      '1-who-is-asking',
      'row-filters-credits-debits-and-the-window',
      'npm-test',
      'pages',
      'pages-1',
    ]);
  });
});
