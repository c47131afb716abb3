"""Who the caller is: sign-in, tokens and external issuers' keys, sign-in throttling, passwords
under separation of duties, service accounts, two-admin role changes, the bootstrap admin,
`me`, and everything GPS holds about the caller (their own record)."""
