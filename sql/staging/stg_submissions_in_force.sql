-- one row per district and year: the submission in force, the latest valid file received
-- (valid: accepted or superseded, never rejected, duplicate or withdrawn; submission ids
-- follow the received order); ops/settle_in_force.sql writes this choice into the ledger
with

submissions as (
    select * from staging.stg_submissions
),

valid as (
    select
        submission_id,
        received_at,
        province_code,
        district_code,
        year
    from submissions
    where
        status in ('accepted', 'superseded')
        and district_code is not null
        and year is not null
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
