-- one row per district and year with an accepted submission: crimes against the baseline
-- year, over the district's communes of the year that have a baseline comparison (through
-- their predecessors when the registry version changed: int_commune_years_compared)
with

in_force as (
    select * from staging.stg_submissions_in_force
),

communes as (
    select * from intermediate.int_communes_in_force
),

compared as (
    select * from intermediate.int_commune_years_compared
    where comparison = 'baseline'
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

reported as (
    select
        district_code,
        year,
        count(*) as communes_reported,
        sum(social_order_crimes)::bigint as social_order_crimes
    from communes
    group by district_code, year
),

like_for_like as (
    select
        current_year.district_code,
        current_year.year,
        count(*) as communes_like_for_like,
        sum(current_year.social_order_crimes)::bigint as social_order_crimes_like_for_like,
        sum(compared.compared_social_order_crimes)::bigint as social_order_crimes_baseline
    from communes as current_year
    inner join compared
        on
            current_year.commune_code = compared.commune_code
            and current_year.year = compared.year
    where compared.comparison_status = 'known'
    group by current_year.district_code, current_year.year
),

joined as (
    select
        in_force.district_code,
        in_force.year,
        in_force.submission_id,
        rulesets.ruleset,
        rulesets.baseline_year,
        rulesets.min_crime_reduction,
        baseline_submission.submission_id as baseline_submission_id,
        coalesce(reported.social_order_crimes, 0) as social_order_crimes,
        coalesce(like_for_like.communes_like_for_like, 0) as communes_like_for_like,
        like_for_like.social_order_crimes_like_for_like,
        like_for_like.social_order_crimes_baseline
    from in_force
    inner join rulesets
        on in_force.year = rulesets.year
    left join in_force as baseline_submission
        on
            in_force.district_code = baseline_submission.district_code
            and rulesets.baseline_year = baseline_submission.year
    left join reported
        on
            in_force.district_code = reported.district_code
            and in_force.year = reported.year
    left join like_for_like
        on
            in_force.district_code = like_for_like.district_code
            and in_force.year = like_for_like.year
),

targeted as (
    select
        district_code,
        year,
        submission_id,
        ruleset,
        baseline_year,
        baseline_submission_id,
        social_order_crimes,
        communes_like_for_like,
        -- the district's own baseline file, or baseline data reached through successions
        case
            when baseline_submission_id is not null or communes_like_for_like > 0
                then coalesce(social_order_crimes_baseline, 0)
        end as social_order_crimes_baseline,
        case
            when baseline_submission_id is not null or communes_like_for_like > 0
                then coalesce(social_order_crimes_like_for_like, 0)
        end as social_order_crimes_like_for_like,
        -- the most crimes (like for like) that still meet the reduction against the baseline
        -- (none for the baseline year itself)
        case
            when
                (baseline_submission_id is not null or communes_like_for_like > 0)
                and year > baseline_year
                then round(
                    coalesce(social_order_crimes_baseline, 0) * (1 - min_crime_reduction), 9
                )
        end as social_order_crimes_target
    from joined
),

judged as (
    select
        *,
        case
            when year <= baseline_year then 'unknown'
            -- no commune with a baseline comparison: nothing to compare like with like
            when communes_like_for_like = 0 then 'unknown'
            when social_order_crimes_like_for_like <= social_order_crimes_target then 'pass'
            else 'fail'
        end as crime_reduction_vs_baseline
    from targeted
),

final as (
    select * from judged
)

select * from final
