// Cursor pagination for Relay-style connections: opaque cursors over (sort key, id), and a
// bounded page size so no client can ask for everything at once.
import type { Document } from 'mongodb';
import { badInput } from './reasons.ts';

export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined, fallback = 20): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE_SIZE) throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`);
  return n;
}

export function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) return value as [string, string];
  } catch {
    // fall through to the error below
  }
  throw badInput('after is not a cursor returned by this connection');
}

/** The filter for "rows after this cursor" when sorting by (key, _id) in `order` (1 asc, -1 desc). */
export function afterFilter(field: string, cursor: string | null | undefined, order: 1 | -1): Document {
  if (!cursor) return {};
  const [key, id] = decodeCursor(cursor);
  const op = order === 1 ? '$gt' : '$lt';
  return { $or: [{ [field]: { [op]: key } }, { [field]: key, _id: { [op]: id } }] };
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * `rows` was read with limit first + 1: the extra row only says whether there is a next page.
 * `positionOf` gives a row's sort key and id, which its cursor encodes.
 */
export function toConnection<T>(rows: T[], first: number, positionOf: (row: T) => [key: string, id: string]): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(...positionOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}
