/**
 * Token amounts: integer base units (uplx, 1 plx = 10^6 uplx) held in a bigint no larger than
 * a u128, carried on the wire and in JSON as decimal strings.
 */

export const UPLX_PER_PLX = 1_000_000n;
export const U128_MAX = (1n << 128n) - 1n;

/** What callers may pass as an amount: a bigint, a safe integer, or decimal base units. */
export type AmountLike = bigint | number | string;

/** An amount in uplx, checked to be a whole number within u128. */
export function uplx(value: AmountLike, what = "amount"): bigint {
  let big: bigint;
  if (typeof value === "bigint") big = value;
  else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`invalid ${what}: ${value} is not a whole number of uplx`);
    big = BigInt(value);
  } else {
    if (!/^[0-9]{1,39}$/.test(value)) {
      throw new Error(`invalid ${what} ${JSON.stringify(value)}: expected base units (digits only)`);
    }
    big = BigInt(value);
  }
  if (big < 0n || big > U128_MAX) throw new Error(`invalid ${what}: ${value} is out of the u128 range`);
  return big;
}

/** Whole and fractional PLX as base units: `plx("2.5")` is 2 500 000 uplx. */
export function plx(text: string): bigint {
  const m = /^([0-9]*)(?:\.([0-9]{0,6}))?$/.exec(text.trim());
  if (!m || (m[1] === "" && (m[2] ?? "") === "")) {
    throw new Error(`invalid amount ${JSON.stringify(text)}: expected PLX with at most 6 decimal places`);
  }
  const whole = BigInt(m[1] || "0");
  const frac = BigInt((m[2] ?? "").padEnd(6, "0"));
  return uplx(whole * UPLX_PER_PLX + frac);
}

/** Formats uplx as PLX text, for example `2.5plx`. */
export function formatPlx(units: bigint): string {
  const whole = units / UPLX_PER_PLX;
  const frac = (units % UPLX_PER_PLX).toString().padStart(6, "0").replace(/0+$/, "");
  return frac === "" ? `${whole}plx` : `${whole}.${frac}plx`;
}

/** Parses what a person types: `2.5plx`, `10 PLX`, `2500uplx`, or bare base units. */
export function parseAmount(input: string): bigint {
  const s = input.trim().toLowerCase().replaceAll("_", "");
  if (s.endsWith("uplx")) return uplx(s.slice(0, -4).trim());
  if (s.endsWith("plx")) return plx(s.slice(0, -3).trim());
  if (/^[0-9]+$/.test(s)) return uplx(s);
  throw new Error(`invalid amount ${JSON.stringify(input)}: expected a number followed by \`plx\` or \`uplx\` (for example 2.5plx)`);
}
