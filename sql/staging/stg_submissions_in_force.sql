-- one row per district and year: the submission in force, the latest valid file received
-- (valid: accepted or superseded, never rejected, duplicate or withdrawn; submission ids
-- follow the received order), with the registry version it was checked against;
-- ops/settle_in_force.sql writes this choice into the ledger
with

submissions as (
    select * from staging.stg_submissions
),

versions as (
    select * from staging.stg_registry_versions
),

-- a file recorded without a version was checked against the latest one
latest as (
    select max_by(registry_version, in_force_from) as registry_version
    from versions
),

valid as (
    select
        submissions.submission_id,
        submissions.received_at,
        submissions.province_code,
        submissions.district_code,
        submissions.year,
        coalesce(submissions.registry_version, latest.registry_version) as registry_version
    from submissions
    cross join latest
    where
        submissions.status in ('accepted', 'superseded')
        and submissions.district_code is not null
        and submissions.year is not null
),

in_force as (
    select * from valid
    qualify
        row_number() over (partition by district_code, year order by submission_id desc) = 1
),

final as (
    select * from in_force
)

select * from final
