import type { Clock } from "./clock.js";
import type { IdGenerator } from "./random.js";

/** What a service's store takes from its account: the clock, ids and where its ARNs point. */
export interface ServiceScope {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly region: string;
  readonly accountId: string;
}

/** `arn:aws:<service>:<region>:<account>:<resource>` for a resource of `scope`'s account. */
export function arnIn(scope: ServiceScope, service: string, resource: string): string {
  return `arn:aws:${service}:${scope.region}:${scope.accountId}:${resource}`;
}
