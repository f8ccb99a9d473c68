// `npm run persisted -- <dir> [--out <file>]`: the persisted-operations manifest of the named
// operations in the .graphql files under <dir> (default: operations/ → gateway/persisted-operations.json).
// Each operation is stored with the fragments it uses, under the SHA-256 of that text, in Apollo's
// manifest format: a frontend team may produce the same file with Apollo's own
// `generate-persisted-query-manifest`; the gateway accepts either (it checks every hash).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kind, parse, print, visit, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { DEFAULT_PERSISTED_OPERATIONS_FILE } from '../gateway/config.ts';
import { MANIFEST_FORMAT, sha256Hex, type Manifest } from '../gateway/persisted-operations.ts';

export const DEFAULT_OPERATIONS_DIR = fileURLToPath(new URL('../operations/', import.meta.url));

function graphqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return graphqlFiles(path);
      return /\.(graphql|gql)$/.test(name) ? [path] : [];
    });
}

/** The manifest of every named operation under `dir`; throws on anonymous or duplicate operations and fragments. */
export function buildManifest(dir: string): Manifest {
  const operations: Array<{ op: OperationDefinitionNode; file: string }> = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const file of graphqlFiles(dir)) {
    const where = relative(process.cwd(), file);
    for (const def of parse(readFileSync(file, 'utf8'), { noLocation: true }).definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) {
        if (fragments.has(def.name.value)) throw new Error(`${where}: fragment ${def.name.value} is defined twice`);
        fragments.set(def.name.value, def);
      } else if (def.kind === Kind.OPERATION_DEFINITION) {
        if (!def.name) throw new Error(`${where}: every operation needs a name (the manifest lists them by name)`);
        if (operations.some((o) => o.op.name!.value === def.name!.value)) throw new Error(`${where}: operation ${def.name.value} is defined twice`);
        operations.push({ op: def, file: where });
      }
    }
  }
  const used = (node: OperationDefinitionNode | FragmentDefinitionNode, found = new Set<string>()): Set<string> => {
    visit(node, {
      FragmentSpread(spread) {
        const name = spread.name.value;
        if (found.has(name)) return;
        const fragment = fragments.get(name);
        if (!fragment) throw new Error(`fragment ${name} is used but defined nowhere under ${dir}`);
        found.add(name);
        used(fragment, found);
      },
    });
    return found;
  };
  return {
    format: MANIFEST_FORMAT,
    version: 1,
    operations: operations
      .sort((a, b) => a.op.name!.value.localeCompare(b.op.name!.value))
      .map(({ op }) => {
        const body = [op, ...[...used(op)].sort().map((name) => fragments.get(name)!)].map((def) => print(def)).join('\n\n');
        return { id: sha256Hex(body), name: op.name!.value, type: op.operation, body };
      }),
  };
}

export const manifestText = (manifest: Manifest) => `${JSON.stringify(manifest, null, 2)}\n`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
  const dir = positionals[0] ?? DEFAULT_OPERATIONS_DIR;
  const out = values.out ?? DEFAULT_PERSISTED_OPERATIONS_FILE;
  try {
    const manifest = buildManifest(dir);
    writeFileSync(out, manifestText(manifest));
    console.log(`${manifest.operations.length} operations from ${dir} → ${out}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}
