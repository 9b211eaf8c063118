import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parse, type Tags } from "yaml";

// Reading, resolving and checking CloudFormation and SAM templates, for the template and policy
// tests of the packages that deploy (lambda, org).

/** A JSON value as a template holds it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A template resource. */
export interface Resource {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly Condition?: string;
  readonly [attribute: string]: Json | undefined;
}

/** The template, as CloudFormation sees it before the SAM transform. */
export interface Template {
  readonly Parameters: Record<string, { Type: string; Default?: string | number } & JsonObject>;
  readonly Conditions: Record<string, Json>;
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, JsonObject>;
  /** SAM's properties shared by every function (or state machine), before the transform. */
  readonly Globals?: JsonObject;
}

const functionNames = [
  "And",
  "Base64",
  "Cidr",
  "Equals",
  "FindInMap",
  "GetAtt",
  "GetAZs",
  "If",
  "ImportValue",
  "Join",
  "Length",
  "Not",
  "Or",
  "Select",
  "Split",
  "Sub",
  "ToJsonString",
  "Transform",
];

/** CloudFormation's short forms (`!Ref`, `!Sub`, `!GetAtt A.Arn`, …) as their long forms. */
export const cloudFormationTags: Tags = [
  ["Ref", "Ref"],
  ["Condition", "Condition"],
  ...functionNames.map((n) => [n, `Fn::${n}`]),
].flatMap(([tag, key]) =>
  ([undefined, "seq", "map"] as const).map((collection) => ({
    tag: `!${tag}`,
    ...(collection === undefined ? {} : { collection }),
    resolve: (value: unknown) => {
      const plain =
        typeof value === "object" && value !== null && "toJSON" in value
          ? (value as { toJSON: () => unknown }).toJSON()
          : value;
      return {
        [key as string]: tag === "GetAtt" && typeof plain === "string" ? plain.split(".") : plain,
      };
    },
  })),
) as unknown as Tags;

/** Parses a CloudFormation or SAM template with CloudFormation's YAML tags. */
export const loadTemplate = (path: string): Template =>
  parse(readFileSync(path, "utf8"), { customTags: cloudFormationTags }) as Template;

// ---------------------------------------------------------------------------------------------
// Resolving intrinsic functions for fixed test values.

/** Fixed values to resolve a template with. */
export interface Deployment {
  readonly accountId: string;
  readonly region: string;
  readonly stackName: string;
  /** Parameter values beyond the template's defaults. */
  readonly parameters: Readonly<Record<string, string>>;
  /** `Ref` and `Fn::GetAtt` of each resource: `{ Ref: …, Arn: … }`. */
  readonly attributes: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const NO_VALUE = Symbol("AWS::NoValue");
type Resolved = Json | typeof NO_VALUE;

/** Resolves a template's intrinsic functions for one deployment. */
export class Resolver {
  private readonly conditionValues = new Map<string, boolean>();

  constructor(
    readonly template: Template,
    readonly deployment: Deployment,
  ) {}

  /** A parameter's value: the deployment's, or the template's default. */
  parameter(name: string): string {
    const given = this.deployment.parameters[name];
    if (given !== undefined) return given;
    const spec = this.template.Parameters[name];
    if (spec === undefined) throw new Error(`no parameter ${name}`);
    if (spec.Default === undefined) throw new Error(`parameter ${name} needs a value`);
    return String(spec.Default);
  }

  /** Whether a condition holds. */
  condition(name: string): boolean {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    const expression = this.template.Conditions[name];
    if (expression === undefined) throw new Error(`no condition ${name}`);
    const value = this.booleanOf(expression);
    this.conditionValues.set(name, value);
    return value;
  }

  /** Whether a resource exists in this deployment (its `Condition` holds, if it has one). */
  exists(logicalId: string): boolean {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) return false;
    return resource.Condition === undefined || this.condition(resource.Condition);
  }

  /** A resource's properties, resolved (undefined when the resource is not deployed). */
  properties(logicalId: string): JsonObject | undefined {
    if (!this.exists(logicalId)) return undefined;
    const props = this.resolve(this.template.Resources[logicalId]?.Properties ?? {});
    return props as JsonObject;
  }

  /** Resolves a value; `AWS::NoValue` removes the property or item that holds it. */
  resolve(value: Json): Json {
    const out = this.walk(value);
    if (out === NO_VALUE) throw new Error("AWS::NoValue at the top");
    return out;
  }

  private booleanOf(expression: Json): boolean {
    const [fn, args] = this.single(expression);
    const list = Array.isArray(args) ? args : [];
    switch (fn) {
      case "Condition":
        return this.condition(String(args));
      case "Fn::Equals":
        return (
          JSON.stringify(this.resolve(list[0] ?? null)) ===
          JSON.stringify(this.resolve(list[1] ?? null))
        );
      case "Fn::Not":
        return !this.booleanOf(list[0] ?? null);
      case "Fn::And":
        return list.every((c) => this.booleanOf(c));
      case "Fn::Or":
        return list.some((c) => this.booleanOf(c));
      default:
        throw new Error(`not a condition function: ${fn}`);
    }
  }

