import { ORG_SETTING_NAMES } from "@keyrotate/aws-adapter";
import { decodeSettings, settingSpecs } from "@keyrotate/core";
import {
  deployedActions,
  isSecretsManagerStoreOnly,
  type Json,
  loadSpecification,
  organizationOperations,
  referenceProblems,
  templateSpecProblems,
} from "@keyrotate/testkit";
import validateAsl from "asl-validator";
import * as E from "fp-ts/lib/Either.js";
import { describe, expect, it } from "vitest";
import { parseWorkerEvent } from "../src/events.js";
import { decodeListSettings, decodeRunSettings } from "../src/settings.js";
import { runKeys } from "../src/store.js";
import { AccountThrottledError } from "../src/worker.js";
import {
  allowedActions,
  EXTERNAL_ID,
  MEMBER_ACCOUNT,
  memberTemplate,
  ORGANIZATION_ID,
  orgTemplate,
  RESULTS_BUCKET,
  resolveMember,
  resolveOrg,
  rolePolicies,
  WORKER_ROLE_ARN,
} from "./deployment.js";

const spec = loadSpecification();

type State = Record<string, Json> & { Type: string };
type Definition = { StartAt: string; States: Record<string, State> };

/** The state machine's definition with its DefinitionSubstitutions put in, as Step Functions gets it. */
const definitionOf = (parameters: Record<string, string> = {}): Definition => {
  const props = resolveOrg(parameters).properties("OrgStateMachine") as {
    Definition: Json;
    DefinitionSubstitutions: Record<string, string>;
  };
  const text = JSON.stringify(props.Definition).replace(/\$\{(\w+)\}/g, (whole, name: string) => {
    const value = props.DefinitionSubstitutions[name];
    if (value === undefined) throw new Error(`no substitution for ${whole}`);
    return String(value);
  });
  return JSON.parse(text) as Definition;
};

const stateOf = (d: Definition, name: string): State => {
  const state = d.States[name];
  if (state === undefined) throw new Error(`no state ${name}`);
  return state;
};

/** The Map state and its worker task. */
const mapOf = (d: Definition) => {
  const map = stateOf(d, "RunAccounts");
  const processor = map.ItemProcessor as unknown as Definition & { ProcessorConfig: Json };
  return { map, processor, task: stateOf(processor, processor.StartAt) };
};

/** The value of `States.StringToJson('<text>')`, as Step Functions evaluates it. */
const stringToJson = (expression: Json): unknown => {
  const m = /^States\.StringToJson\('(.*)'\)$/.exec(String(expression));
  if (m === null) throw new Error(`not States.StringToJson: ${String(expression)}`);
  return JSON.parse(m[1] as string);
};

/** A JSONPath of the shapes the definition uses (`$.a.b`, `$$.Map.Item.Value`) on a state and context. */
const pathValue = (path: string, state: unknown, context: unknown): unknown => {
  const [root, ...parts] = path.split(".");
  let value = root === "$$" ? context : state;
  for (const part of parts) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
};

/** A payload template applied: fields ending in `.$` take the value at their path. */
const applyTemplate = (template: Json, state: unknown, context: unknown): unknown =>
  Object.fromEntries(
    Object.entries(template as Record<string, Json>).map(([key, value]) =>
      key.endsWith(".$")
        ? [key.slice(0, -2), pathValue(String(value), state, context)]
        : [key, value],
    ),
  );

const lambdaErrors = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
];

describe("the org templates", () => {
  it.each([
    ["template.yaml", orgTemplate],
    ["member-role.yaml", memberTemplate],
  ])(
    "%s uses only the specification's resource types and properties, with every required one, and refers only to what exists",
    (_, template) => {
      expect(templateSpecProblems(template, spec)).toEqual([]);
      expect(referenceProblems(template, spec)).toEqual([]);
    },
  );

  it("checks catch a resource property that does not exist and a reference to nothing", () => {
    // Prepare: a copy of the member template with a misspelt property and a dangling Ref.
    const broken = structuredClone(memberTemplate);
    const role = broken.Resources.MemberRole?.Properties as Record<string, Json>;
    role.MaxSessionDurationSeconds = 3600;
    role.RoleName = { Ref: "MemberRoleNam" };
    // Act
    const problems = [...templateSpecProblems(broken, spec), ...referenceProblems(broken, spec)];
    // Assess
    expect(problems).toEqual([
      "MemberRole: AWS::IAM::Role.MaxSessionDurationSeconds: not a property of AWS::IAM::Role",
      "MemberRole: Ref MemberRoleNam",
    ]);
  });
});

