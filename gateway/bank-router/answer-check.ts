// A bank answers for itself only: the contract says ids of bank objects name their bank
// (`<bankId>:<kind>_…`), and a bank's `Bank` is itself. The router holds each bank to it before
// its answer is merged with the others': an answer that carries another bank's object (an id with
// another bank's prefix, or a `bank { id }` that is not the bank) is discarded whole, as if the
// bank had failed, so one bank can never pass data off as another's in the merged graph. A bank's
// display name is the registry's, whatever the bank says.
import { bankOfId } from '@consent-gateway/kit/ids';
import type { RegisteredBank } from '../bank-registry.ts';

/** What in `data` belongs to another bank than `bank` (at most a few, for the log); empty when nothing. */
export function foreignObjects(bank: RegisteredBank, data: unknown, limit = 3): string[] {
  const found: string[] = [];
  // Iterative: an answer nested deeper than the stack is still walked, not a crash.
  const stack: Array<{ value: unknown; key: string | undefined }> = [{ value: data, key: undefined }];
  while (stack.length && found.length < limit) {
    const { value, key } = stack.pop()!;
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, key });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const object = value as Record<string, unknown>;
    const owner = bankOfId(object.id);
    if (owner !== undefined && owner !== bank.id) found.push(`an object of bank "${owner}" (${String(object.id)})`);
    if (key === 'bank' && typeof object.id === 'string' && object.id !== bank.id) found.push(`a bank { id: "${object.id}" }`);
    if (key === 'bank' && object.id === bank.id && typeof object.name === 'string') object.name = bank.name;
    for (const [k, v] of Object.entries(object)) if (typeof v === 'object' && v !== null) stack.push({ value: v, key: k });
  }
  return found;
}
