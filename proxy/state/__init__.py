"""Shared state: the Redis that every worker of every node talks to."""
