"""awsstandin: the local AWS stand-in of stepdeploy's tests.

A small HTTP/1.1 server on 127.0.0.1 that speaks the subset of S3, Lambda and
Step Functions the deployer uses, keeps its state on disk, verifies every
SigV4 signature with botocore's signer and injects faults on demand.  See
tests/standin/README.md.
"""
