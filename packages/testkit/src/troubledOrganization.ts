import type { OrganizationScenario, Scenario, ScenarioUser } from "@keyrotate/sandbox";

// An organisation for the sandbox in which some accounts go wrong, each in its own way: the
// organisation-run tests of the adapter and of the Step Functions deployment start from it.

/** A user with an email tag and one Active key of `ageDays`, used today. */
export const emailUser = (name: string, ageDays: number): ScenarioUser => ({
  name,
  tags: { email: `${name}@example.com` },
  keys: [{ ageDays, lastUsedDaysAgo: 0 }],
});

/** Where a member account delivers: its verified sender and its credentials bucket. */
export interface MemberDelivery {
  readonly sender: string;
  /** The credentials bucket of an account (one name for all, or one per account). */
  readonly bucketOf: (accountId: string) => string;
}

/** What a member account holds: the sender, its bucket, one overdue and one fresh user. */
export const memberScenario = (
  delivery: MemberDelivery,
  accountId: string,
  prefix: string,
): Scenario => ({
  verifiedEmails: [delivery.sender],
  buckets: [delivery.bucketOf(accountId)],
  users: [emailUser(`${prefix}-overdue`, 70), emailUser(`${prefix}-fresh`, 5)],
});

/**
 * The organisation: `shared` (111…) under the root; OU workloads with `prod` (222…) and `optout`
 * (555…, tagged `keyrotate:opt-out=true`); nested OU sandboxes with `closed` (333…, SUSPENDED),
 * `norole` (444…, no member role: AssumeRole is denied), `throttled` (666…, every IAM call
 * throttled) and `mailless` (777…, SES rejects every mail). The management account has no role.
 */
export const troubledOrganization = (
  delivery: MemberDelivery,
  memberRole: { readonly name: string; readonly externalId: string },
): OrganizationScenario => {
  const account = (id: string, name: string) => ({
    id,
    name,
    scenario: memberScenario(delivery, id, name),
  });
  return {
    memberRole: { ...memberRole },
    management: { role: null },
    accounts: [account("111111111111", "shared")],
    ous: [
      {
        name: "workloads",
        accounts: [
          account("222222222222", "prod"),
          { ...account("555555555555", "optout"), tags: { "keyrotate:opt-out": "true" } },
        ],
        ous: [
          {
            name: "sandboxes",
            accounts: [
              { id: "333333333333", name: "closed", status: "SUSPENDED" },
              { ...account("444444444444", "norole"), role: null },
              { ...account("666666666666", "throttled"), faults: { throttleRate: 1 } },
              {
                ...account("777777777777", "mailless"),
                faults: {
                  failOperations: {
                    "ses:SendEmail": {
                      count: 1000,
                      status: 400,
                      code: "MessageRejected",
                      message: "Email address is not verified.",
                    },
                  },
                },
              },
            ],
          },
        ],
      },
    ],
  };
};
