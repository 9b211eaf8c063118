// A TypeScript consumer of the published packages: every public entry point, typechecked by the
// check script under moduleResolution "bundler" and "nodenext".
import { createAwsClients, type RunReport, runKeyrotate } from "@keyrotate/aws-adapter";
import schema from "@keyrotate/aws-adapter/schema/run-report.schema.json" with { type: "json" };
import { main, nodeIo } from "@keyrotate/cli";
import { type CalendarDate, decide, decodeSettings } from "@keyrotate/core";
import { createHandler, type KeyrotateHandler } from "@keyrotate/lambda";
import { startSandbox } from "@keyrotate/sandbox";
import * as E from "fp-ts/lib/Either.js";

export const settings = decodeSettings({ SES_EMAIL: "a@example.com" });
export const plan = E.isRight(settings)
  ? decide(settings.right, "2026-01-01" as CalendarDate)
  : undefined;
export const handler: KeyrotateHandler = createHandler({ env: {} });
export const run = (): Promise<RunReport> =>
  E.isRight(settings)
    ? runKeyrotate({
        clients: createAwsClients({ settings: settings.right }),
        settings: settings.right,
        today: "2026-01-01" as CalendarDate,
        dryRun: true,
      })
    : Promise.reject(new Error("invalid settings"));
export const schemaId: string = schema.$id;
export const cli = (): Promise<number> => main(["--help"], nodeIo());
export const sandbox = startSandbox;
