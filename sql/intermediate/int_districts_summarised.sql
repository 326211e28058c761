-- one row per district and year (as int_districts_in_scope), for provinces with an accepted
-- submission that year
with

districts as (
    select * from intermediate.int_districts_in_scope
),

assessment as (
    select * from intermediate.int_communes_assessed
),

crimes as (
    select * from intermediate.int_district_crimes_compared
),

commune_counts as (
    select
        year,
        district_code,
        count(*) as communes_expected,
        count(*) filter (where status <> 'not_reported') as communes_reported,
        count(*) filter (where status = 'meets') as communes_meeting,
        count(*) filter (where meets_19_2_advanced) as communes_meeting_advanced,
        count(*) filter (where status = 'falls_short') as communes_falling_short,
        count(*) filter (where status = 'not_assessable') as communes_not_assessable,
        count(*) filter (where status = 'not_reported') as communes_not_reported
    from assessment
    group by year, district_code
),

team_sums as (
    select
        year,
        district_code,
        sum(security_teams)::bigint as security_teams,
        sum(mediation_teams)::bigint as mediation_teams,
        sum(fire_teams)::bigint as fire_teams,
        sum(interfamily_groups)::bigint as interfamily_groups,
        sum(cameras)::bigint as cameras
    from assessment
    group by year, district_code
),

-- totals over reported communes, 0 when none; no row (null in summarised) when the district
-- has no submission in force
team_totals as (
    select
        districts.year,
        districts.district_code,
        coalesce(columns(team_sums.* exclude (team_sums.year, team_sums.district_code)), 0)
    from districts
    left join team_sums
        on
            districts.district_code = team_sums.district_code
            and districts.year = team_sums.year
    where districts.submission_id is not null
),

summarised as (
    select
        districts.year,
        districts.province_code,
        districts.district_code,
        districts.district_name,
        coalesce(
            columns(commune_counts.* exclude (commune_counts.year, commune_counts.district_code)),
            0
        ),
        crimes.social_order_crimes,
        districts.baseline_year,
        crimes.social_order_crimes_baseline as social_order_crimes_2019,
        crimes.social_order_crimes_like_for_like,
        crimes.social_order_crimes_target,
        crimes.communes_like_for_like,
        coalesce(crimes.crime_reduction_vs_baseline, 'unknown') as crime_reduction_vs_2019,
        team_totals.* exclude (team_totals.year, team_totals.district_code),
        districts.submission_status,
        districts.submission_id,
        districts.first_accepted_at,
        districts.deadline_at,
        districts.ruleset,
        districts.registry_version
    from districts
    left join commune_counts
        on
            districts.district_code = commune_counts.district_code
            and districts.year = commune_counts.year
    left join crimes
        on
            districts.district_code = crimes.district_code
            and districts.year = crimes.year
    left join team_totals
        on
            districts.district_code = team_totals.district_code
            and districts.year = team_totals.year
),

-- counts and sums only: the shares and the gaps to the targets are derived once, for every
-- level, in int_district_summaries_rolled_up
final as (
    select * from summarised
)

select * from final
