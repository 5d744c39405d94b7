import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Decodes one Base64 VLQ segment ("AAgBC") into its signed values (source map v3). */
export function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64_INDEX.get(ch);
    if (digit === undefined) throw new Error(`bad VLQ character ${JSON.stringify(ch)}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0;
    shift = 0;
  }
  return out;
}

/** A generated position's origin. */
export interface OriginalPosition {
  readonly source: string;
  /** 1-based. */
  readonly line: number;
}

/**
 * Maps generated (line, column) to original source and line, enough to name the
 * TypeScript file behind a bundled function in a CPU profile.
 */
export class SourceMap {
  private readonly lines: Int32Array[] = [];

  constructor(
    private readonly sources: readonly string[],
    mappings: string,
  ) {
    let src = 0;
    let srcLine = 0;
    let srcCol = 0;
    for (const lineText of mappings.split(';')) {
      const segs: number[] = [];
      let col = 0;
      if (lineText !== '') {
        for (const segText of lineText.split(',')) {
          const v = decodeVlq(segText);
          col += v[0]!;
          if (v.length >= 4) {
            src += v[1]!;
            srcLine += v[2]!;
            srcCol += v[3]!;
            segs.push(col, src, srcLine);
          }
        }
      }
      this.lines.push(Int32Array.from(segs));
    }
    void srcCol;
  }

  /** Origin of a 0-based generated line and column (the nearest segment at or before it). */
  lookup(line: number, column: number): OriginalPosition | undefined {
    const segs = this.lines[line];
    if (!segs || segs.length === 0) return undefined;
    let found = -1;
    for (let i = 0; i < segs.length; i += 3) {
      if (segs[i]! <= column) found = i;
      else break;
    }
    if (found < 0) found = 0;
    const source = this.sources[segs[found + 1]!];
    return source === undefined ? undefined : { source, line: segs[found + 2]! + 1 };
  }

  /** Loads `<file>.map`; sources become paths relative to `root`. Undefined without a map. */
  static forFile(file: string, root: string): SourceMap | undefined {
    const mapFile = `${file}.map`;
    if (!existsSync(mapFile)) return undefined;
    try {
      const raw = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourceRoot?: string; mappings: string };
      const base = resolve(dirname(mapFile), raw.sourceRoot ?? '');
      return new SourceMap(
        raw.sources.map((s) => relative(root, resolve(base, s))),
        raw.mappings,
      );
    } catch {
      return undefined;
    }
  }
}
