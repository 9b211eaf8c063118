import { ServiceError } from "./errors.js";
import { arnIn, type ServiceScope } from "./scope.js";

/** The `X-Amz-Target` prefix of Systems Manager (JSON 1.1 protocol). */
export const SSM_TARGET = "AmazonSSM";

/** A parameter's type, as SSM names it. */
export type ParameterType = "String" | "StringList" | "SecureString";

interface StoredParameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  changedMs: number;
}

// Names: letters, digits and _.-/, a path's levels starting with /; at most 2,048 characters.
const NAME = /^\/?[A-Za-z0-9_.\-/]{1,2047}$/;

/** What a SecureString shows without decryption: SSM returns the ciphertext, here a marker. */
const encryptedValue = (value: string): string =>
  `sandbox-ciphertext:${Buffer.from(value).length}-bytes`;

/**
 * The SSM Parameter Store part of a fake account: parameters seeded by a test (String or
 * SecureString) and `GetParameter`, with `WithDecryption` and `ParameterNotFound` as SSM answers.
 */
export class ParameterStore {
  private readonly byName = new Map<string, StoredParameter>();

  /** An empty store for the account of `scope`. */
  constructor(private readonly scope: ServiceScope) {}

  /** Forgets every parameter. */
  clear(): void {
    this.byName.clear();
  }

  /** Creates or overwrites a parameter (a new version), as `PutParameter --overwrite` does. */
  put(name: string, value: string, type: ParameterType = "SecureString"): void {
    if (!NAME.test(name) || /^\/?(aws|ssm)/i.test(name))
      throw new ServiceError(
        "ValidationException",
        `Parameter name ${JSON.stringify(name)} is not valid: letters, digits and _.-/, not starting with aws or ssm.`,
      );
    const previous = this.byName.get(name);
    this.byName.set(name, {
      name,
      type,
      value,
      version: (previous?.version ?? 0) + 1,
      changedMs: this.scope.clock.nowMs(),
    });
  }

  /** Runs one operation on its JSON input and returns its JSON output. */
  handle(operation: string, input: Record<string, unknown>): Record<string, unknown> {
    if (operation === "GetParameter") return this.getParameter(input);
    throw new ServiceError(
      "UnknownOperationException",
      `The keyrotate sandbox does not emulate ssm ${operation}.`,
    );
  }

  private getParameter(input: Record<string, unknown>): Record<string, unknown> {
    const raw = input.Name;
    if (typeof raw !== "string" || raw === "")
      throw new ServiceError("ValidationException", "1 validation error detected: Name is null.");
    // An ARN names the parameter after `parameter`: `parameter/a/b` is `/a/b`, `parameter/x` is `x`.
    const arn = /^arn:aws[\w-]*:ssm:[a-z0-9-]+:\d{12}:parameter(\/.*)$/.exec(raw);
    const name = arn === null ? raw : (arn[1] as string);
    const p = this.byName.get(name) ?? (arn === null ? undefined : this.byName.get(name.slice(1)));
    if (p === undefined) throw new ServiceError("ParameterNotFound", "", 400);
    const decrypt = input.WithDecryption === true;
    return {
      Parameter: {
        Name: p.name,
        Type: p.type,
        Value: p.type === "SecureString" && !decrypt ? encryptedValue(p.value) : p.value,
        Version: p.version,
        LastModifiedDate: p.changedMs / 1000,
        ARN: arnIn(this.scope, "ssm", `parameter${p.name.startsWith("/") ? "" : "/"}${p.name}`),
        DataType: "text",
      },
    };
  }
}
