import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/**
 * A fake Lambda `Context`: what the runtime passes to a handler, with the remaining time given
 * by `remainingMs` (default: a fresh 15-minute invocation).
 */
export const fakeContext = (remainingMs: () => number = () => 900_000): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: "keyrotate",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:keyrotate",
  memoryLimitInMB: "256",
  awsRequestId: randomUUID(),
  logGroupName: "/aws/lambda/keyrotate",
  logStreamName: "2026/11/23/[$LATEST]0123456789abcdef0123456789abcdef",
  getRemainingTimeInMillis: remainingMs,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});
