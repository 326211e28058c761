-- one row per registry district and year, for provinces with an accepted submission that year
with

districts as (
    select * from intermediate.int_districts_in_scope
),

assessment as (
    select * from marts.commune_assessment
),

crimes as (
    select * from intermediate.int_district_crimes_compared
),

counted as (
    select
        year,
        district_code,
        count(*) as communes_expected,
        count(*) filter (where status <> 'not_reported') as communes_reported,
        count(*) filter (where status = 'meets') as communes_meeting,
        count(*) filter (where meets_19_2_advanced) as communes_meeting_advanced,
        count(*) filter (where status = 'falls_short') as communes_falling_short,
        count(*) filter (where status = 'not_assessable') as communes_not_assessable,
        count(*) filter (where status = 'not_reported') as communes_not_reported,
        sum(security_teams)::bigint as security_teams,
        sum(mediation_teams)::bigint as mediation_teams,
        sum(fire_teams)::bigint as fire_teams,
        sum(interfamily_groups)::bigint as interfamily_groups,
        sum(cameras)::bigint as cameras
    from assessment
    group by year, district_code
),

summarised as (
    select
        districts.year,
        districts.province_code,
        districts.district_code,
        districts.district_name,
        coalesce(counted.communes_expected, 0) as communes_expected,
        coalesce(counted.communes_reported, 0) as communes_reported,
        coalesce(counted.communes_meeting, 0) as communes_meeting,
        coalesce(counted.communes_meeting_advanced, 0) as communes_meeting_advanced,
        coalesce(counted.communes_falling_short, 0) as communes_falling_short,
        coalesce(counted.communes_not_assessable, 0) as communes_not_assessable,
        coalesce(counted.communes_not_reported, 0) as communes_not_reported,
        crimes.social_order_crimes,
        districts.baseline_year,
        crimes.social_order_crimes_baseline as social_order_crimes_2019,
        crimes.social_order_crimes_like_for_like,
        crimes.communes_like_for_like,
        coalesce(crimes.crime_reduction_vs_baseline, 'unknown') as crime_reduction_vs_2019,
        -- totals over reported communes; null when the district has no submission in force
        case
            when districts.submission_id is not null
                then coalesce(counted.security_teams, 0)
        end as security_teams,
        case
            when districts.submission_id is not null
                then coalesce(counted.mediation_teams, 0)
        end as mediation_teams,
        case
            when districts.submission_id is not null
                then coalesce(counted.fire_teams, 0)
        end as fire_teams,
        case
            when districts.submission_id is not null
                then coalesce(counted.interfamily_groups, 0)
        end as interfamily_groups,
        case
            when districts.submission_id is not null
                then coalesce(counted.cameras, 0)
        end as cameras,
        districts.submission_status,
        districts.submission_id,
        districts.first_accepted_at,
        districts.deadline_at,
        districts.ruleset
    from districts
    left join counted
        on
            districts.district_code = counted.district_code
            and districts.year = counted.year
    left join crimes
        on
            districts.district_code = crimes.district_code
            and districts.year = crimes.year
),

final as (
    select
        year,
        province_code,
        district_code,
        district_name,
        communes_expected,
        communes_reported,
        communes_meeting,
        communes_meeting_advanced,
        communes_falling_short,
        communes_not_assessable,
        communes_not_reported,
        communes_meeting / nullif(communes_expected, 0) as pct_meeting,
        communes_meeting_advanced / nullif(communes_expected, 0) as pct_meeting_advanced,
        * exclude (
            year,
            province_code,
            district_code,
            district_name,
            communes_expected,
            communes_reported,
            communes_meeting,
            communes_meeting_advanced,
            communes_falling_short,
            communes_not_assessable,
            communes_not_reported
        )
    from summarised
)

select * from final