  private single(value: Json): [string, Json] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`not an intrinsic function: ${JSON.stringify(value)}`);
    }
    const keys = Object.keys(value);
    if (keys.length !== 1) throw new Error(`not an intrinsic function: ${JSON.stringify(value)}`);
    const key = keys[0] as string;
    return [key, value[key] as Json];
  }

  private ref(name: string): Resolved {
    switch (name) {
      case "AWS::NoValue":
        return NO_VALUE;
      case "AWS::AccountId":
        return this.deployment.accountId;
      case "AWS::Region":
        return this.deployment.region;
      case "AWS::Partition":
        return "aws";
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::StackName":
        return this.deployment.stackName;
    }
    if (name in this.template.Parameters) return this.parameter(name);
    return this.attribute(name, "Ref");
  }

  private attribute(logicalId: string, attribute: string): string {
    if (!(logicalId in this.template.Resources)) throw new Error(`no resource ${logicalId}`);
    if (!this.exists(logicalId)) throw new Error(`${logicalId} is not deployed here`);
    const value = this.deployment.attributes[logicalId]?.[attribute];
    if (value === undefined) throw new Error(`no test value for ${logicalId}.${attribute}`);
    return value;
  }

  private sub(template: string, variables: Readonly<Record<string, Json>>): string {
    return template.replace(/\$\{([^}]+)\}/g, (_, inner: string) => {
      if (inner.startsWith("!")) return `\${${inner.slice(1)}}`;
      if (inner in variables) return String(this.resolve(variables[inner] as Json));
      if (inner.includes(".") && !inner.startsWith("AWS::")) {
        const [id, attr] = inner.split(".", 2) as [string, string];
        return this.attribute(id, attr);
      }
      const value = this.ref(inner);
      if (value === NO_VALUE) throw new Error("AWS::NoValue in Fn::Sub");
      return String(value);
    });
  }

  private walk(value: Json): Resolved {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
      return value.map((v) => this.walk(v)).filter((v): v is Json => v !== NO_VALUE);
    }
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = value[key] as Json;
      const list = Array.isArray(arg) ? arg : [];
      switch (key) {
        case "Ref":
          return this.ref(String(arg));
        case "Fn::GetAtt":
          return this.attribute(String(list[0]), String(list[1]));
        case "Fn::Sub":
          return typeof arg === "string"
            ? this.sub(arg, {})
            : this.sub(String(list[0]), (list[1] ?? {}) as JsonObject);
        case "Fn::If":
          return this.walk(this.condition(String(list[0])) ? (list[1] ?? null) : (list[2] ?? null));
        case "Fn::Select": {
          const items = this.resolve(list[1] ?? null);
          if (!Array.isArray(items)) throw new Error("Fn::Select of a non-list");
          return items[Number(this.resolve(list[0] ?? null))] ?? null;
        }
        case "Fn::Split":
          return String(this.resolve(list[1] ?? null)).split(String(list[0]));
        case "Fn::Join": {
          const items = this.resolve(list[1] ?? null);
          if (!Array.isArray(items)) throw new Error("Fn::Join of a non-list");
          return items.map(String).join(String(list[0]));
        }
        case "Condition":
        case "Fn::Equals":
        case "Fn::Not":
        case "Fn::And":
        case "Fn::Or":
          return this.booleanOf(value);
      }
      if (key.startsWith("Fn::")) throw new Error(`the resolver does not know ${key}`);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = this.walk(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// The CloudFormation resource specification (from @aws-cdk/cfnspec).

interface SpecProperty {
  readonly Required?: boolean;
  readonly Type?: string;
  readonly ItemType?: string;
  readonly PrimitiveType?: string;
  readonly PrimitiveItemType?: string;
  readonly Types?: ReadonlyArray<string>;
  readonly PrimitiveTypes?: ReadonlyArray<string>;
}

interface SpecType {
  readonly Properties?: Readonly<Record<string, SpecProperty>>;
  readonly Attributes?: Readonly<Record<string, unknown>>;
}

/** The resource specification JSON shipped in `@aws-cdk/cfnspec`. */
export interface Specification {
  readonly ResourceSpecificationVersion: string;
  readonly ResourceTypes: Readonly<Record<string, SpecType>>;
  readonly PropertyTypes: Readonly<Record<string, SpecType>>;
}

/**
 * Where the SAM part of `@aws-cdk/cfnspec` disagrees with SAM's own documentation, SAM's
 * documentation wins: `EventInvokeConfig.DestinationConfig` takes `OnFailure`, `OnSuccess` or
 * both (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-eventinvokedestinationconfiguration.html,
 * "Required: No" for each), while the package marks both required.
 */
const samCorrections: ReadonlyArray<readonly [string, string, SpecProperty]> = [
  ["AWS::Serverless::Function.EventInvokeDestinationConfig", "OnFailure", { Required: false }],
  ["AWS::Serverless::Function.EventInvokeDestinationConfig", "OnSuccess", { Required: false }],
];

/** The specification, with {@link samCorrections} applied. */
export const loadSpecification = (): Specification => {
  const require = createRequire(import.meta.url);
  const spec = JSON.parse(
    readFileSync(require.resolve("@aws-cdk/cfnspec/spec/specification.json"), "utf8"),
  ) as Specification;
  for (const [type, property, correction] of samCorrections) {
    const props = spec.PropertyTypes[type]?.Properties as Record<string, SpecProperty> | undefined;
    const current = props?.[property];
    if (props === undefined || current === undefined) throw new Error(`no ${type}.${property}`);
    props[property] = { ...current, ...correction };
  }
  return spec;
};

/** The attributes a resource entry may have beside `Type` and `Properties`. */
export const resourceAttributes = new Set([
  "Type",
  "Properties",
  "Condition",
  "DependsOn",
  "DeletionPolicy",
  "UpdateReplacePolicy",
  "Metadata",
]);

const isIntrinsic = (value: Json): boolean =>
  value !== null &&
  typeof value === "object" &&
  !Array.isArray(value) &&
  Object.keys(value).length === 1 &&
  /^(Ref|Condition|Fn::.+)$/.test(Object.keys(value)[0] as string);

/**
 * The problems of one resource's properties against the specification: unknown property names
 * and missing required ones, at every level of nested property types. Values that are intrinsic
 * functions are checked in each branch of an `Fn::If`, otherwise taken on trust.
 *
 * `typeOfUnion` picks the property type of a property whose spec allows several (SAM's event
 * `Properties`, chosen by the event's `Type`).
 */
export const specProblems = (
  spec: Specification,
  resourceType: string,
  properties: JsonObject,
  typeOfUnion: (path: string, holder: JsonObject) => string | undefined = () => undefined,
): string[] => {
  const problems: string[] = [];
  const checkObject = (typeSpec: SpecType | undefined, value: Json, path: string): void => {
    if (typeSpec?.Properties === undefined) {
      problems.push(`${path}: no specification`);
      return;
    }
    if (isIntrinsic(value)) {
      const [key] = Object.keys(value as JsonObject) as [string];
      if (key === "Fn::If") {
        const branches = ((value as JsonObject)[key] as Json[]).slice(1);
        for (const b of branches) checkObject(typeSpec, b, path);
      }
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.push(`${path}: expected an object`);
      return;
    }
    for (const [name, prop] of Object.entries(typeSpec.Properties)) {
      if (prop.Required === true && !(name in value)) problems.push(`${path}.${name}: required`);
    }
    for (const [name, v] of Object.entries(value)) {
      const prop = typeSpec.Properties[name];
      if (prop === undefined) {
        problems.push(`${path}.${name}: not a property of ${resourceType}`);
        continue;
      }
      checkProperty(prop, v, `${path}.${name}`, value);
    }
  };
  const subType = (name: string): SpecType | undefined =>
    spec.PropertyTypes[`${resourceType}.${name}`] ?? spec.PropertyTypes[name];
  const checkProperty = (prop: SpecProperty, value: Json, path: string, holder: JsonObject) => {
    if (isIntrinsic(value) && Object.keys(value as JsonObject)[0] !== "Fn::If") return;
    if (isIntrinsic(value)) {
      for (const b of ((value as JsonObject)["Fn::If"] as Json[]).slice(1)) {
        checkProperty(prop, b, path, holder);
      }
      return;
    }
    if (prop.Type === "List" || prop.Type === "Map") {
      if (prop.ItemType === undefined) return; // primitive items
      const items = value;
      if (Array.isArray(items)) {
        items.forEach((item, i) => {
          checkObject(subType(prop.ItemType as string), item, `${path}[${i}]`);
        });
      } else if (items !== null && typeof items === "object") {
        for (const [k, item] of Object.entries(items)) {
          checkObject(subType(prop.ItemType as string), item, `${path}.${k}`);
        }
      } else problems.push(`${path}: expected a ${prop.Type}`);
      return;
    }
    if (prop.Type !== undefined) {
      checkObject(subType(prop.Type), value, path);
      return;
    }
    if (prop.PrimitiveType !== undefined) return;
    if (prop.Types !== undefined || prop.PrimitiveTypes !== undefined) {
      if (typeof value !== "object" || value === null) return; // a primitive alternative
      const chosen = typeOfUnion(path, holder) ?? prop.Types?.[0];
      if (chosen === undefined) problems.push(`${path}: no type to check against`);
      else checkObject(subType(chosen), value, path);
    }
  };
  checkObject(spec.ResourceTypes[resourceType], properties, resourceType);
  return problems;
};

/** SAM event types and the property type that describes their `Properties`. */
const samEventProperties: Readonly<Record<string, string>> = {
  Schedule: "ScheduleEvent",
  EventBridgeRule: "EventBridgeRuleEvent",
  CloudWatchEvent: "CloudWatchEventEvent",
};

/**
 * The problems of a whole template against the specification: resource types it does not
 * know, unknown resource attributes, and {@link specProblems} of every resource (SAM events
 * checked against their event type's properties). A custom resource needs only a ServiceToken.
 */
export const templateSpecProblems = (template: Template, spec: Specification): string[] => {
  const problems: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type.startsWith("Custom::")) {
      // A custom resource: any properties, and the ServiceToken CloudFormation calls.
      if (resource.Properties?.ServiceToken === undefined) problems.push(`${id}: no ServiceToken`);
      continue;
    }
    if (spec.ResourceTypes[resource.Type] === undefined) {
      problems.push(`${id}: ${resource.Type} is not in the specification`);
      continue;
    }
    for (const attribute of Object.keys(resource)) {
      if (!resourceAttributes.has(attribute))
        problems.push(`${id}: unknown attribute ${attribute}`);
    }
    problems.push(
      ...specProblems(spec, resource.Type, resource.Properties ?? {}, (path, holder) =>
        path.endsWith(".Properties") && typeof holder.Type === "string"
          ? samEventProperties[holder.Type]
          : undefined,
      ).map((p) => `${id}: ${p}`),
    );
  }
  return problems;
};

