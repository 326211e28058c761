-- Warehouse layout v1: reference data, raw submissions, operations ledger.
create schema if not exists ref;
create schema if not exists raw;
create schema if not exists ops;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;

create table if not exists ref.provinces (
    province_code varchar primary key,
    province_name varchar not null
);

create table if not exists ref.districts (
    district_code varchar primary key,
    district_name varchar not null,
    province_code varchar not null
);

create table if not exists ref.communes (
    commune_code varchar primary key,
    commune_name varchar not null,
    district_code varchar not null,
    province_code varchar not null
);

-- one row per ruleset version; the years it applies to are first_year..last_year
create table if not exists ref.rulesets (
    ruleset varchar primary key,
    first_year integer not null,
    last_year integer not null,
    serious_crime_policy varchar not null,
    min_safe_village_share double not null,
    police_ratings_passing varchar[] not null,
    max_police_disciplined integer not null,
    min_effective_models integer not null,
    adv_min_safe_village_share double not null,
    adv_min_effective_models integer not null,
    adv_required_model_type varchar not null,
    movement_ratings_passing varchar[] not null,
    baseline_year integer not null,
    min_crime_reduction double not null,
    deadline_month integer not null,
    deadline_day integer not null,
    timezone varchar not null,
    target_year integer not null,
    target_pct_meeting double not null,
    target_pct_meeting_advanced double not null,
    is_active boolean not null
);

create sequence if not exists ops.submission_ids start 1;

create table if not exists ops.runs (
    run_id varchar primary key,
    flow varchar not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,
    files_seen integer not null default 0,
    files_accepted integer not null default 0,
    files_rejected integer not null default 0
);

create table if not exists ops.submissions (
    submission_id bigint primary key,
    file_name varchar not null,
    sha256 varchar not null,
    received_at timestamptz not null,
    run_id varchar not null,
    province_code varchar,
    district_code varchar,
    year integer,
    status varchar not null,
    error_count integer not null,
    warning_count integer not null,
    archive_path varchar not null,
    status_changed_at timestamptz,
    status_note varchar
);

create table if not exists ops.validation_issues (
    submission_id bigint not null,
    severity varchar not null,
    sheet varchar,
    "row" integer,
    column_name varchar,
    value varchar,
    rule varchar not null,
    message varchar not null,
    message_vi varchar not null
);

create table if not exists raw.communes (
    submission_id bigint not null,
    row_number integer not null,
    commune_code varchar not null,
    commune_name varchar,
    party_resolution boolean not null,
    commune_plan boolean not null,
    security_incidents integer not null,
    mass_complaints integer not null,
    social_order_crimes integer not null,
    serious_crimes integer not null,
    serious_crimes_solved integer not null,
    drug_crimes integer not null,
    social_evil_cases integer not null,
    traffic_accidents integer not null,
    traffic_deaths integer not null,
    traffic_injuries integer not null,
    fires integer not null,
    villages_total integer not null,
    villages_safe integer not null,
    police_rating varchar not null,
    police_disciplined integer not null,
    movement_rating varchar not null,
    security_teams integer not null,
    mediation_teams integer not null,
    fire_teams integer not null,
    interfamily_groups integer not null,
    cameras integer not null,
    reintegrated_persons integer not null
);

create table if not exists raw.models (
    submission_id bigint not null,
    row_number integer not null,
    commune_code varchar not null,
    model_type varchar not null,
    model_name varchar,
    year_started integer,
    is_effective boolean not null
);
