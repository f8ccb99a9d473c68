// Does a bank serve the contract? Its `_service { sdl }` and the contract are compared after
// normalising both: federation's own machinery and descriptions dropped, everything sorted, so
// that only a difference a client or the gateway could notice remains.
import { Kind, parse, print, type DefinitionNode, type DocumentNode } from 'graphql';

const FEDERATION_TYPES = /^(_Service|_Any|_Entity|_FieldSet|link__.*|federation__.*)$/;
const FEDERATION_FIELDS = new Set(['_service', '_entities']);

const byName = (a: { name: { value: string } }, b: { name: { value: string } }) => a.name.value.localeCompare(b.name.value);

function normalise(def: DefinitionNode): DefinitionNode | undefined {
  if (!('name' in def) || !def.name || def.kind === Kind.DIRECTIVE_DEFINITION || FEDERATION_TYPES.test(def.name.value)) return undefined;
  const d: any = { ...def, description: undefined, loc: undefined };
  if (d.kind === Kind.OBJECT_TYPE_EXTENSION) d.kind = Kind.OBJECT_TYPE_DEFINITION;
  if (d.fields) {
    d.fields = d.fields
      .filter((f: any) => !FEDERATION_FIELDS.has(f.name.value))
      .map((f: any) => ({ ...f, description: undefined, arguments: f.arguments?.map((a: any) => ({ ...a, description: undefined })).sort(byName) }))
      .sort(byName);
    if (d.fields.length === 0) return undefined;
  }
  if (d.values) d.values = d.values.map((v: any) => ({ ...v, description: undefined })).sort(byName);
  return d;
}

/** The contract-relevant definitions of an SDL, printed, by name. */
export function normalisedDefinitions(sdl: string | DocumentNode): Map<string, string> {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const out = new Map<string, string>();
  for (const def of document.definitions.map(normalise)) {
    if (def) out.set((def as { name: { value: string } }).name.value, print(def));
  }
  return out;
}

/** How the bank's SDL differs from the contract, type by type; empty when they match. */
export function contractDifferences(bankSdl: string, contractSdl: string): string[] {
  const bank = normalisedDefinitions(bankSdl);
  const contract = normalisedDefinitions(contractSdl);
  const differences: string[] = [];
  for (const name of [...new Set([...contract.keys(), ...bank.keys()])].sort()) {
    const want = contract.get(name);
    const have = bank.get(name);
    if (want === have) continue;
    if (!have) differences.push(`${name}: missing`);
    else if (!want) differences.push(`${name}: not in the contract`);
    else {
      const lines = (text: string) => text.split('\n').map((l) => l.trim());
      const missing = lines(want).filter((l) => !lines(have).includes(l));
      const extra = lines(have).filter((l) => !lines(want).includes(l));
      differences.push(`${name}: ${[...missing.map((l) => `missing "${l}"`), ...extra.map((l) => `unexpected "${l}"`)].join(', ')}`);
    }
  }
  return differences;
}
