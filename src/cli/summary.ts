// The one-line summary of a write that `history` shows, made from the lines `diffLines` prints:
// `~ spec.image: "a" → "b"` becomes `image a → b`.

const MAX_LENGTH = 160;

/** A JSON leaf as a person reads it: strings without their quotes. */
function plain(json: string): string {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'string' ? v : json;
  } catch {
    return json;
  }
}

function phrase(line: string): string {
  const m = /^([~+-]) ([^:]+): (.*)$/s.exec(line);
  if (!m) return line;
  const [, op, rawPath = '', rest = ''] = m;
  const path = rawPath.replace(/^spec\./, '');
  if (op === '+') return `+${path} ${plain(rest)}`;
  if (op === '-') return `-${path}`;
  const [from = '', to = ''] = rest.split(' → ');
  return `${path} ${plain(from)} → ${plain(to)}`;
}

/** Comma-separated phrases, cut at MAX_LENGTH with a count of what was left out. */
export function summarize(changes: readonly string[]): string {
  if (changes.length === 0) return 'no change';
  const phrases = changes.map(phrase);
  let out = '';
  for (const [i, p] of phrases.entries()) {
    const next = out === '' ? p : `${out}, ${p}`;
    const left = phrases.length - i - 1;
    if (next.length > MAX_LENGTH && out !== '') return `${out}, … (+${left + 1} more)`;
    out = next;
  }
  return out;
}
