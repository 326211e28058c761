-- one row per registry district and year, for provinces with an accepted submission that year
with

summarised as (
    select * from intermediate.int_districts_summarised
),

rolled_up as (
    select * from intermediate.int_district_summaries_rolled_up
),

submissions as (
    select * from intermediate.int_district_submissions_summarised
),

final as (
    select
        summarised.year,
        summarised.province_code,
        summarised.district_code,
        summarised.district_name,
        summarised.communes_expected,
        summarised.communes_reported,
        summarised.communes_meeting,
        summarised.communes_meeting_advanced,
        summarised.communes_falling_short,
        summarised.communes_not_assessable,
        summarised.communes_not_reported,
        rolled_up.pct_meeting,
        rolled_up.pct_meeting_advanced,
        rolled_up.target_pct_meeting,
        rolled_up.target_pct_meeting_advanced,
        rolled_up.communes_needed,
        rolled_up.communes_needed_advanced,
        rolled_up.meets_target,
        rolled_up.meets_target_advanced,
        rolled_up.pct_crime_reduction_vs_2019,
        summarised.* exclude (
            summarised.year,
            summarised.province_code,
            summarised.district_code,
            summarised.district_name,
            summarised.communes_expected,
            summarised.communes_reported,
            summarised.communes_meeting,
            summarised.communes_meeting_advanced,
            summarised.communes_falling_short,
            summarised.communes_not_assessable,
            summarised.communes_not_reported
        ),
        coalesce(submissions.count_files_rejected, 0) as count_files_rejected,
        submissions.last_rejected_file_name,
        submissions.last_rejected_at,
        submissions.last_rejected_error_count
    from summarised
    left join rolled_up
        on
            summarised.district_code = rolled_up.district_code
            and summarised.year = rolled_up.year
            and rolled_up.level = 'district'
    left join submissions
        on
            summarised.district_code = submissions.district_code
            and summarised.year = submissions.year
)

select * from final
