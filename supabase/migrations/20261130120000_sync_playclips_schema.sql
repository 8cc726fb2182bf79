-- playclips sync: per-angle clock drift and what `playclips sync` measured, on game_videos.
--
-- Applied after 20261128175240_playclips_schema.sql, the same way (`supabase db push`, or
-- psql with ON_ERROR_STOP and --single-transaction; see docs/supabase.md). Safe to apply twice.
--
-- An angle's file time = offset_s + game time * (1 + drift_ppm / 1e6). Every existing row gets
-- drift_ppm = 0, so it means what it meant before. `playclips sync --write` sets offset_s,
-- drift_ppm and the sync_* columns; it never changes offset_correction_s, a hand-set
-- correction (seconds, e.g. for the sound's travel time to a far camera, ~3 ms per metre) that
-- it adds to the offset it measured from the audio. See docs/sync.md.

alter table public.game_videos
    add column if not exists drift_ppm double precision not null default 0
        check (drift_ppm >= -10000 and drift_ppm <= 10000),
    add column if not exists offset_correction_s double precision not null default 0
        check (offset_correction_s > '-infinity'::float8 and offset_correction_s < 'infinity'::float8),
    add column if not exists sync_offset_s double precision
        check (sync_offset_s > '-infinity'::float8 and sync_offset_s < 'infinity'::float8),
    add column if not exists sync_confidence double precision
        check (sync_confidence >= 0 and sync_confidence <= 1),
    add column if not exists sync_reference text
        check (sync_reference ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    add column if not exists synced_at timestamptz;

comment on column public.game_videos.drift_ppm is
    'How much faster this camera''s clock runs than the reference clock, in parts per million: '
    'file time = offset_s + game time * (1 + drift_ppm / 1e6).';
comment on column public.game_videos.offset_correction_s is
    'Hand-set seconds added to the offset sync measures (kept by sync), e.g. sound travel time.';
comment on column public.game_videos.sync_offset_s is
    'The offset playclips sync measured from the audio, before offset_correction_s.';
comment on column public.game_videos.sync_confidence is
    'playclips sync''s confidence in its measurement, 0..1.';
comment on column public.game_videos.sync_reference is
    'The angle whose audio sync measured this one against.';
comment on column public.game_videos.synced_at is
    'When playclips sync last wrote offset_s and drift_ppm (null: never synced).';
