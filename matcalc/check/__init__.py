"""Checking derivatives: verify, the second opinion, the fuzzer."""
