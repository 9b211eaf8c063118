import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import * as E from "fp-ts/lib/Either.js";
import { type AsffPlace, partitionOf } from "./asff.js";
import { type AwsError, mapAwsError } from "./errors.js";

/**
 * Where the callers' findings belong: the account of the STS clients' credentials
 * (`GetCallerIdentity`), their region and its partition. With `accountId` (a member account of an
 * organisation) only the region is read. Left with the mapped error when STS cannot say.
 */
export const asffPlaceOf = async (
  sts: STSClient,
  accountId?: string,
): Promise<E.Either<AwsError, AsffPlace>> => {
  const region = await sts.config.region();
  const partition = partitionOf(region);
  if (accountId !== undefined) return E.right({ accountId, region, partition });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (out.Account === undefined) throw new Error("GetCallerIdentity returned no account");
    return E.right({ accountId: out.Account, region, partition });
  } catch (e) {
    return E.left(mapAwsError("sts:GetCallerIdentity", e));
  }
};
