-- one row per province and year (level province) and per year (level nation) in scope
with

district_summary as (
    select * from intermediate.int_districts_summarised
),

provinces as (
    select * from staging.stg_provinces
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

-- a district of a province missing from the registry counts at neither level
districts as (
    select
        district_summary.*,
        provinces.province_name
    from district_summary
    inner join provinces
        on district_summary.province_code = provinces.province_code
),

summed as (
    select
        case when grouping(province_code) = 0 then 'province' else 'nation' end as level,
        year,
        province_code,
        province_name,
        count(distinct province_code) as provinces_in_scope,
        count(*) as districts_expected,
        count(submission_id) as districts_reported,
        count(*) filter (where submission_status = 'on_time') as districts_on_time,
        count(*) filter (where submission_status = 'late') as districts_late,
        count(*) filter (where submission_status = 'rejected') as districts_rejected,
        count(*) filter (where submission_status = 'missing') as districts_missing,
        sum(communes_expected)::bigint as communes_expected,
        sum(communes_reported)::bigint as communes_reported,
        sum(communes_meeting)::bigint as communes_meeting,
        sum(communes_meeting_advanced)::bigint as communes_meeting_advanced,
        sum(communes_falling_short)::bigint as communes_falling_short,
        sum(communes_not_assessable)::bigint as communes_not_assessable,
        sum(communes_not_reported)::bigint as communes_not_reported,
        sum(social_order_crimes)::bigint as social_order_crimes,
        sum(social_order_crimes_2019)::bigint as social_order_crimes_2019,
        sum(social_order_crimes_like_for_like)::bigint as social_order_crimes_like_for_like,
        count(*) filter (
            where crime_reduction_vs_2019 = 'pass'
        ) as districts_crime_reduction_pass,
        count(*) filter (
            where crime_reduction_vs_2019 = 'fail'
        ) as districts_crime_reduction_fail,
        count(*) filter (
            where crime_reduction_vs_2019 = 'unknown'
        ) as districts_crime_reduction_unknown,
        sum(security_teams)::bigint as security_teams,
        sum(mediation_teams)::bigint as mediation_teams,
        sum(fire_teams)::bigint as fire_teams,
        sum(interfamily_groups)::bigint as interfamily_groups,
        sum(cameras)::bigint as cameras
    from districts
    group by grouping sets ((year, province_code, province_name), (year))
),

-- the column order is the order of the province_summary and national_summary marts
final as (
    select
        summed.level,
        summed.year,
        summed.province_code,
        summed.province_name,
        summed.provinces_in_scope,
        summed.districts_expected,
        summed.districts_reported,
        summed.districts_on_time,
        summed.districts_late,
        summed.districts_rejected,
        summed.districts_missing,
        summed.communes_expected,
        summed.communes_reported,
        summed.communes_meeting,
        summed.communes_meeting_advanced,
        summed.communes_falling_short,
        summed.communes_not_assessable,
        summed.communes_not_reported,
        summed.communes_meeting / nullif(summed.communes_expected, 0) as pct_meeting,
        summed.communes_meeting_advanced
        / nullif(summed.communes_expected, 0) as pct_meeting_advanced,
        rulesets.target_year,
        rulesets.target_pct_meeting,
        rulesets.target_pct_meeting_advanced,
        greatest(
            0,
            ceil(round(rulesets.target_pct_meeting * summed.communes_expected, 9))
            - summed.communes_meeting
        )::bigint as communes_needed,
        greatest(
            0,
            ceil(round(rulesets.target_pct_meeting_advanced * summed.communes_expected, 9))
            - summed.communes_meeting_advanced
        )::bigint as communes_needed_advanced,
        summed.social_order_crimes,
        summed.social_order_crimes_2019,
        summed.social_order_crimes_like_for_like,
        summed.districts_crime_reduction_pass,
        summed.districts_crime_reduction_fail,
        summed.districts_crime_reduction_unknown,
        summed.districts_crime_reduction_pass / nullif(
            summed.districts_crime_reduction_pass + summed.districts_crime_reduction_fail, 0
        ) as pct_districts_crime_reduction,
        summed.security_teams,
        summed.mediation_teams,
        summed.fire_teams,
        summed.interfamily_groups,
        summed.cameras,
        rulesets.ruleset
    from summed
    inner join rulesets
        on summed.year = rulesets.year
)

select * from final
