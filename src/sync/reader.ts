/**
 * Reading a contact file as a stream of rows: CSV (csv-parse) or JSON Lines.
 *
 * Both readers are pull-based async generators: a row is parsed only when the runner asks for
 * the next one, so a million-row file never sits in memory (the most read ahead is one file
 * chunk of 64 KiB plus the parser's small object buffer).
 *
 * Line numbers are physical lines of the file, 1-based, where the row begins: the number a
 * person sees in an editor (a CSV header is line 1; a quoted field may span lines).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse';
import { FIELD_LIMITS } from '../onetalk/index.js';

/** The input formats the CLI reads. */
export type InputFormat = 'csv' | 'jsonl';

/** One row as read, before validation. */
export interface SourceRow {
  /** Line of the file where the row begins. */
  line: number;
  /** CSV: an object keyed by the header's names. JSON Lines: whatever the line parsed to. */
  value: unknown;
  /** Set when the row could not even be read into fields (bad JSON, wrong column count). */
  problem?: string;
  /** Bytes of the file consumed so far: drives the progress bar. */
  bytes: number;
}

/** The file cannot be read as the format says (bad header, broken quoting): the run must stop. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** The column names a file may use: the document's field names, exactly. */
export const FIELD_NAMES: readonly string[] = Object.keys(FIELD_LIMITS.syncContact);
const REQUIRED_COLUMNS = ['customerUserID', 'fullName'];

/** A JSON line longer than this is no contact: refuse it rather than buffer without bound. */
const MAX_LINE_CHARS = 1024 * 1024;

/** The format from `--format`, else from the extension (.csv; .jsonl, .ndjson). */
export function formatOf(path: string, explicit?: string): InputFormat {
  const name = explicit ?? extname(path).slice(1).toLowerCase();
  if (name === 'csv') return 'csv';
  if (name === 'jsonl' || name === 'ndjson') return 'jsonl';
  throw new InputError(
    explicit === undefined
      ? `cannot tell the format of ${path} from its extension: name it .csv or .jsonl, or pass --format csv|jsonl`
      : `unknown format "${explicit}": use csv or jsonl`,
  );
}

/** Rows of `path` in file order. Throws {@link InputError} when the file is unusable. */
export async function* readRows(path: string, format: InputFormat): AsyncGenerator<SourceRow> {
  try {
    yield* format === 'csv' ? readCsv(path) : readJsonLines(path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Identifies an input file so a resume can refuse a file that changed since the report began. */
export interface Fingerprint {
  size: number;
  /** SHA-256 (hex) of the first 64 KiB. */
  head: string;
}

export async function fingerprint(path: string): Promise<Fingerprint> {
  const { size } = await stat(path);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(size, 64 * 1024));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { size, head: createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex') };
  } finally {
    await handle.close();
  }
}

interface CsvRecord {
  record: string[];
  raw: string;
  info: { lines: number; bytes: number };
}

async function* readCsv(path: string): AsyncGenerator<SourceRow> {
  const source = createReadStream(path);
  // relax_column_count: a short or long row is one bad row (reported with its line), not the
  // end of the run. Broken quoting still throws: the rest of the file cannot be trusted then.
  const parser = parse({ bom: true, info: true, raw: true, skip_empty_lines: true, relax_column_count: true });
  const lf = crlfToLf();
  source.on('error', (error) => parser.destroy(error));
  source.pipe(lf).pipe(parser);
  let header: string[] | undefined;
  try {
    for await (const chunk of parser as AsyncIterable<CsvRecord>) {
      const line = startLine(chunk);
      if (header === undefined) {
        header = checkHeader(chunk.record, line);
        continue;
      }
      const { record } = chunk;
      // The parser's position, not the file stream's (which reads ahead). CRLF files count one
      // byte less per line here; the run sets 100% when it reaches the end.
      const bytes = chunk.info.bytes;
      if (record.length !== header.length) {
        yield { line, value: undefined, problem: `the row has ${record.length} fields; the header has ${header.length}`, bytes };
        continue;
      }
      const value: Record<string, string> = {};
      header.forEach((name, i) => (value[name] = record[i]!));
      yield { line, value, bytes };
    }
  } finally {
    source.destroy();
    lf.destroy();
    parser.destroy();
  }
  if (header === undefined) throw new InputError(`${path} is empty: a CSV file needs a header row of field names`);
}

/**
 * CRLF → LF ahead of csv-parse, whose line count (v7) takes a CRLF inside a quoted field for two
 * lines. Byte-wise is safe: CR and LF never occur inside a UTF-8 multi-byte sequence. A CR at
 * the end of a chunk waits for the next one, which may start with its LF.
 */
function crlfToLf(): Transform {
  let held = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let text = held + chunk.toString('latin1');
      held = text.endsWith('\r') ? '\r' : '';
      if (held) text = text.slice(0, -1);
      done(null, Buffer.from(text.replace(/\r\n/g, '\n'), 'latin1'));
    },
    flush(done) {
      done(null, held ? Buffer.from(held, 'latin1') : null);
    },
  });
}

/** csv-parse reports the line a record ends on; its raw text (less blank lines before it) says how many it spans. */
function startLine({ raw, info }: CsvRecord): number {
  const own = raw.replace(/^\n+/, '').replace(/\n$/, '');
  let newlines = 0;
  for (let i = own.indexOf('\n'); i !== -1; i = own.indexOf('\n', i + 1)) newlines++;
  return info.lines - newlines;
}

function checkHeader(names: string[], line: number): string[] {
  const known = `columns are the document's field names: ${FIELD_NAMES.join(', ')}`;
  const seen = new Set<string>();
  for (const name of names) {
    // A near miss ("fullname", "Phone") would silently drop a column's data: refuse it.
    if (!FIELD_NAMES.includes(name)) throw new InputError(`line ${line}: unknown column ${JSON.stringify(name)}; ${known}`);
    if (seen.has(name)) throw new InputError(`line ${line}: column ${name} appears twice`);
    seen.add(name);
  }
  const missing = REQUIRED_COLUMNS.filter((name) => !seen.has(name));
  if (missing.length > 0) throw new InputError(`line ${line}: the header has no ${missing.join(' or ')} column; ${known}`);
  return names;
}

async function* readJsonLines(path: string): AsyncGenerator<SourceRow> {
  for await (const { line, text, bytes } of readLines(path)) {
    const trimmed = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (trimmed === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed) as unknown;
    } catch {
      yield { line, value: undefined, problem: 'the line is not valid JSON', bytes };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, value: undefined, problem: 'the line is not a JSON object', bytes };
      continue;
    }
    yield { line, value, bytes };
  }
}

/** One physical line of a text file (without its line break). */
export interface TextLine {
  line: number;
  text: string;
  /** Bytes consumed so far. */
  bytes: number;
}

/**
 * The lines of a UTF-8 file, pulled one chunk at a time. Written by hand rather than with
 * `readline`, whose async iterator has buffered lines ahead of a slow consumer in some Node
 * versions: here nothing is read until the consumer asks.
 * @throws InputError on a line longer than 1 MiB characters.
 */
export async function* readLines(path: string): AsyncGenerator<TextLine> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const parts = (carry + decoder.write(chunk)).split('\n');
    carry = parts.pop() ?? '';
    if (carry.length > MAX_LINE_CHARS) throw new InputError(`${path}: line ${line + parts.length + 1} is longer than 1 MiB`);
    for (const part of parts) yield { line: ++line, text: part.replace(/\r$/, ''), bytes };
  }
  carry += decoder.end();
  if (carry !== '') yield { line: ++line, text: carry.replace(/\r$/, ''), bytes };
}
