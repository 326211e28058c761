-- one row per ruleset version
with

source as (
    select * from ref.rulesets
),

renamed as (
    select
        ruleset,
        first_year::integer as first_year,
        last_year::integer as last_year,
        serious_crime_policy,
        min_safe_village_share::double as min_safe_village_share,
        police_ratings_passing,
        max_police_disciplined::integer as max_police_disciplined,
        min_effective_models::integer as min_effective_models,
        adv_min_safe_village_share::double as adv_min_safe_village_share,
        adv_min_effective_models::integer as adv_min_effective_models,
        adv_required_model_type,
        movement_ratings_passing,
        baseline_year::integer as baseline_year,
        min_crime_reduction::double as min_crime_reduction,
        deadline_month::integer as deadline_month,
        deadline_day::integer as deadline_day,
        timezone,
        target_year::integer as target_year,
        target_pct_meeting::double as target_pct_meeting,
        target_pct_meeting_advanced::double as target_pct_meeting_advanced,
        is_active::boolean as is_active
    from source
),

final as (
    select * from renamed
)

select * from final
