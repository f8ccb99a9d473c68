// Per-request batched reads of rows by id, field by field. Every resolver asks for the fields it
// may read (its rule passed); the loads of one tick are merged into as few reads as the fields
// allow: the ids that want the same fields are read together, so loaders that used to read one
// collection separately (a transaction's amount, its merchant) make one read when they ask in
// the same tick, and each row is read with exactly the fields asked of it, never another row's.
// What a request read is kept for that request only (a later load of a field already read is
// answered from it); the loader is created per request and dies with it.
/** A row with its id and the fields asked for, nothing else. */
export type Picked<Row extends { id: string }, F extends keyof Row> = Pick<Row, 'id' | F>;

type Read<Row extends { id: string }, F extends keyof Row> = (ids: readonly string[], fields: readonly F[]) => Promise<Array<Picked<Row, F> | null>>;

interface Known<F> {
  /** The values read so far, or null: there is no such row. */
  values: Record<string, unknown> | null;
  /** Fields read, or being read (the read's promise). */
  fields: Map<F, Promise<void> | true>;
}

interface Waiting<F> {
  id: string;
  fields: readonly F[];
  done: (row: unknown) => void;
  fail: (error: unknown) => void;
}

// After the promises of this tick, like DataLoader: every load of one pass over a list is in.
const nextBatch = (fn: () => void) => void Promise.resolve().then(() => process.nextTick(fn));

export class FieldLoader<Row extends { id: string }, F extends Exclude<keyof Row, 'id'> & string> {
  private readonly known = new Map<string, Known<F>>();
  private waiting: Array<Waiting<F>> = [];

  constructor(private readonly read: Read<Row, F>) {}

  /** The row with `id` and `fields` only (null when there is no such row). */
  load<K extends F>(id: string, fields: readonly K[]): Promise<Picked<Row, K> | null> {
    const known = this.known.get(id);
    if (known && (known.values === null || fields.every((f) => known.fields.get(f) === true))) return Promise.resolve(this.pick(id, fields));
    return new Promise((done, fail) => {
      this.waiting.push({ id, fields, done: done as (row: unknown) => void, fail });
      if (this.waiting.length === 1) nextBatch(() => void this.dispatch());
    });
  }

  /** Rows read some other way in this request (a page, a list), with the fields they were read with. */
  prime<K extends F>(rows: ReadonlyArray<Picked<Row, K>>, fields: readonly K[]): void {
    for (const row of rows) {
      const known = this.entry(row.id);
      if (!known.values) continue;
      for (const f of fields) {
        known.values[f] = row[f];
        known.fields.set(f, true);
      }
    }
  }

  private entry(id: string): Known<F> {
    let known = this.known.get(id);
    if (!known) this.known.set(id, (known = { values: {}, fields: new Map() }));
    return known;
  }

  private pick<K extends F>(id: string, fields: readonly K[]): Picked<Row, K> | null {
    const values = this.known.get(id)!.values;
    if (!values) return null;
    const row: Record<string, unknown> = { id };
    for (const f of fields) row[f] = values[f];
    return row as Picked<Row, K>;
  }

  private async dispatch(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = [];
    // Each id's fields not read yet, then one read per distinct set of fields.
    const wanted = new Map<string, Set<F>>();
    const pending = new Set<Promise<void>>();
    for (const w of waiting) {
      const known = this.entry(w.id);
      if (!known.values) continue;
      for (const f of w.fields) {
        const state = known.fields.get(f);
        if (state === undefined) {
          let set = wanted.get(w.id);
          if (!set) wanted.set(w.id, (set = new Set()));
          set.add(f);
        } else if (state !== true) pending.add(state);
      }
    }
    const groups = new Map<string, { fields: F[]; ids: string[] }>();
    for (const [id, set] of wanted) {
      const fields = [...set].sort();
      const key = fields.join();
      const group = groups.get(key) ?? { fields, ids: [] };
      group.ids.push(id);
      groups.set(key, group);
    }
    for (const { fields, ids } of groups.values()) {
      const reading = this.read(ids, fields).then((rows) => {
        ids.forEach((id, i) => {
          const known = this.known.get(id)!;
          const row = rows[i];
          if (!row) known.values = null;
          else if (known.values) for (const f of fields) known.values[f] = row[f];
          for (const f of fields) known.fields.set(f, true);
        });
      });
      for (const id of ids) for (const f of fields) this.known.get(id)!.fields.set(f, reading);
      pending.add(reading);
      // A failed read is forgotten, so that a later load may try again.
      reading.catch(() => {
        for (const id of ids) for (const f of fields) if (this.known.get(id)!.fields.get(f) === reading) this.known.get(id)!.fields.delete(f);
      });
    }
    try {
      await Promise.all(pending);
    } catch (error) {
      for (const w of waiting) w.fail(error);
      return;
    }
    for (const w of waiting) w.done(this.pick(w.id, w.fields));
  }
}
