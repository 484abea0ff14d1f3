"""Pages of the platform console that are not a model's admin: each role's work queue and
the senior reviewers' dashboard."""