describe("the state machine", () => {
  it("is a valid Amazon States Language definition (asl-validator)", () => {
    const result = validateAsl(definitionOf());
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it("fails asl-validator without its Map's ItemProcessor, so the check can fail", () => {
    const definition = definitionOf();
    delete (definition.States.RunAccounts as Record<string, Json>).ItemProcessor;
    expect(validateAsl(definition).isValid).toBe(false);
  });

  it("fans out with a Distributed Map that reads the account list from S3 and writes its results to S3", () => {
    const { map, processor, task } = mapOf(definitionOf());
    const results = runKeys("exec-1").results;

    expect(map.Type).toBe("Map");
    expect(processor.ProcessorConfig).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "STANDARD" });
    expect(map.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "JSON" },
      Parameters: { "Bucket.$": "$.list.bucket", "Key.$": "$.list.accountsKey" },
    });
    expect(map.ResultWriter).toEqual({
      Resource: "arn:aws:states:::s3:putObject",
      Parameters: {
        Bucket: RESULTS_BUCKET,
        "Prefix.$": "States.Format('runs/{}/results', $.list.runId)",
      },
    });
    // States.Format fills {} with the run id: the prefix the summarise step searches.
    expect("runs/{}/results".replace("{}", "exec-1")).toBe(results);
    expect(task).toMatchObject({
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke",
      Parameters: {
        FunctionName:
          "arn:aws:lambda:eu-west-1:123456789012:function:keyrotate-org-WorkerFunction-2",
        "Payload.$": "$",
      },
      OutputPath: "$.Payload",
    });
  });

  it("gives the worker exactly the event it reads: the item, the run id, the date and dry run", () => {
    // Prepare: the Map's input after the list step, and one item of the account list.
    const { map } = mapOf(definitionOf());
    const state = {
      config: { maxConcurrency: 10, toleratedFailurePercentage: 10 },
      list: { runId: "exec-1", date: "2026-11-28", dryRun: false, bucket: RESULTS_BUCKET },
    };
    const context = { Map: { Item: { Index: 0, Value: { id: MEMBER_ACCOUNT, name: "prod" } } } };
    // Act
    const event = applyTemplate(map.ItemSelector as Json, state, context);
    // Assess
    expect(parseWorkerEvent(event)).toEqual(
      E.right({
        account: { id: MEMBER_ACCOUNT, name: "prod" },
        runId: "exec-1",
        date: "2026-11-28",
        dryRun: false,
      }),
    );
  });

  it("takes MaxConcurrency and ToleratedFailurePercentage from the template's parameters, as numbers", () => {
    const definition = definitionOf({ MaxConcurrency: "25", ToleratedFailurePercentage: "5" });
    const configure = stateOf(definition, definition.StartAt);
    const { map } = mapOf(definition);
    const config = Object.fromEntries(
      Object.entries(configure.Parameters as Record<string, Json>).map(([k, v]) => [
        k.replace(/\.\$$/, ""),
        stringToJson(v),
      ]),
    );

    expect(configure).toMatchObject({ Type: "Pass", ResultPath: "$.config" });
    expect(config).toEqual({ maxConcurrency: 25, toleratedFailurePercentage: 5 });
    expect(map.MaxConcurrencyPath).toBe("$.config.maxConcurrency");
    expect(map.ToleratedFailurePercentagePath).toBe("$.config.toleratedFailurePercentage");
  });

  it("retries Lambda's errors and a throttled account with backoff, and nothing that cannot pass on a retry", () => {
    const { task } = mapOf(definitionOf());
    const retries = task.Retry as Array<Record<string, Json>>;

    expect(retries.map((r) => r.ErrorEquals)).toEqual([
      lambdaErrors,
      [new AccountThrottledError("x").name],
    ]);
    for (const retry of retries) {
      expect(Number(retry.BackoffRate)).toBeGreaterThan(1);
      expect(Number(retry.MaxAttempts)).toBeGreaterThan(0);
      expect(retry.JitterStrategy).toBe("FULL");
    }
    // Invalid settings or events (InvalidSettingsError, InvalidEventError) fail the item at once.
    expect(JSON.stringify(retries)).not.toMatch(/States\.(ALL|TaskFailed)|Invalid/);
  });

  it("summarises after the Map whether it succeeded or failed, and ends failed unless every account completed", () => {
    const definition = definitionOf();
    const { map } = mapOf(definition);
    const outcome = stateOf(definition, "Outcome");

    expect(map.Next).toBe("Summarise");
    expect(map.Catch).toEqual([
      { ErrorEquals: ["States.ALL"], ResultPath: "$.mapError", Next: "Summarise" },
    ]);
    expect(stateOf(definition, "Summarise")).toMatchObject({
      Parameters: { "Payload.$": "$" },
      ResultPath: "$.summary",
      Next: "Outcome",
    });
    expect(outcome.Choices).toEqual([
      { Variable: "$.summary.status", StringEquals: "completed", Next: "Completed" },
    ]);
    expect(stateOf(definition, String(outcome.Default)).Type).toBe("Fail");
  });

  it("runs on an EventBridge schedule from the ScheduleExpression parameter", () => {
    const props = resolveOrg({ ScheduleExpression: "cron(30 4 * * ? *)" }).properties(
      "OrgStateMachine",
    );
    expect(props?.Events).toEqual({
      Daily: {
        Type: "Schedule",
        Properties: { Schedule: "cron(30 4 * * ? *)" },
      },
    });
    expect(props?.Role).toBe("arn:aws:iam::123456789012:role/keyrotate-org-StateMachineRole-7G8H");
  });
});

