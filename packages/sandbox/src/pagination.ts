import { ServiceError, validationError } from "./errors.js";

/** The default and the largest page size of IAM and SES list calls. */
export const DEFAULT_MAX_ITEMS = 100;
const MAX_MAX_ITEMS = 1000;

/**
 * Encodes where a listing stopped as an opaque marker bound to one listing.
 * Binding the marker to its listing lets a ListUsers marker fed to ListAccessKeys fail as on AWS.
 */
export function encodeMarker(listing: string, lastKey: string): string {
  return Buffer.from(JSON.stringify([listing, lastKey]), "utf8").toString("base64");
}

/**
 * Decodes a marker made by `encodeMarker` for `listing`, or throws AWS's `Invalid Marker.` error.
 * Returns undefined when no marker was sent, meaning "start at the beginning".
 */
export function decodeMarker(
  listing: string,
  marker: string | undefined,
  error: () => ServiceError = invalidMarker,
): string | undefined {
  if (marker === undefined) return undefined;
  if (marker === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(marker)) throw error();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(marker, "base64").toString("utf8"));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      parsed[0] === listing &&
      typeof parsed[1] === "string"
    ) {
      return parsed[1];
    }
  } catch {
    // fall through to the error below
  }
  throw error();
}

function invalidMarker(): ServiceError {
  return new ServiceError("ValidationError", "Invalid Marker.", 400);
}

/**
 * Parses a MaxItems parameter (1–1000, default 100) with AWS's validation errors.
 * Every IAM list call shares these limits, so they live in one place.
 */
export function parseMaxItems(raw: string | undefined, max = MAX_MAX_ITEMS): number {
  if (raw === undefined) return Math.min(DEFAULT_MAX_ITEMS, max);
  if (!/^-?\d+$/.test(raw.trim())) {
    throw validationError(raw, "maxItems", "Member must be an integer");
  }
  const n = Number(raw);
  if (n < 1)
    throw validationError(raw, "maxItems", "Member must have value greater than or equal to 1");
  if (n > max) {
    throw validationError(raw, "maxItems", `Member must have value less than or equal to ${max}`);
  }
  return n;
}

/**
 * Pages through a small array already in a stable order, resuming after the item whose key is the marker.
 * Used for per-user lists (keys, tags) that are too small to need an index.
 */
export function pageArray<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  afterKey: string | undefined,
  limit: number,
): { items: T[]; lastKey: string | undefined; truncated: boolean } {
  let start = 0;
  if (afterKey !== undefined) {
    const i = items.findIndex((item) => keyOf(item) === afterKey);
    if (i < 0) throw invalidMarker();
    start = i + 1;
  }
  const page = items.slice(start, start + limit);
  const last = page[page.length - 1];
  return {
    items: page,
    lastKey: last === undefined ? undefined : keyOf(last),
    truncated: start + limit < items.length,
  };
}
