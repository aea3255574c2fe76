-- Corpus statistics for BM25 keyword ranking (octag.search.hybrid): per collection, how many chunks
-- and lexemes it holds, and in how many chunks each lexeme occurs. Statement triggers on chunks keep
-- them exact through every load, replacement, prune and cascade, in the writer's transaction.
--
-- Every trigger updates the collection's row before any lexeme row, so concurrent writers to one
-- collection queue on that row and never deadlock on the lexeme rows.

ALTER TABLE collections
    ADD COLUMN chunk_count  bigint NOT NULL DEFAULT 0,
    ADD COLUMN lexeme_count bigint NOT NULL DEFAULT 0;  -- distinct lexemes summed over chunks

CREATE TABLE collection_lexemes (
    collection text NOT NULL REFERENCES collections (name) ON DELETE CASCADE,
    lexeme     text COLLATE "C" NOT NULL,  -- C: prefix lookups (^@) use the primary key
    chunks     integer NOT NULL CHECK (chunks > 0),  -- chunks whose tsv holds the lexeme
    PRIMARY KEY (collection, lexeme)
);

CREATE FUNCTION chunks_added_to_statistics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE collections c
       SET chunk_count = c.chunk_count + n.chunks, lexeme_count = c.lexeme_count + n.lexemes
      FROM (SELECT collection, count(*) AS chunks, sum(length(tsv)) AS lexemes
              FROM added GROUP BY collection) n
     WHERE c.name = n.collection;
    INSERT INTO collection_lexemes AS l (collection, lexeme, chunks)
    SELECT a.collection, u.lexeme, count(*)
      FROM added a, unnest(a.tsv) u
     GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (collection, lexeme) DO UPDATE SET chunks = l.chunks + excluded.chunks;
    RETURN NULL;
END $$;

CREATE FUNCTION chunks_removed_from_statistics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE collections c
       SET chunk_count = c.chunk_count - r.chunks, lexeme_count = c.lexeme_count - r.lexemes
      FROM (SELECT collection, count(*) AS chunks, sum(length(tsv)) AS lexemes
              FROM removed GROUP BY collection) r
     WHERE c.name = r.collection;
    -- Lexemes left in no chunk are deleted, the rest count down (disjoint rows: one statement).
    WITH r AS (
        SELECT a.collection, u.lexeme, count(*) AS chunks FROM removed a, unnest(a.tsv) u GROUP BY 1, 2
    ), gone AS (
        DELETE FROM collection_lexemes l USING r
         WHERE (l.collection, l.lexeme) = (r.collection, r.lexeme) AND l.chunks <= r.chunks
    )
    UPDATE collection_lexemes l SET chunks = l.chunks - r.chunks
      FROM r
     WHERE (l.collection, l.lexeme) = (r.collection, r.lexeme) AND l.chunks > r.chunks;
    RETURN NULL;
END $$;

CREATE TRIGGER chunks_added AFTER INSERT ON chunks
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION chunks_added_to_statistics();
CREATE TRIGGER chunks_removed AFTER DELETE ON chunks
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION chunks_removed_from_statistics();
CREATE TRIGGER chunks_replaced_removed AFTER UPDATE ON chunks
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION chunks_removed_from_statistics();
CREATE TRIGGER chunks_replaced_added AFTER UPDATE ON chunks
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION chunks_added_to_statistics();

-- The chunks already loaded.
UPDATE collections c
   SET chunk_count = s.chunks, lexeme_count = s.lexemes
  FROM (SELECT collection, count(*) AS chunks, sum(length(tsv)) AS lexemes FROM chunks GROUP BY 1) s
 WHERE c.name = s.collection;
INSERT INTO collection_lexemes (collection, lexeme, chunks)
SELECT c.collection, u.lexeme, count(*) FROM chunks c, unnest(c.tsv) u GROUP BY 1, 2;
