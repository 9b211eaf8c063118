import { describe, expect, it } from "vitest";
import { decodeAwsChunked } from "../src/aws-chunked.js";
import { reportTime } from "../src/iam/credential-report.js";
import { Random } from "../src/random.js";
import { SortedIndex } from "../src/sorted-index.js";

describe("building blocks", () => {
  it("formats credential report times exactly like toISOString with +00:00", () => {
    const random = new Random(3);
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor((random.next() - 0.2) * 4e12);
      expect(reportTime(ms)).toBe(`${new Date(ms).toISOString().slice(0, 19)}+00:00`);
    }
  });

  it("keeps a sorted index consistent under out-of-order inserts and deletes", () => {
    const index = new SortedIndex<number>();
    const random = new Random(9);
    const reference = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const key = `k${random.int(1500)}`;
      if (random.next() < 0.3) {
        expect(index.delete(key)).toBe(reference.delete(key));
      } else {
        index.set(key, i);
        reference.set(key, i);
      }
    }
    const expected = [...reference.keys()].sort();
    expect(index.sortedKeys()).toEqual(expected);
    expect(index.size).toBe(expected.length);
    let after: string | undefined;
    const walked: string[] = [];
    for (;;) {
      const page = index.page(after, 97);
      walked.push(
        ...page.items.map((v) => [...reference.entries()].find(([, n]) => n === v)?.[0] as string),
      );
      if (!page.truncated) break;
      after = page.lastKey;
    }
    expect(walked).toEqual(expected);
  });

  it("decodes aws-chunked bodies with chunk signatures and trailers", () => {
    const body = Buffer.from(
      "5;chunk-signature=ab\r\nhello\r\n1\r\n!\r\n0\r\nx-amz-checksum-crc32:abc=\r\nx-amz-trailer-signature:00\r\n\r\n",
    );
    expect(decodeAwsChunked(body)).toEqual({
      data: Buffer.from("hello!"),
      trailers: { "x-amz-checksum-crc32": "abc=", "x-amz-trailer-signature": "00" },
    });
    expect(() => decodeAwsChunked(Buffer.from("5\r\nhi\r\n"))).toThrow(/aws-chunked/);
  });
});
