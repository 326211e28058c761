-- Registry versions (registry.md): every version's units keyed by version, the successions
-- a province adds, each commune's predecessors derived from them; the version each file
-- was checked against; and every verdict a file received, so a reparse keeps the earlier.
create table if not exists ref.registry_versions (
    registry_version varchar primary key,
    in_force_from date not null,
    in_force_until date,
    source varchar not null,
    release varchar not null,
    provinces integer not null,
    districts integer not null,
    communes integer not null
);

create table if not exists ref.provinces_by_version (
    registry_version varchar not null,
    province_code varchar not null,
    province_name varchar not null,
    primary key (registry_version, province_code)
);

create table if not exists ref.districts_by_version (
    registry_version varchar not null,
    district_code varchar not null,
    district_name varchar not null,
    province_code varchar not null,
    primary key (registry_version, district_code)
);

create table if not exists ref.communes_by_version (
    registry_version varchar not null,
    commune_code varchar not null,
    commune_name varchar not null,
    district_code varchar not null,
    province_code varchar not null,
    primary key (registry_version, commune_code)
);

-- what a commune of one version became in the next: all of it (whole) or a part
create table if not exists ref.commune_successions (
    from_version varchar not null,
    from_code varchar not null,
    to_version varchar not null,
    to_code varchar not null,
    whole boolean not null
);

-- commune_code of registry_version has previous_code of previous_version among its
-- predecessors (whole: every line on the way is whole); previous_code null: the commune
-- changed between the two versions and no succession is known
create table if not exists ref.commune_predecessors (
    registry_version varchar not null,
    commune_code varchar not null,
    previous_version varchar not null,
    previous_code varchar,
    whole boolean not null
);

alter table ops.submissions add column if not exists registry_version varchar;
-- files recorded before versions were checked against the one registry of the time: 2025-01
update ops.submissions set registry_version = '2025-01'
where registry_version is null and district_code is not null;

-- one row per verdict a file received: when it was recorded, and again at each reparse
create sequence if not exists ops.verdict_ids start 1;
create table if not exists ops.submission_verdicts (
    verdict_id bigint primary key,
    submission_id bigint not null,
    checked_at timestamptz not null,
    run_id varchar,
    verdict varchar not null,
    registry_version varchar,
    error_count integer not null,
    warning_count integer not null,
    error_rules varchar[]
);
insert into ops.submission_verdicts
select
    nextval('ops.verdict_ids') as verdict_id,
    submission_id,
    received_at as checked_at,
    run_id,
    case when status = 'rejected' then 'rejected' else 'accepted' end as verdict,
    registry_version,
    error_count,
    warning_count,
    null as error_rules
from ops.submissions
where status <> 'duplicate';
