"""Real parts for tests and benchmarks: redis-server, moto's S3 server and `ogedge serve` as
subprocesses on 127.0.0.1, and sample cards. Used by tests/ and scripts/; not shipped."""
