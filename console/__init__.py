"""Pages of the platform console that are not a model's admin: the senior reviewers' dashboard."""
