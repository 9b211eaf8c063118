import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/** The run's objects in `RESULTS_BUCKET`, all under `runs/<runId>/`. */
export const runKeys = (runId: string) => ({
  accounts: `runs/${runId}/accounts.json`,
  selection: `runs/${runId}/selection.json`,
  /** The Distributed Map's `ResultWriter` prefix (it adds `<map run id>/manifest.json`). */
  results: `runs/${runId}/results`,
  report: `runs/${runId}/org-report.json`,
});

/** Writes a JSON document (SSE-S3, as the bucket's default). */
export const putJson = async (
  s3: S3Client,
  bucket: string,
  key: string,
  value: unknown,
): Promise<void> => {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: "application/json",
      ServerSideEncryption: "AES256",
    }),
  );
};

/** Reads a JSON document; what it holds is the caller's to check. */
export const getJson = async (s3: S3Client, bucket: string, key: string): Promise<unknown> => {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await out.Body?.transformToString("utf8");
  if (text === undefined) throw new Error(`s3://${bucket}/${key} is empty`);
  return JSON.parse(text) as unknown;
};
