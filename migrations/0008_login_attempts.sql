-- Every login attempt, kept so that repeated failures lock the account name and the client
-- address for a while (the application counts recent failures before it checks a password), and so
-- that the audit can list logins.
CREATE TABLE login_attempt (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    username  text NOT NULL,
    -- the client's address as the server saw it; NULL when unknown (e.g. tests without a socket)
    client    text,
    succeeded boolean NOT NULL
);
CREATE INDEX login_attempt_username_idx ON login_attempt (username, at);
CREATE INDEX login_attempt_client_idx ON login_attempt (client, at) WHERE client IS NOT NULL;
