-- one row per reported commune and year, with its previous year, model totals and ruleset
with

communes as (
    select * from intermediate.int_communes_in_force
),

previous_year as (
    select * from intermediate.int_commune_previous_year_joined
),

models as (
    select * from intermediate.int_commune_models_counted
),

rulesets as (
    select * from intermediate.int_rulesets_by_year
),

model_totals as (
    select
        year,
        commune_code,
        sum(effective_models)::integer as effective_models
    from models
    group by year, commune_code
),

joined as (
    select
        communes.*,
        previous_year.has_previous_year,
        previous_year.previous_comparison_status,
        previous_year.previous_registry_version,
        previous_year.previous_social_order_crimes,
        previous_year.previous_social_evil_cases,
        rulesets.* exclude (rulesets.year),
        coalesce(model_totals.effective_models, 0) as effective_models,
        coalesce(required_type.effective_models, 0) as effective_models_of_required_type,
        case
            when communes.villages_total > 0
                then communes.villages_safe / communes.villages_total
        end as safe_village_share
    from communes
    inner join rulesets
        on communes.year = rulesets.year
    inner join previous_year
        on
            communes.commune_code = previous_year.commune_code
            and communes.year = previous_year.year
    left join model_totals
        on
            communes.commune_code = model_totals.commune_code
            and communes.year = model_totals.year
    left join models as required_type
        on
            communes.commune_code = required_type.commune_code
            and communes.year = required_type.year
            and rulesets.adv_required_model_type = required_type.model_type
),

final as (
    select * from joined
)

select * from final
