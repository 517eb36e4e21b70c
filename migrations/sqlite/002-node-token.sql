-- 002: per-node secret for AUTH_MODE=token, stored only as a SHA-256 hash (hex). NULL: no token issued.
ALTER TABLE nodes ADD COLUMN token_hash TEXT;
