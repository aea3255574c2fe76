-- Collections of documents, their chunks (lexemes for keyword search, embeddings for vector
-- search) and the ETL jobs that load them.

CREATE TABLE collections (
    name                text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    description         text NOT NULL DEFAULT '',
    -- One embedding model per collection: vectors of different models never mix.
    embedding_model     text NOT NULL,
    embedding_dimension integer NOT NULL CHECK (embedding_dimension > 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id           uuid PRIMARY KEY,
    collection   text NOT NULL REFERENCES collections (name) ON DELETE CASCADE,
    source_id    text NOT NULL,
    source_uri   text NOT NULL,
    title        text,
    content_hash bytea NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'loaded' CHECK (status IN ('loaded')),
    chunk_count  integer NOT NULL,
    job_id       uuid,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (collection, source_id)
);

CREATE TABLE chunks (
    id              bigserial PRIMARY KEY,
    document_id     uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    collection      text NOT NULL,
    ordinal         integer NOT NULL,
    text            text NOT NULL,
    lexemes         text NOT NULL,
    tsv             tsvector GENERATED ALWAYS AS (to_tsvector('simple', lexemes)) STORED,
    embedding_model text NOT NULL,
    embedding       vector NOT NULL,
    metadata        jsonb NOT NULL DEFAULT '{}',
    UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);
CREATE INDEX chunks_collection_idx ON chunks (collection);
-- HNSW indexes need a fixed dimension: one partial expression index per embedding model,
-- created with the first collection that uses the model (octag.etl.store.ensure_vector_index).

CREATE TABLE etl_jobs (
    id                uuid PRIMARY KEY,
    collection        text NOT NULL,
    source            jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'succeeded', 'partially_failed', 'failed')),
    documents_seen    integer NOT NULL DEFAULT 0,
    documents_loaded  integer NOT NULL DEFAULT 0,
    documents_skipped integer NOT NULL DEFAULT 0,
    documents_failed  integer NOT NULL DEFAULT 0,
    documents_pruned  integer NOT NULL DEFAULT 0,
    chunks_loaded     integer NOT NULL DEFAULT 0,
    progress          real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    error             text,
    attempts          integer NOT NULL DEFAULT 0,
    retry_of          uuid REFERENCES etl_jobs (id),
    created_by        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    heartbeat_at      timestamptz
);
CREATE INDEX etl_jobs_created_idx ON etl_jobs (created_at DESC);

CREATE TABLE etl_job_errors (
    id         bigserial PRIMARY KEY,
    job_id     uuid NOT NULL REFERENCES etl_jobs (id) ON DELETE CASCADE,
    source_id  text,
    source_uri text NOT NULL,
    location   text NOT NULL,
    reason     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX etl_job_errors_job_idx ON etl_job_errors (job_id);
