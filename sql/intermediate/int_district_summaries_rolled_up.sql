-- one row per district, per province and per year in scope (level district, province, nation)
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
        case
            when grouping(district_code) = 0 then 'district'
            when grouping(province_code) = 0 then 'province'
            else 'nation'
        end as level,
        year,
        province_code,
        province_name,
        district_code,
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
    group by grouping sets (
        (year, province_code, province_name, district_code),
        (year, province_code, province_name),
        (year)
    )
),

-- the communes that must meet 19.2 (and the advanced level) for the unit to reach the
-- national targets; rounded first so that 0.99 * 100 is 99, not 99.00000000000001
targeted as (
    select
        summed.*,
        rulesets.target_year,
        rulesets.target_pct_meeting,
        rulesets.target_pct_meeting_advanced,
        rulesets.ruleset,
        ceil(round(rulesets.target_pct_meeting * summed.communes_expected, 9))::bigint
            as communes_target,
        ceil(round(rulesets.target_pct_meeting_advanced * summed.communes_expected, 9))::bigint
            as communes_target_advanced
    from summed
    inner join rulesets
        on summed.year = rulesets.year
),

-- each share and gap has this one definition, at every level; the column order is the
-- order of the province_summary and national_summary marts
final as (
    select
        level,
        year,
        province_code,
        province_name,
        district_code,
        provinces_in_scope,
        districts_expected,
        districts_reported,
        districts_on_time,
        districts_late,
        districts_rejected,
        districts_missing,
        communes_expected,
        communes_reported,
        communes_meeting,
        communes_meeting_advanced,
        communes_falling_short,
        communes_not_assessable,
        communes_not_reported,
        communes_meeting / nullif(communes_expected, 0) as pct_meeting,
        communes_meeting_advanced / nullif(communes_expected, 0) as pct_meeting_advanced,
        target_year,
        target_pct_meeting,
        target_pct_meeting_advanced,
        greatest(0, communes_target - communes_meeting) as communes_needed,
        greatest(0, communes_target_advanced - communes_meeting_advanced)
            as communes_needed_advanced,
        -- an island district without communes has no share, so it neither meets nor misses
        case when communes_expected > 0 then communes_meeting >= communes_target end
            as meets_target,
        case
            when communes_expected > 0 then communes_meeting_advanced >= communes_target_advanced
        end as meets_target_advanced,
        social_order_crimes,
        social_order_crimes_2019,
        social_order_crimes_like_for_like,
        1 - social_order_crimes_like_for_like / nullif(social_order_crimes_2019, 0)
            as pct_crime_reduction_vs_2019,
        districts_crime_reduction_pass,
        districts_crime_reduction_fail,
        districts_crime_reduction_unknown,
        districts_crime_reduction_pass / nullif(
            districts_crime_reduction_pass + districts_crime_reduction_fail, 0
        ) as pct_districts_crime_reduction,
        security_teams,
        mediation_teams,
        fire_teams,
        interfamily_groups,
        cameras,
        ruleset
    from targeted
)

select * from final
