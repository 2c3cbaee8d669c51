/**
 * The one seeded PRNG behind initialisers, shuffles and splits: xoshiro128** seeded through
 * SplitMix32. Its whole state is four uint32s, so it can be saved and restored.
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  readonly state = new Uint32Array(4);

  /** `seed` is any safe integer; `stream` separates independent sequences from one seed. */
  constructor(seed: number, stream = 0) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const next = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2f) ^ Math.imul(stream + 1, 0x165667b1));
    for (let i = 0; i < 4; i++) this.state[i] = next();
    if ((this.state[0] | this.state[1] | this.state[2] | this.state[3]) === 0) this.state[0] = 1;
  }

  /** Next uniform uint32. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n) without modulo bias. */
  nextInt(n: number): number {
    if (n <= 1) return 0;
    const limit = Math.floor(0x100000000 / n) * n;
    let r: number;
    do r = this.nextUint32();
    while (r >= limit);
    return r % n;
  }

  /** Standard normal (Box–Muller). */
  nextNormal(): number {
    let u = 0;
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** In-place Fisher–Yates shuffle. */
export function shuffleInPlace(array: Int32Array, rng: Rng): Int32Array {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/** The visiting order of epoch `epoch`: a pure function of (seed, epoch, n). */
export function epochOrder(n: number, seed: number, epoch: number, shuffle: boolean, out = new Int32Array(n)): Int32Array {
  for (let i = 0; i < n; i++) out[i] = i;
  if (shuffle) shuffleInPlace(out, new Rng(seed, 0x5eed0000 + epoch));
  return out;
}
