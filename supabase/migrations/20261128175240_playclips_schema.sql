-- playclips: the canonical schema the job reads (job/src/playclips/plays/supabase.py).
--
-- Apply with `supabase db push` (Supabase CLI, this folder layout) or
-- `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 --single-transaction -f <this file>`; see
-- docs/supabase.md. The file has no BEGIN/COMMIT of its own; with psql, --single-transaction
-- makes it all-or-nothing.
--
-- Valid on Supabase and on plain PostgreSQL >= 15 (the Supabase roles are touched only when
-- they exist).
--
-- Times are seconds on the game's reference timeline; an angle's file time = play time +
-- that angle's offset_s. Ids end up in object names (clips/{game}/{angle}/{play}.mp4), so they
-- are held to the same rule the job checks (playclips.model.ID_PATTERN / ANGLE_PATTERN).
--
-- Access: row level security is enabled on every table and NO policy is defined, so the
-- anon and authenticated roles (publishable / anon keys, signed-in users) can read nothing.
-- The job uses the service-role (secret) key, whose role bypasses RLS. Table privileges for
-- anon and authenticated are revoked as well, so a wrong key fails loudly ("permission
-- denied") instead of silently reading zero rows.

create table if not exists public.games (
    id          text primary key
                check (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' and position('..' in id) = 0),
    name        text not null default '',
    played_on   date,
    attributes  jsonb not null default '{}'::jsonb
                check (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz not null default now()
);
comment on table public.games is 'One row per game playclips can clip (id = the game id).';

create table if not exists public.game_videos (
    game_id     text not null references public.games (id) on delete cascade,
    angle       text not null check (angle ~ '^[A-Z][A-Z0-9_]{0,63}$'),
    uri         text not null check (length(uri) > 0),
    offset_s    double precision not null default 0
                check (offset_s > '-infinity'::float8 and offset_s < 'infinity'::float8),
    created_at  timestamptz not null default now(),
    primary key (game_id, angle)
);
comment on table public.game_videos is
    'One row per camera angle of a game: its video (gs://..., or relative to the video root) '
    'and offset_s, the file time of game time 0.';

create table if not exists public.plays (
    id           text not null
                 check (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' and position('..' in id) = 0),
    game_id      text not null references public.games (id) on delete cascade,
    play_number  integer check (play_number > 0),
    start_s      double precision not null check (start_s >= 0),
    end_s        double precision not null check (end_s < 'infinity'::float8),
    label        text not null default '',
    description  text not null default '',
    attributes   jsonb not null default '{}'::jsonb
                 check (jsonb_typeof(attributes) = 'object'),
    created_at   timestamptz not null default now(),
    primary key (game_id, id),
    constraint plays_end_after_start check (end_s > start_s)
);
comment on table public.plays is
    'One row per play; id names the play''s clips, start_s/end_s are on the game timeline.';

-- The job's plays query: game_id = $1 order by start_s, id (paged with limit/offset).
-- game_videos (game_id = $1 order by angle) and the games lookup use the primary keys.
create index if not exists plays_game_start_idx on public.plays (game_id, start_s, id);

alter table public.games enable row level security;
alter table public.game_videos enable row level security;
alter table public.plays enable row level security;

-- Supabase roles: keep anon/authenticated out entirely, make sure the service role can read.
do $$
declare
    r text;
begin
    foreach r in array array['anon', 'authenticated'] loop
        if exists (select 1 from pg_roles where rolname = r) then
            execute format('revoke all on table public.games, public.game_videos, public.plays from %I', r);
        end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
        grant select, insert, update, delete
            on table public.games, public.game_videos, public.plays to service_role;
    end if;
end
$$;
