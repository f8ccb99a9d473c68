// The kit's field loader: the asks of one tick become one read per set of fields, each row is read
// with exactly the fields asked of it, and a request never reads a field twice.
import { describe, expect, it } from 'vitest';
import { FieldLoader } from '@consent-gateway/kit/field-loader';

interface Row {
  id: string;
  name: string;
  city: string;
  secret: string;
}
type Field = Exclude<keyof Row, 'id'>;

const ROWS: Record<string, Row> = {
  a: { id: 'a', name: 'A', city: 'Paris', secret: 'sa' },
  b: { id: 'b', name: 'B', city: 'Lisbon', secret: 'sb' },
  c: { id: 'c', name: 'C', city: 'Berlin', secret: 'sc' },
};

/** A loader over ROWS that records every read (ids and fields). */
function loader(fail = () => false) {
  const reads: Array<{ ids: string[]; fields: string[] }> = [];
  const rows = new FieldLoader<Row, Field>(async (ids, fields) => {
    reads.push({ ids: [...ids], fields: [...fields] });
    if (fail()) throw new Error('store down');
    return ids.map((id) => (ROWS[id] ? (Object.fromEntries([['id', id], ...fields.map((f) => [f, ROWS[id]![f]])]) as Row) : null));
  });
  return { rows, reads };
}

describe('the field loader', () => {
  it('reads what one tick asks in one read per set of fields, each row with its own fields only', async () => {
    const { rows, reads } = loader();
    const [a, b, c] = await Promise.all([rows.load('a', ['name']), rows.load('b', ['name', 'city']), rows.load('c', ['city', 'name'])]);
    expect(a).toEqual({ id: 'a', name: 'A' });
    expect(b).toEqual({ id: 'b', name: 'B', city: 'Lisbon' });
    expect(c).toEqual({ id: 'c', name: 'C', city: 'Berlin' });
    expect(reads).toEqual([
      { ids: ['a'], fields: ['name'] },
      { ids: ['b', 'c'], fields: ['city', 'name'] },
    ]);
    expect(JSON.stringify(reads)).not.toContain('secret');
  });

  it('answers a field it read from memory, and reads only the fields it lacks', async () => {
    const { rows, reads } = loader();
    await rows.load('a', ['name']);
    expect(await rows.load('a', ['name'])).toEqual({ id: 'a', name: 'A' });
    expect(reads).toHaveLength(1);
    expect(await rows.load('a', ['name', 'city'])).toEqual({ id: 'a', name: 'A', city: 'Paris' });
    expect(reads.at(-1)).toEqual({ ids: ['a'], fields: ['city'] });
  });

  it('waits for a read under way instead of reading again', async () => {
    const { rows, reads } = loader();
    const first = rows.load('a', ['name']);
    await new Promise((r) => setImmediate(r)); // the first read has started
    const second = rows.load('a', ['name']);
    expect(await Promise.all([first, second])).toEqual([{ id: 'a', name: 'A' }, { id: 'a', name: 'A' }]);
    expect(reads).toHaveLength(1);
  });

  it('knows a missing row after one read', async () => {
    const { rows, reads } = loader();
    expect(await rows.load('zz', ['name'])).toBeNull();
    expect(await rows.load('zz', ['city'])).toBeNull();
    expect(reads).toHaveLength(1);
  });

  it('answers primed rows without reading', async () => {
    const { rows, reads } = loader();
    rows.prime([{ id: 'b', name: 'B', city: 'Lisbon' }], ['name', 'city']);
    expect(await rows.load('b', ['city'])).toEqual({ id: 'b', city: 'Lisbon' });
    expect(reads).toEqual([]);
  });

  it('fails the loads of a failed read, and tries again on the next load', async () => {
    let down = true;
    const { rows, reads } = loader(() => down);
    await expect(rows.load('a', ['name'])).rejects.toThrow('store down');
    down = false;
    expect(await rows.load('a', ['name'])).toEqual({ id: 'a', name: 'A' });
    expect(reads).toHaveLength(2);
  });
});
