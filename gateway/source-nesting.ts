// graphql-js parses recursively: a selection or a list value nested some thousands deep exhausts
// the stack ("Maximum call stack size exceeded") before any limit sees the document. This scan
// measures the nesting of `{`, `[` and `(` outside strings and comments in one linear pass, so
// the parser only ever runs on sources whose recursion depth is bounded.

/**
 * The deepest nesting of brackets in a GraphQL source. The scan stops as soon as it passes
 * `stopAbove` (the answer is then `stopAbove + 1`): a hostile source costs no more than that.
 */
export function sourceNesting(source: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  const length = source.length;
  for (let i = 0; i < length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x23 /* # */) {
      while (i < length && source.charCodeAt(i) !== 0x0a && source.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22 /* " */) {
      i = source.startsWith('"""', i) ? endOfBlockString(source, i + 3) : endOfString(source, i + 1);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */ || c === 0x28 /* ( */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if ((c === 0x7d /* } */ || c === 0x5d /* ] */ || c === 0x29) /* ) */ && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

/** Index of the closing quote of a "string" whose content starts at `i` (or of its line's end). */
function endOfString(source: string, i: number): number {
  for (; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22 || c === 0x0a || c === 0x0d) return i;
  }
  return i;
}

/** Index of the last quote of a """block string""" whose content starts at `i`. */
function endOfBlockString(source: string, i: number): number {
  for (; i < source.length; i++) {
    if (source.startsWith('\\"""', i)) i += 3;
    else if (source.startsWith('"""', i)) return i + 2;
  }
  return i;
}
