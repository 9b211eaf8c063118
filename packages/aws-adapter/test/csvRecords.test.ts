import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvRecords, CsvSyntaxError } from "../src/csvRecords.js";

/** Reads `chunks` one after the other and returns the records. */
const read = (...chunks: string[]): string[][] => {
  const records: string[][] = [];
  const reader = new CsvRecords((r) => {
    records.push(r);
    return true;
  });
  for (const chunk of chunks) reader.write(chunk);
  reader.end();
  return records;
};

/** `text` cut at the given places. */
const cut = (text: string, at: ReadonlyArray<number>): string[] => {
  const places = [...new Set(at.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  return [0, ...places].map((p, i) => text.slice(p, places[i] ?? text.length));
};

const field = fc.string({
  unit: fc.constantFrom("a", "b", ",", '"', "\n", "\r", " ", "é"),
  maxLength: 6,
});
const records = fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { maxLength: 8 });

describe("CsvRecords", () => {
  it("reads fields, quoted fields with commas, doubled quotes and line breaks, and any line ending", () => {
    const text = 'user,arn\r\n"svc,deploy","say ""hi""\nthere"\nbob,x\rcarol,';

    expect(read(text)).toEqual([
      ["user", "arn"],
      ["svc,deploy", 'say "hi"\nthere'],
      ["bob", "x"],
      ["carol", ""],
    ]);
  });

  it("drops a byte-order mark and skips empty lines", () => {
    expect(read("\ufeffa,b\n\n\r\nc,d\n\n")).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(read("")).toEqual([]);
  });

  it.each([
    ["a quote left open", 'a,"b\n', "CSV_QUOTE_NOT_CLOSED"],
    ["text after a closing quote", '"a"b,c\n', "CSV_INVALID_CLOSING_QUOTE"],
    ["a quote inside an unquoted field", 'ab"c,d\n', "CSV_INVALID_OPENING_QUOTE"],
  ])("rejects %s", (_, text, code) => {
    const error = (() => {
      try {
        read(text);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(CsvSyntaxError);
    expect(error).toMatchObject({ code });
  });

  it("stops reading when the record callback says so", () => {
    const seen: string[][] = [];
    const reader = new CsvRecords((r) => {
      seen.push(r);
      return false;
    });

    reader.write('a\nb\n"never closed');
    reader.end();

    expect(seen).toEqual([["a"]]);
  });

  it("reads what csv-stringify writes, and what csv-parse reads, whatever the chunks", () => {
    fc.assert(
      fc.property(records, fc.array(fc.nat(), { maxLength: 6 }), (rs, at) => {
        const text = stringify(rs);
        const expected = parse(text, {
          bom: true,
          skip_empty_lines: true,
          relax_column_count: true,
        });

        expect(read(...cut(text, at))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
