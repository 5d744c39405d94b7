/** A small parser of the Prometheus text format 0.0.4, strict enough to catch malformed output in tests. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}
export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without '='`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = text[j + 1];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else throw new Error(`line ${line}: bad escape \\${n ?? ''}`);
        j += 2;
      } else {
        value += c;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (i < text.length) throw new Error(`line ${line}: expected ',' after label ${name}`);
  }
  return labels;
}

/** Families by name; throws on anything outside the format (samples before TYPE, duplicate families, bad numbers). */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('text must end with a newline');
  const families = new Map<string, Family>();
  let current: Family | undefined;
  text
    .slice(0, -1)
    .split('\n')
    .forEach((raw, idx) => {
      const line = idx + 1;
      if (raw.startsWith('# HELP ')) {
        const [, name, ...help] = raw.split(' ').slice(1);
        if (name === undefined || !NAME.test(name)) throw new Error(`line ${line}: bad HELP`);
        if (families.has(name)) throw new Error(`line ${line}: family ${name} repeated`);
        current = { name, type: 'untyped', help: help.join(' '), samples: [] };
        families.set(name, current);
        return;
      }
      if (raw.startsWith('# TYPE ')) {
        const [name, type] = raw.slice(7).split(' ');
        if (current === undefined || name !== current.name) throw new Error(`line ${line}: TYPE without HELP for ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`line ${line}: bad type ${type}`);
        (current as { type: string }).type = type!;
        return;
      }
      if (raw.startsWith('#') || raw === '') throw new Error(`line ${line}: unexpected ${JSON.stringify(raw)}`);
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
      if (!m) throw new Error(`line ${line}: bad sample ${JSON.stringify(raw)}`);
      const [, name, labelText, valueText] = m;
      if (current === undefined || name !== current.name) throw new Error(`line ${line}: sample ${name} outside its family`);
      const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
      if (valueText !== 'NaN' && Number.isNaN(value)) throw new Error(`line ${line}: bad value ${valueText}`);
      current.samples.push({ name: name!, labels: parseLabels(labelText ?? '', line), value });
    });
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = families.get(name)?.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)) ?? [];
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
