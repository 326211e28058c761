-- One row per rebuild of the models: which years it recomputed (null: all of them).
-- The publisher compares it with the snapshot's copy to replace only what changed.
create sequence if not exists ops.marts_build_ids start 1;

create table if not exists ops.marts_builds (
    build_id bigint primary key,
    built_at timestamptz not null,
    years integer[]
);
