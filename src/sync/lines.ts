/**
 * Sets of line numbers, kept compact: a bitset in memory (a million lines fit in 125 KB, so
 * resuming a huge file stays flat) and ranges such as `2-500,502,504-9000` on disk.
 */

/** Beyond any contact file we expect; guards a resume against a corrupt range costing gigabytes. */
const MAX_LINE = 100_000_000;

/** A growable set of positive line numbers, one bit each. */
export class LineSet {
  #bits = new Uint8Array(1024);
  #size = 0;

  /** How many lines the set holds. */
  get size(): number {
    return this.#size;
  }

  has(line: number): boolean {
    const byte = line >>> 3;
    return byte < this.#bits.length && (this.#bits[byte]! & (1 << (line & 7))) !== 0;
  }

  add(line: number): void {
    if (!Number.isSafeInteger(line) || line < 1) throw new RangeError(`not a line number: ${line}`);
    const byte = line >>> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.#bits.length * 2));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    const mask = 1 << (line & 7);
    if ((this.#bits[byte]! & mask) === 0) {
      this.#bits[byte]! |= mask;
      this.#size++;
    }
  }

  /** The set as a range list (as {@link encodeRanges} writes it), in one pass over the bits. */
  toRanges(): string {
    const parts: string[] = [];
    let start = 0;
    const end = this.#bits.length * 8;
    for (let line = 1; line <= end; line++) {
      const inSet = line < end && this.has(line);
      if (inSet && start === 0) start = line;
      if (!inSet && start !== 0) {
        parts.push(start === line - 1 ? String(start) : `${start}-${line - 1}`);
        start = 0;
      }
    }
    return parts.join(',');
  }
}

/**
 * Encodes line numbers (any order, duplicates allowed) as sorted ranges: `[5, 2, 3, 9]` →
 * `"2-3,5,9"`.
 */
export function encodeRanges(lines: readonly number[]): string {
  const sorted = [...lines].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1]! <= end + 1) end = sorted[++i]!;
    parts.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

/**
 * Adds every line of an encoded range list to `into`.
 * @throws RangeError when the text is not a range list (a report we did not write, or edited).
 */
export function addRanges(text: string, into: LineSet): void {
  if (text === '') return;
  for (const part of text.split(',')) {
    const match = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(part);
    const start = Number(match?.[1]);
    const end = match?.[2] === undefined ? start : Number(match[2]);
    if (!match || start < 1 || end < start || end > MAX_LINE) throw new RangeError(`not a line range: ${JSON.stringify(part)}`);
    for (let line = start; line <= end; line++) into.add(line);
  }
}
