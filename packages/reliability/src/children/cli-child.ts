/**
 * A real `keyrotate` CLI process for the process tests: the CLI's own `main` and `nodeIo`
 * (`packages/cli/src/main.ts` does exactly this), with the CLI's clock set to the sandbox's "now"
 * (read once from its inspection API), so that no test depends on the real date. Arguments are
 * the CLI's; settings and credentials come from the environment.
 */
import { main, nodeIo } from "@keyrotate/cli";

const url = process.env.AWS_ENDPOINT_URL;
if (url === undefined) throw new Error("AWS_ENDPOINT_URL must point at the sandbox");
const { now } = (await (await fetch(`${url}/_sandbox/clock`)).json()) as { now: string };
process.exitCode = await main(process.argv.slice(2), { ...nodeIo(), now: () => new Date(now) });