/**
 * The references of a template that point nowhere: `Ref`, `Fn::GetAtt`, `Fn::Sub` variables and
 * conditions naming a parameter, resource, attribute or condition the template does not have,
 * in the resources, SAM's `Globals`, the conditions and the outputs.
 */
export const referenceProblems = (template: Template, spec: Specification): string[] => {
  const problems: string[] = [];
  const refs = new Set([
    "AWS::AccountId",
    "AWS::Region",
    "AWS::Partition",
    "AWS::StackName",
    "AWS::NoValue",
  ]);
  const conditions = template.Conditions ?? {};
  const attributeOk = (id: string, attribute: string): boolean => {
    const type = template.Resources[id]?.Type;
    if (type === undefined) return false;
    if (type.startsWith("Custom::")) return true; // what its function answers
    const real =
      type === "AWS::Serverless::Function"
        ? "AWS::Lambda::Function"
        : type === "AWS::Serverless::StateMachine"
          ? "AWS::StepFunctions::StateMachine"
          : type;
    return spec.ResourceTypes[real]?.Attributes?.[attribute] !== undefined;
  };
  const visit = (value: Json, where: string): void => {
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v, where);
      return;
    }
    for (const [key, arg] of Object.entries(value)) {
      if (key === "Ref" && typeof arg === "string") {
        if (!refs.has(arg) && !(arg in template.Parameters) && !(arg in template.Resources)) {
          problems.push(`${where}: Ref ${arg}`);
        }
      } else if (key === "Fn::GetAtt" && Array.isArray(arg)) {
        if (!attributeOk(String(arg[0]), String(arg[1])))
          problems.push(`${where}: GetAtt ${arg.join(".")}`);
      } else if (key === "Fn::Sub") {
        const [text, vars] =
          typeof arg === "string"
            ? [arg, {}]
            : [String((arg as Json[])[0]), (arg as Json[])[1] ?? {}];
        for (const [, name = ""] of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
          if (name in (vars as object) || refs.has(name) || name in template.Parameters) continue;
          const [id = "", attribute] = name.split(".");
          if (attribute === undefined ? !(id in template.Resources) : !attributeOk(id, attribute)) {
            problems.push(`${where}: Sub \${${name}}`);
          }
        }
      } else if ((key === "Condition" || key === "Fn::If") && where !== "Resources") {
        const name = key === "Condition" ? arg : (arg as Json[])[0];
        if (typeof name === "string" && !(name in conditions))
          problems.push(`${where}: condition ${name}`);
      }
      visit(arg, where);
    }
  };
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && !(resource.Condition in conditions)) {
      problems.push(`${id}: condition ${resource.Condition}`);
    }
    visit(resource.Properties ?? {}, id);
  }
  visit((template.Globals ?? {}) as Json, "Globals");
  visit(conditions as Json, "Conditions");
  visit((template.Outputs ?? {}) as Json, "Outputs");
  return problems;
};
