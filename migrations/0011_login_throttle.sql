-- Login throttling counters, keyed by (client address, username) and by client address. A login
-- counts its attempt here in one INSERT … ON CONFLICT before the password is checked, so
-- parallel attempts are counted one after another and cannot all slip under the limit; a
-- successful login takes its attempt back. Keying by address means an attacker's failures lock
-- a name only from the attacker's address, never the real user's login from another one.
-- login_attempt stays the audit of every attempt.
CREATE TABLE login_throttle (
    key          text PRIMARY KEY,
    attempts     bigint NOT NULL CONSTRAINT login_throttle_attempts_nonnegative CHECK (attempts >= 0),
    window_start timestamptz NOT NULL
);
