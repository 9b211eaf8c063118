import type { ScenarioKey, ScenarioUser } from "@keyrotate/sandbox";

/** A customer-managed KMS key for the preflight's and the SSE-KMS tests' buckets. */
export const TEST_KMS_KEY =
  "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-1111-2222-3333-444455556666";

/**
 * A sandbox user with the email tag `<name>@example.com` (plus `tags`) and the given keys: the
 * user most scenarios are made of, in one line.
 *
 * @example
 * const anna = mailedUser("anna", [{ ageDays: 95, lastUsedDaysAgo: 0, id: "AKIAANNA000000000001" }]);
 */
export const mailedUser = (
  name: string,
  keys: ScenarioKey[],
  tags: Record<string, string> = {},
): ScenarioUser => ({ name, tags: { email: `${name}@example.com`, ...tags }, keys });
