-- The escape-room catalog (octag.catalog): cafes and their themes, cleaned and merged from the
-- crawled listings. `key` is the natural key octag.catalog.cleaning derives from names and area,
-- so loading the same listing again updates rows in place instead of adding new ones.

CREATE TABLE catalog_cafes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key         text NOT NULL UNIQUE,
    name        text NOT NULL,
    branch      text,
    area        text NOT NULL,            -- canonical area (octag.catalog.vocab.AREAS), '기타' if none
    district    text,                     -- Seoul 구, NULL when unknown
    address     text,
    phone       text,
    website_url text,
    booking_url text,
    source_urls text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalog_cafes_area_idx ON catalog_cafes (area);
CREATE INDEX catalog_cafes_district_idx ON catalog_cafes (district);

CREATE TABLE catalog_themes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key              text NOT NULL UNIQUE,
    cafe_id          bigint NOT NULL REFERENCES catalog_cafes (id) ON DELETE CASCADE,
    name             text NOT NULL,
    other_names      text[] NOT NULL DEFAULT '{}',  -- the other sources' spellings
    genres           text[] NOT NULL DEFAULT '{}',  -- canonical genres (octag.catalog.vocab.GENRES)
    -- NULL is unknown, never 0.
    min_players      smallint CHECK (min_players > 0),
    max_players      smallint CHECK (max_players > 0),
    -- Party sizes the theme takes; an unknown bound is open, so unknown counts match any party.
    players          int4range GENERATED ALWAYS AS (int4range(min_players, max_players, '[]')) STORED,
    difficulty_score numeric(3, 2) CHECK (difficulty_score BETWEEN 1 AND 5),  -- one 1-5 scale
    difficulty_label text CHECK (difficulty_label IN ('easy', 'normal', 'hard')),
    activity         text CHECK (activity IN ('low', 'medium', 'high')),
    price_per_person integer CHECK (price_per_person > 0),  -- won, at the smallest priced party
    duration_minutes integer CHECK (duration_minutes > 0),
    booking_url      text,
    image_url        text,
    sources          text[] NOT NULL DEFAULT '{}',
    source_urls      text[] NOT NULL DEFAULT '{}',
    details          jsonb NOT NULL DEFAULT '{}',  -- e.g. {"price_tiers": [[2, 27000], [3, 25000]]}
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (min_players <= max_players),
    CHECK ((difficulty_score IS NULL) = (difficulty_label IS NULL))
);
CREATE INDEX catalog_themes_cafe_idx ON catalog_themes (cafe_id);
CREATE INDEX catalog_themes_genres_idx ON catalog_themes USING gin (genres);
CREATE INDEX catalog_themes_players_idx ON catalog_themes USING gist (players);
CREATE INDEX catalog_themes_difficulty_idx ON catalog_themes (difficulty_label);
CREATE INDEX catalog_themes_price_idx ON catalog_themes (price_per_person);
CREATE INDEX catalog_themes_duration_idx ON catalog_themes (duration_minutes);
