"""Request security at the gateway's edge (api.md §5, §6): trusted origins and the origin /
CSRF checks, callback-URL validation, rate limiting, CORS and security headers."""
