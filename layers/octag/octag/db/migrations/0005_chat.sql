-- Chat conversations (octag.chat): a user's sessions and their messages.
-- `context` carries what later turns refer to: the accumulated entities, the last intent and the
-- theme keys of the last recommendation list ("4명이면?", "그 중에 제일 쉬운 거").
CREATE TABLE chat_sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         text NOT NULL,
    context       jsonb NOT NULL DEFAULT '{}',
    message_count integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_sessions_user_idx ON chat_sessions (user_id, updated_at DESC, id);

CREATE TABLE chat_messages (
    id              bigserial PRIMARY KEY,
    session_id      uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('user', 'assistant')),
    text            text NOT NULL,
    intent          text,
    entities        jsonb,
    recommendations jsonb NOT NULL DEFAULT '[]',
    sources         jsonb NOT NULL DEFAULT '[]',
    usage           jsonb,            -- provider, model, input/output tokens, cost in USD
    latency_ms      double precision,
    details         jsonb NOT NULL DEFAULT '{}',  -- timings, relaxed constraints, fallback reason
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_session_idx ON chat_messages (session_id, id);
