import { type AttemptMiddleware, MUTATING_OPERATIONS } from "@keyrotate/aws-adapter";

/** Which call attempts bring a {@link crashSwitch} closer to its crash. */
export type CrashCounting =
  /** Every attempt, reads and retries included: a process killed at any point. */
  | "every-call"
  /** Only attempts that change the account or send mail (`MUTATING_OPERATIONS`). */
  | "changing-calls";

/** Where a {@link crashSwitch} kills its process. */
export interface CrashPoint {
  /** The process dies after this many counted attempts. */
  readonly after: number;
  readonly counting: CrashCounting;
  /** The last counted attempt takes effect but its answer never comes back. */
  readonly lostReply: boolean;
}

/** A crash switch: the middleware to give the clients, and whether it fired. */
export interface CrashSwitch {
  readonly middleware: AttemptMiddleware;
  readonly fired: () => boolean;
}

/** Thrown by the switch: not an AWS error, so the SDK never retries it. */
const crash = (): never => {
  throw Object.assign(new Error("the keyrotate process was killed (simulated crash)"), {
    name: "SimulatedCrash",
  });
};

/**
 * A process that dies after its `after`-th counted call attempt: from then on nothing it sends
 * arrives. One switch for every crash test (the adapter's, the reliability runs', the chaos
 * simulation's), counting all calls or only changing ones.
 *
 * @example
 * const crash = crashSwitch({ after: 3, counting: "changing-calls", lostReply: true });
 * await h.run({ clients: h.clientsWith([crash.middleware]) });
 */
export const crashSwitch = (point: CrashPoint): CrashSwitch => {
  let made = 0;
  let dead = false;
  const counted = (operation: string) =>
    point.counting === "every-call" || MUTATING_OPERATIONS.includes(operation);
  const middleware: AttemptMiddleware = (operation) => {
    if (dead) crash();
    if (!counted(operation)) return undefined;
    made += 1;
    if (made === point.after && point.lostReply) {
      dead = true;
      return crash;
    }
    if (made > point.after) {
      dead = true;
      crash();
    }
    return undefined;
  };
  return { middleware, fired: () => dead };
};
