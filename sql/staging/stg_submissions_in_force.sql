-- one row per district and year: the accepted submission in force
with

submissions as (
    select * from staging.stg_submissions
),

in_force as (
    select
        submission_id,
        received_at,
        province_code,
        district_code,
        year
    from submissions
    where
        status = 'accepted'
        and district_code is not null
        and year is not null
),

final as (
    select * from in_force
)

select * from final
