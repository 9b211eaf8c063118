import type { Step } from "@keyrotate/core";
import type { StepView } from "./report.js";

/** Describes a step for reports and logs. Steps hold no secret, so neither does this. */
export const viewStep = (step: Step): StepView => {
  switch (step._tag) {
    case "TagUser":
      return {
        action: step._tag,
        summary: `tag ${step.tags.map((t) => `${t.key}=${t.value}`).join(", ")}${step.commitsRotation ? " (commits the rotation)" : ""}`,
        tags: step.tags,
        commitsRotation: step.commitsRotation,
      };
    case "UntagUser":
      return {
        action: step._tag,
        summary: `untag ${step.tagKeys.join(", ")}`,
        tagKeys: step.tagKeys,
      };
    case "CreateKey":
      return {
        action: step._tag,
        summary: `create a new key to replace ${step.replaces}`,
        keyId: step.replaces,
      };
    case "StoreNewKeySecret":
      return { action: step._tag, summary: "store the new key's secret in S3" };
    case "DeactivateKey":
      return {
        action: step._tag,
        summary: `deactivate ${step.keyId} (${step.reason})`,
        keyId: step.keyId,
        reason: step.reason,
      };
    case "DeleteKey":
      return {
        action: step._tag,
        summary: `delete ${step.keyId} (${step.reason})`,
        keyId: step.keyId,
        reason: step.reason,
      };
    case "DeleteStoredSecret":
      return {
        action: step._tag,
        summary: `delete the stored secret of ${step.keyId}, if any`,
        keyId: step.keyId,
      };
    case "SendNotice":
      return {
        action: step._tag,
        summary: `send a ${step.notice.kind} notice to ${step.notice.to}`,
        noticeKind: step.notice.kind,
        to: step.notice.to,
      };
  }
};