describe("the functions' settings", () => {
  const env = (parameters: Record<string, string> = {}) => {
    const globals = orgTemplate.Globals as { Function: { Environment: { Variables: Json } } };
    return resolveOrg(parameters).resolve(globals.Function.Environment.Variables) as Record<
      string,
      string
    >;
  };

  it("sets every policy and ORG_* setting, and decodes to the core's defaults", () => {
    const variables = env();
    const decoded = decodeRunSettings(variables);

    for (const name of [...Object.keys(settingSpecs), ...ORG_SETTING_NAMES, "RESULTS_BUCKET"])
      expect(variables, name).toHaveProperty(name);
    expect(E.isRight(decodeListSettings(variables))).toBe(true);
    expect(E.isRight(decoded)).toBe(true);
    if (E.isLeft(decoded)) return;
    const defaults = decodeSettings({
      SES_EMAIL: "keyrotate@example.com",
      SES_REGION: "eu-west-1",
      S3_CSV_BUCKET: "keyrotate-credentials-000000000000",
      LAMBDA_FUNCTION_NAME: "keyrotate-org",
    });
    expect(E.right(decoded.right.settings)).toEqual(defaults);
    expect(decoded.right.org).toMatchObject({
      roleName: "KeyrotateMember",
      externalId: EXTERNAL_ID,
      concurrency: 10,
    });
  });

  it("names each member account's own credentials bucket, the one member-role.yaml creates", () => {
    const decoded = decodeRunSettings(env());
    const memberBucket = resolveMember().resolve({ Ref: "CredentialsBucket" });
    const created = resolveMember().properties("CredentialsBucket")?.BucketName;

    expect(E.isRight(decoded) && decoded.right.settingsFor(MEMBER_ACCOUNT).s3CsvBucket).toBe(
      `keyrotate-credentials-${MEMBER_ACCOUNT}`,
    );
    expect(created).toBe(memberBucket);
  });
});

describe("the roles", () => {
  const management = organizationOperations().map((o) => o.action);

  it("lets the list step read the organization with exactly the adapter's discovery calls, and write the list", () => {
    const discovery = [...new Set(management.filter((a) => a.startsWith("organizations:")))].sort();
    expect(discovery).toContain("organizations:ListAccountsForParent");
    expect(allowedActions(resolveOrg(), "ListRole")).toEqual([...discovery, "s3:PutObject"].sort());
    expect(discovery.every((a) => /^organizations:(List|Describe)/.test(a))).toBe(true);
  });

  it("lets the worker do nothing but assume the member role, in accounts of the organization", () => {
    const statements = rolePolicies(resolveOrg(), "WorkerRole")["keyrotate-org-worker"]?.Statement;
    expect(allowedActions(resolveOrg(), "WorkerRole")).toEqual(
      [...new Set(management.filter((a) => a.startsWith("sts:")))].sort(),
    );
    expect(statements).toEqual([
      expect.objectContaining({
        Action: "sts:AssumeRole",
        Resource: "arn:aws:iam::*:role/KeyrotateMember",
        Condition: { StringEquals: { "aws:ResourceOrgID": ORGANIZATION_ID } },
      }),
    ]);
  });

  it("grants the member role exactly the AWS operations the adapter calls in an account", () => {
    // Organisation runs deliver to each member's bucket (the template sets SECRET_STORE=s3): the
    // Secrets Manager store's calls are not granted (issue 17).
    expect(allowedActions(resolveMember(), "MemberRole")).toEqual(
      deployedActions().filter((a) => !isSecretsManagerStoreOnly(a)),
    );
  });

  it("trusts only the worker's role, inside the organization, with the external id", () => {
    const trust = resolveMember().properties("MemberRole")?.AssumeRolePolicyDocument as {
      Statement: Json[];
    };
    expect(trust.Statement).toEqual([
      {
        Sid: "TheWorkerOfThisOrganizationWithTheExternalId",
        Effect: "Allow",
        Principal: { AWS: WORKER_ROLE_ARN },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "sts:ExternalId": EXTERNAL_ID, "aws:PrincipalOrgID": ORGANIZATION_ID },
        },
      },
    ]);
  });

  it("grants no wildcard action in either template", () => {
    const actions = [
      ...["ListRole", "WorkerRole", "SummariseRole", "StateMachineRole"].flatMap((id) =>
        allowedActions(resolveOrg(), id),
      ),
      ...allowedActions(resolveMember(), "MemberRole"),
    ];
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
  });
});
