-- one row per district and year with at least one file received
with

submissions as (
    select * from staging.stg_submissions
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

per_district as (
    select
        district_code,
        year,
        max(submission_id) filter (where status = 'accepted') as submission_id,
        -- the first file ever accepted; a later superseding file does not make it late
        min(received_at) filter (
            where status in ('accepted', 'superseded')
        ) as first_accepted_at,
        count(*) filter (
            where status in ('accepted', 'superseded')
        ) as count_files_accepted,
        count(*) filter (where status = 'rejected') as count_files_rejected,
        -- the latest rejected file: what the district must correct and send again
        arg_max(file_name, received_at) filter (
            where status = 'rejected'
        ) as last_rejected_file_name,
        max(received_at) filter (where status = 'rejected') as last_rejected_at,
        arg_max(error_count, received_at) filter (
            where status = 'rejected'
        ) as last_rejected_error_count,
        count(*) filter (where status = 'withdrawn') as count_files_withdrawn,
        -- a duplicate always follows a real file, so it is not counted on its own
        count(*) filter (where status <> 'duplicate') as count_files_received
    from submissions
    where
        district_code is not null
        and year is not null
    group by district_code, year
),

with_deadline as (
    select
        per_district.*,
        rulesets.ruleset,
        -- the instant the deadline day ends in the ruleset's time zone
        timezone(
            rulesets.timezone,
            make_timestamp(
                per_district.year + 1,
                rulesets.deadline_month,
                rulesets.deadline_day,
                0,
                0,
                0
            ) + interval 1 day
        ) as deadline_at
    from per_district
    inner join rulesets
        on per_district.year = rulesets.year
),

final as (
    select
        *,
        case
            when count_files_accepted > 0 and first_accepted_at < deadline_at
                then 'on_time'
            when count_files_accepted > 0 then 'late'
            when count_files_rejected > 0 then 'rejected'
            else 'missing'
        end as submission_status
    from with_deadline
)

select * from final
