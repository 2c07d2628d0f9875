"""policy: rule sets of every service, owned once."""
