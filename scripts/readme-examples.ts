// The README's example queries, read from the README itself, so that what the tests count and
// the benchmark times is the query a newcomer runs, not a copy of it that drifts.
import { readFileSync } from 'node:fs';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';

const README = new URL('../README.md', import.meta.url);

/** The operations of the README's "Example queries" block, in order. */
export function readmeExamples(): OperationDefinitionNode[] {
  const readme = readFileSync(README, 'utf8');
  const block = readme.slice(readme.indexOf('### Example queries')).match(/```graphql\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README.md has no graphql block under "### Example queries"');
  return parse(block).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}

/**
 * The README's first example, "data from user-profile, the banks and messaging in one request",
 * printed; with `pageSize`, its transaction page of that size instead of the README's.
 */
export function readmeBigQuery(pageSize?: number): string {
  const query = print(readmeExamples()[0]!);
  if (pageSize === undefined) return query;
  const sized = query.replace(/transactions\(first: \d+\)/, `transactions(first: ${pageSize})`);
  if (sized === query) throw new Error("the README's first example has no transactions(first: n) to resize");
  return sized;
}
