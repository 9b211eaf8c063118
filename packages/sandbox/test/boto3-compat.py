"""Checks that boto3 (a non-JavaScript AWS client) works against the keyrotate sandbox.

Usage: python3 boto3-compat.py SANDBOX_URL
Prints one JSON object with what it saw; exits non-zero on any failure.
"""
import json
import os
import sys
import time

import boto3
from botocore.config import Config


def main(url: str) -> None:
    session = boto3.session.Session(
        aws_access_key_id="AKIASANDBOXADMIN0001",
        aws_secret_access_key="sandbox+admin+secret+key+for+local+use+0",
        region_name="us-east-1",
    )
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2})
    iam = session.client("iam", endpoint_url=url, config=config)
    s3 = session.client("s3", endpoint_url=url, config=config)
    ses = session.client("ses", endpoint_url=url, config=config)

    iam.create_user(UserName="boto-user", Tags=[{"Key": "team", "Value": "python"}])
    key = iam.create_access_key(UserName="boto-user")["AccessKey"]
    users = []
    for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}):
        users.extend(u["UserName"] for u in page["Users"])
    try:
        iam.get_user(UserName="nobody")
        raise SystemExit("get_user for a missing user did not fail")
    except iam.exceptions.NoSuchEntityException as e:
        missing_code = e.response["Error"]["Code"]

    state = iam.generate_credential_report()["State"]
    report = None
    for _ in range(100):
        try:
            report = iam.get_credential_report()
            break
        except iam.exceptions.CredentialReportNotReadyException:
            time.sleep(0.05)
    if report is None:
        raise SystemExit("credential report never became ready")
    csv = report["Content"].decode("utf-8").splitlines()

    s3.create_bucket(Bucket="boto-bucket")
    s3.put_object(Bucket="boto-bucket", Key="hello.txt", Body=b"hello from boto3", ServerSideEncryption="aws:kms")
    body = s3.get_object(Bucket="boto-bucket", Key="hello.txt")["Body"].read().decode("utf-8")

    ses.verify_email_identity(EmailAddress="boto@example.com")
    message_id = ses.send_email(
        Source="boto@example.com",
        Destination={"ToAddresses": ["someone@example.com"]},
        Message={"Subject": {"Data": "from boto3"}, "Body": {"Text": {"Data": "hi"}}},
    )["MessageId"]

    # STS and Organizations found through their own endpoint variables, as users configure them.
    os.environ["AWS_ENDPOINT_URL_STS"] = url
    os.environ["AWS_ENDPOINT_URL_ORGANIZATIONS"] = url
    sts = session.client("sts", config=config)
    org = session.client("organizations", config=config)
    accounts = []
    for page in org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2}):
        accounts.extend((a["Id"], a["Status"]) for a in page["Accounts"])
    root_id = org.list_roots()["Roots"][0]["Id"]
    ous = org.list_organizational_units_for_parent(ParentId=root_id)["OrganizationalUnits"]
    in_ou = org.list_accounts_for_parent(ParentId=ous[0]["Id"])["Accounts"]
    creds = sts.assume_role(
        RoleArn="arn:aws:iam::111111111111:role/KeyrotateMember",
        RoleSessionName="boto3",
        ExternalId="boto-external-id",
    )["Credentials"]
    member_iam = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    ).client("iam", endpoint_url=url, config=config)
    member_users = [u["UserName"] for u in member_iam.list_users()["Users"]]
    try:
        sts.assume_role(
            RoleArn="arn:aws:iam::111111111111:role/KeyrotateMember", RoleSessionName="boto3"
        )
        raise SystemExit("assume_role without the external id did not fail")
    except sts.exceptions.ClientError as e:
        denied_code = e.response["Error"]["Code"]

    print(json.dumps({
        "accounts": accounts,
        "ouNames": [o["Name"] for o in ous],
        "accountsInOu": [a["Id"] for a in in_ou],
        "memberUsers": member_users,
        "assumeDenied": denied_code,
        "users": users,
        "accessKeyId": key["AccessKeyId"],
        "secretLength": len(key["SecretAccessKey"]),
        "missingUserError": missing_code,
        "generateState": state,
        "reportHeader": csv[0],
        "reportUsers": [line.split(",")[0] for line in csv[1:]],
        "reportGeneratedTime": report["GeneratedTime"].isoformat(),
        "s3Body": body,
        "messageId": message_id,
    }))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: boto3-compat.py SANDBOX_URL")
    main(sys.argv[1])
