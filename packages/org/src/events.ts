import { type CalendarDate, parseCalendarDate } from "@keyrotate/core";
import * as E from "fp-ts/lib/Either.js";

/** Where the list step put the run's account list and selection; the state machine passes it on. */
export interface ListOutput {
  /** The organisation run's id: the state machine execution's name. */
  readonly runId: string;
  /** The run's UTC date, fixed once by the list step for every account. */
  readonly date: CalendarDate;
  readonly dryRun: boolean;
  readonly bucket: string;
  /** A JSON array of {@link MapItem}: the Distributed Map's `ItemReader` reads it. */
  readonly accountsKey: string;
  /** The selection: discovered count, skipped accounts, settings (see `SelectionRecord`). */
  readonly selectionKey: string;
  readonly selected: number;
}

/** One item of the account list. */
export interface MapItem {
  readonly id: string;
  readonly name: string;
}

/** What the worker gets for one account: the Map's `ItemSelector` builds it. */
export interface WorkerEvent {
  readonly account: MapItem;
  readonly runId: string;
  readonly date: CalendarDate;
  readonly dryRun: boolean;
}

/** The Distributed Map's output with a `ResultWriter`: where its manifest is. */
export interface MapOutput {
  readonly MapRunArn: string;
  readonly ResultWriterDetails: { readonly Bucket: string; readonly Key: string };
}

/** What the summarise step gets: the whole state (the Map's output, or its error when it failed). */
export interface SummariseEvent {
  readonly list: ListOutput;
  readonly map?: MapOutput;
  readonly mapError?: { readonly Error?: string; readonly Cause?: string };
}

type Fields = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Fields =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const shown = (v: unknown): string => {
  const json = JSON.stringify(v);
  const text = json === undefined ? String(v) : json;
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

const ACCOUNT_ID = /^\d{12}$/;
const RUN_ID = /^[\w.:-]{1,80}$/;

/**
 * Reads the worker's event, with one message naming every field that is wrong.
 *
 * @example parseWorkerEvent({ account: { id: "111111111111", name: "prod" }, runId: "r1", date: "2026-11-28", dryRun: false })
 */
export const parseWorkerEvent = (event: unknown): E.Either<string, WorkerEvent> => {
  if (!isObject(event))
    return E.left(`the worker's event must be a JSON object, not ${shown(event)}`);
  const problems: string[] = [];
  const account = event.account;
  const id = isObject(account) ? account.id : undefined;
  const name = isObject(account) ? account.name : undefined;
  if (typeof id !== "string" || !ACCOUNT_ID.test(id))
    problems.push(`"account.id" must be a 12-digit account id, not ${shown(id)}`);
  if (name !== undefined && typeof name !== "string")
    problems.push(`"account.name" must be a string, not ${shown(name)}`);
  if (typeof event.runId !== "string" || !RUN_ID.test(event.runId))
    problems.push(`"runId" must be 1 to 80 of letters, digits and _.:-, not ${shown(event.runId)}`);
  const date = typeof event.date === "string" ? parseCalendarDate(event.date) : undefined;
  if (date === undefined)
    problems.push(`"date" must be a date YYYY-MM-DD, not ${shown(event.date)}`);
  if (typeof event.dryRun !== "boolean")
    problems.push(`"dryRun" must be true or false, not ${shown(event.dryRun)}`);
  if (problems.length > 0 || date === undefined) return E.left(problems.join("; "));
  return E.right({
    account: { id: id as string, name: typeof name === "string" ? name : (id as string) },
    runId: event.runId as string,
    date,
    dryRun: event.dryRun as boolean,
  });
};

/** Reads the summarise step's event (the state the state machine built), naming what is wrong. */
export const parseSummariseEvent = (event: unknown): E.Either<string, SummariseEvent> => {
  if (!isObject(event) || !isObject(event.list))
    return E.left(`the summarise event must be the run's state with "list", not ${shown(event)}`);
  const list = event.list;
  const problems: string[] = [];
  for (const field of ["runId", "bucket", "accountsKey", "selectionKey"] as const)
    if (typeof list[field] !== "string" || list[field] === "")
      problems.push(`"list.${field}" must be a string, not ${shown(list[field])}`);
  const date = typeof list.date === "string" ? parseCalendarDate(list.date) : undefined;
  if (date === undefined)
    problems.push(`"list.date" must be a date YYYY-MM-DD, not ${shown(list.date)}`);
  const map = event.map;
  const details = isObject(map) ? map.ResultWriterDetails : undefined;
  if (
    map !== undefined &&
    !(isObject(details) && typeof details.Bucket === "string" && typeof details.Key === "string")
  )
    problems.push(`"map.ResultWriterDetails" must hold Bucket and Key, not ${shown(details)}`);
  if (map === undefined && !isObject(event.mapError))
    problems.push(`either "map" (the Map's output) or "mapError" (its error) is required`);
  if (problems.length > 0) return E.left(problems.join("; "));
  return E.right(event as unknown as SummariseEvent);
};
