// Kubernetes resource quantities ("500m", "4Gi", "1e3"), parsed to exact rationals so that
// "1000m" and "1" compare equal (the API server canonicalises what we send).

interface Quantity {
  /** value = num / den, den > 0 */
  readonly num: bigint;
  readonly den: bigint;
}

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const SUFFIX: Record<string, { num: bigint; den: bigint }> = {
  n: { num: 1n, den: 1_000_000_000n },
  u: { num: 1n, den: 1_000_000n },
  m: { num: 1n, den: 1000n },
  k: { num: 1000n, den: 1n },
  M: { num: 10n ** 6n, den: 1n },
  G: { num: 10n ** 9n, den: 1n },
  T: { num: 10n ** 12n, den: 1n },
  P: { num: 10n ** 15n, den: 1n },
  E: { num: 10n ** 18n, den: 1n },
  Ki: { num: 1n << 10n, den: 1n },
  Mi: { num: 1n << 20n, den: 1n },
  Gi: { num: 1n << 30n, den: 1n },
  Ti: { num: 1n << 40n, den: 1n },
  Pi: { num: 1n << 50n, den: 1n },
  Ei: { num: 1n << 60n, den: 1n },
};

export function isQuantity(s: string): boolean {
  return QUANTITY.test(s);
}

/** Parse a quantity string; undefined when it is not one. */
export function parseQuantity(input: string | number): Quantity | undefined {
  const s = typeof input === 'number' ? String(input) : input;
  const m = QUANTITY.exec(s);
  if (!m) return undefined;
  const [, sign = '', mantissa = '', exponent, suffix] = m;
  const [whole = '', frac = ''] = mantissa.split('.');
  let num = BigInt((whole || '0') + frac);
  let den = 10n ** BigInt(frac.length);
  if (exponent !== undefined) {
    const e = Number.parseInt(exponent.slice(1), 10);
    if (Math.abs(e) > 100) return undefined;
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  } else if (suffix !== undefined) {
    const f = SUFFIX[suffix];
    if (!f) return undefined;
    num *= f.num;
    den *= f.den;
  }
  if (sign === '-') num = -num;
  return { num, den };
}

/** -1, 0 or 1; undefined when either side is not a quantity. */
export function compareQuantities(a: string | number, b: string | number): number | undefined {
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  if (!qa || !qb) return undefined;
  const l = qa.num * qb.den;
  const r = qb.num * qa.den;
  return l === r ? 0 : l < r ? -1 : 1;
}

export function quantitiesEqual(a: string | number, b: string | number): boolean {
  return compareQuantities(a, b) === 0;
}
