-- one row per district and year: the accepted submission in force, with its registry version
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

in_force as (
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
        submissions.status = 'accepted'
        and submissions.district_code is not null
        and submissions.year is not null
),

final as (
    select * from in_force
)

select * from final
