-- Extensions every later migration may rely on: vectors (RAG), trigrams (fuzzy Korean names),
-- GiST over scalar types (exclusion constraints on time ranges).
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Analytics events from the SQS consumers; event_id makes redelivered messages no-ops
-- (INSERT ... ON CONFLICT (event_id) DO NOTHING).
CREATE TABLE events (
    event_id uuid PRIMARY KEY,
    event_type text NOT NULL,
    version integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    user_id text,
    payload jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX events_type_occurred_at_idx ON events (event_type, occurred_at);
