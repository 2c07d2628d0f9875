"""The staff side of the portal: sign-in and sessions (session.py, accounts.py), the work queue, case pages and
forms of each service, and the one-household-one-file read model."""
