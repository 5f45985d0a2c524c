"""Observability: Prometheus metrics (multi-process safe), request ids, JSON logs."""
