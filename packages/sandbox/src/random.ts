import { randomInt } from "node:crypto";

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * A small seedable pseudo-random generator (mulberry32).
 * Seeding it makes generated ids, secrets and fault dice reproducible from one number.
 */
export class Random {
  private state: number;

  /** Creates a generator; the same seed always yields the same sequence. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A string of `length` characters drawn from `alphabet`. */
  string(length: number, alphabet: string): string {
    // Built from char codes in one go: `+=` would leave a rope of `length` nodes per id in memory.
    const codes = new Array<number>(length);
    for (let i = 0; i < length; i++) codes[i] = alphabet.charCodeAt(this.int(alphabet.length));
    return String.fromCharCode(...codes);
  }

  /** A new generator seeded from this one, so separate concerns get independent streams. */
  fork(): Random {
    return new Random(Math.floor(this.next() * 4294967296));
  }
}

/** A fresh random 32-bit seed, used when the caller asks for no determinism. */
export function freshSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}

/**
 * Generates AWS-shaped identifiers from a Random.
 * Keeping the shapes in one place makes them match what real IAM hands out.
 */
export class IdGenerator {
  /** Wraps a generator dedicated to ids. */
  constructor(private readonly random: Random) {}

  /** An access key id: `AKIA` followed by 16 upper-case letters and digits. */
  accessKeyId(): string {
    return `AKIA${this.random.string(16, UPPER_ALNUM)}`;
  }

  /** A 40-character secret access key. */
  secretAccessKey(): string {
    return this.random.string(40, SECRET_CHARS);
  }

  /** An IAM user id: `AIDA` followed by 17 upper-case letters and digits. */
  userId(): string {
    return `AIDA${this.random.string(17, UPPER_ALNUM)}`;
  }

  /** The 6 letters and digits Secrets Manager appends to a secret's name in its ARN. */
  secretArnSuffix(): string {
    return this.random.string(6, `${UPPER_ALNUM}abcdefghijklmnopqrstuvwxyz`);
  }

  /** A hex string of `bytes` random bytes. */
  hex(bytes: number): string {
    return this.random.string(bytes * 2, "0123456789abcdef");
  }

  /** A UUID-shaped string (version 4 layout). */
  uuid(): string {
    const h = this.hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}
