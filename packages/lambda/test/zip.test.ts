import { randomBytes } from "node:crypto";
import { crc32, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { zip } from "../scripts/zip.js";

interface ReadEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly mode: number;
}

/** Reads a zip by its central directory, as unzip does, checking sizes and CRCs. */
const unzip = (archive: Buffer): ReadEntry[] => {
  const eocd = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBe(archive.length - 22);
  const count = archive.readUInt16LE(eocd + 10);
  let at = archive.readUInt32LE(eocd + 16);
  expect(at + archive.readUInt32LE(eocd + 12)).toBe(eocd);
  const entries: ReadEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    expect(archive.readUInt32LE(at)).toBe(0x02014b50);
    const method = archive.readUInt16LE(at + 10);
    const crc = archive.readUInt32LE(at + 16);
    const compressed = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extra = archive.readUInt16LE(at + 30);
    const comment = archive.readUInt16LE(at + 32);
    const mode = archive.readUInt32LE(at + 38) >>> 16;
    const local = archive.readUInt32LE(at + 42);
    const name = archive.toString("utf8", at + 46, at + 46 + nameLength);
    expect(archive.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const body = archive.subarray(start, start + compressed);
    const data = method === 8 ? inflateRawSync(body) : Buffer.from(body);
    expect(data.length).toBe(size);
    expect(crc32(data)).toBe(crc);
    entries.push({ name, data, mode });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
};

describe("the zip writer", () => {
  it("writes entries that read back byte for byte, compressed or stored", () => {
    const text = Buffer.from("export const handler = () => 1;\n".repeat(200));
    const noise = randomBytes(4096); // incompressible: stored as is

    const archive = zip([
      { name: "index.mjs", data: text },
      { name: "data/noise.bin", data: noise, mode: 0o600 },
    ]);

    const entries = unzip(archive);
    expect(entries.map((e) => e.name)).toEqual(["index.mjs", "data/noise.bin"]);
    expect(entries[0]?.data.equals(text)).toBe(true);
    expect(entries[1]?.data.equals(noise)).toBe(true);
    expect(entries.map((e) => e.mode)).toEqual([0o100644, 0o100600]);
    expect(archive.length).toBeLessThan(text.length + noise.length);
  });

  it("gives the same bytes for the same input, so the package hash follows the code", () => {
    const entries = [{ name: "index.mjs", data: Buffer.from("x") }];
    expect(zip(entries).equals(zip(entries))).toBe(true);
  });
});
